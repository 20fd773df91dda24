from __future__ import annotations

import threading
from pathlib import Path

from vlmsafety.storage.cache import SQLiteCache


def test_namespaces_are_separate_and_values_persist(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.sqlite"
    with SQLiteCache(path, namespace="judge") as a, SQLiteCache(path, namespace="generate") as b:
        a.put("k", {"label": "refusal", "raw": "VERDICT: REFUSAL"})
        assert b.get("k") is None and len(b) == 0
        b.put("k", {"text": "hello"})
    with SQLiteCache(path, namespace="judge") as again:
        assert again.get("k") == {"label": "refusal", "raw": "VERDICT: REFUSAL"}
        assert again.get_many(["k", "nope"]) == {"k": {"label": "refusal", "raw": "VERDICT: REFUSAL"}}


def test_get_many_handles_more_keys_than_one_query(tmp_path: Path) -> None:
    with SQLiteCache(tmp_path / "c.sqlite") as c:
        for i in range(1200):
            c.put(str(i), {"i": i})
        got = c.get_many(str(i) for i in range(0, 2400, 2))
        assert len(got) == 600 and got["1198"] == {"i": 1198}


def test_threads_can_share_a_cache(tmp_path: Path) -> None:
    with SQLiteCache(tmp_path / "c.sqlite") as c:
        threads = [threading.Thread(target=lambda t=t: [c.put(f"{t}-{i}", {}) for i in range(50)])
                   for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(c) == 200


def test_keys_separate_parts() -> None:
    assert SQLiteCache.make_key("a", None) != SQLiteCache.make_key("a", "")
    assert SQLiteCache.make_key("x", "y") == SQLiteCache.make_key("x", "y")


def test_an_unopenable_cache_is_a_cache_error_not_a_judge_error(tmp_path: Path) -> None:
    import pytest

    from vlmsafety.errors import CacheError, JudgeError

    not_a_db = tmp_path / "c.sqlite"
    not_a_db.write_bytes(b"this is not an SQLite database, it is text" * 100)
    with pytest.raises(CacheError, match=r"cannot open cache .*c\.sqlite") as info:
        SQLiteCache(not_a_db)
    assert not isinstance(info.value, JudgeError)
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(CacheError, match="cannot open cache"):
        SQLiteCache(tmp_path / "dir.sqlite")


def test_judges_reexports_the_storage_cache() -> None:
    import importlib.util

    import vlmsafety.judges
    from vlmsafety.storage.cache import SQLiteCache as Moved

    assert SQLiteCache is Moved is vlmsafety.judges.SQLiteCache
    assert importlib.util.find_spec("vlmsafety.judges.cache") is None  # the old path is gone
