"""`vlmsafety push`: validation, exact dry-run listing, no network, token handling, call sequence."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from vlmsafety.cli import main
from vlmsafety.hub import HubPublishError, detect_kind, plan_push, push

_METRIC_README = """---
title: Safe Completion
emoji: 🛡️
colorFrom: blue
colorTo: green
sdk: gradio
sdk_version: 4.44.0
app_file: app.py
pinned: false
tags:
- evaluate
- metric
---

# Metric card
"""


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any HfApi network method called by a test fails it."""
    from huggingface_hub import HfApi

    def boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network method called")

    for name in ("create_repo", "upload_folder", "upload_file", "create_commit",
                 "update_repo_settings", "create_branch", "whoami", "repo_info",
                 "list_repo_files", "preupload_lfs_files"):
        monkeypatch.setattr(HfApi, name, boom)


def _dataset(tmp_path: Path) -> Path:
    import datasets

    from vlmsafety.builders.hubfolder import HubFolderWriter

    out = tmp_path / "dual"
    feats = datasets.Features({"id": datasets.Value("string"), "x": datasets.Value("int32")})
    with HubFolderWriter(out) as folder:
        for cfg in ("benign", "harmful"):
            with folder.config(cfg, feats) as rows:
                rows.write({"id": f"{cfg}-0", "x": 1})
        folder.write_card(pretty_name="Toy", version="0.0.1", body="# Toy\n")
    # clutter that must never be uploaded
    (out / ".DS_Store").write_bytes(b"x")
    (out / "notes.txt").write_text("local notes", encoding="utf-8")
    (out / "data" / ".cache").mkdir()
    (out / "data" / ".cache" / "lock").write_text("", encoding="utf-8")
    return out


def _metric(tmp_path: Path, name: str = "safe_completion") -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / f"{name}.py").write_text("import evaluate\n\nVALUE = 1\n", encoding="utf-8")
    (d / "README.md").write_text(_METRIC_README, encoding="utf-8")
    (d / "app.py").write_text(
        "import evaluate\nfrom evaluate.utils import launch_gradio_widget\n\n"
        f"launch_gradio_widget(evaluate.load('vlmsafety/{name}'))\n", encoding="utf-8")
    (d / "requirements.txt").write_text("vlmsafety\n", encoding="utf-8")
    (d / "__pycache__").mkdir()
    (d / "__pycache__" / f"{name}.cpython-311.pyc").write_bytes(b"\0")
    return d


def test_dataset_dry_run_lists_exact_files(tmp_path: Path) -> None:
    d = _dataset(tmp_path)
    plan = push(d, "vlmsafety/dual", dry_run=True, private=True, gated="auto").plan
    assert (plan.kind, plan.repo_type) == ("dataset", "dataset")
    assert plan.url.endswith("/datasets/vlmsafety/dual")
    assert [f.path for f in plan.files] == [
        "README.md",
        "data/benign/test-00000-of-00001.parquet",
        "data/harmful/test-00000-of-00001.parquet",
    ]
    for f in plan.files:
        raw = (d / f.path).read_bytes()
        assert f.size == len(raw) and f.sha256 == hashlib.sha256(raw).hexdigest()
    assert set(plan.skipped) == {".DS_Store", "notes.txt", "data/.cache/lock"}


def test_plan_matches_huggingface_hub_selection(tmp_path: Path, monkeypatch) -> None:
    """The listing equals what upload_folder itself would select with the same patterns."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS

    from vlmsafety.hub import ALLOW_PATTERNS, IGNORE_PATTERNS

    api = HfApi()
    if not hasattr(api, "_prepare_upload_folder_additions"):
        pytest.skip("huggingface_hub internals changed")
    monkeypatch.setattr(HfApi, "_validate_yaml", lambda self, **kw: None, raising=False)
    for folder, kind in ((_dataset(tmp_path), "dataset"), (_metric(tmp_path), "metric")):
        ops = api._prepare_upload_folder_additions(
            folder, "", allow_patterns=list(ALLOW_PATTERNS[kind]),
            ignore_patterns=list(IGNORE_PATTERNS) + list(DEFAULT_IGNORE_PATTERNS))
        plan = plan_push(folder, f"me/{folder.name}")
        assert [op.path_in_repo for op in ops] == [f.path for f in plan.files]


def test_metric_dry_run(tmp_path: Path, capsys) -> None:
    d = _metric(tmp_path)
    assert detect_kind(d) == "metric"
    code = main(["push", str(d), "vlmsafety/safe_completion", "--dry-run"])
    assert code == 0
    out = capsys.readouterr().out
    assert "space repo vlmsafety/safe_completion" in out
    for name in ("README.md", "app.py", "requirements.txt", "safe_completion.py"):
        assert name in out
    assert "not uploaded: __pycache__/safe_completion.cpython-311.pyc" in out
    code = main(["push", str(d), "vlmsafety/safe_completion", "--dry-run", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["repo_type"] == "space" and data["dry_run"] is True
    assert [f["path"] for f in data["files"]] == ["README.md", "app.py", "requirements.txt",
                                                   "safe_completion.py"]


def test_metric_validation_names_every_problem(tmp_path: Path) -> None:
    d = _metric(tmp_path)
    (d / "requirements.txt").unlink()
    (d / "README.md").write_text(_METRIC_README.replace("sdk: gradio", "sdk: docker"),
                                 encoding="utf-8")
    with pytest.raises(HubPublishError) as err:
        plan_push(d, "vlmsafety/other_name")
    msg = str(err.value)
    assert "requirements.txt is missing" in msg
    assert "sdk must be 'gradio', got 'docker'" in msg
    assert "repo name 'other_name' != module 'safe_completion'" in msg
    (d / "safe_completion.py").write_text("def broken(:\n", encoding="utf-8")
    with pytest.raises(HubPublishError, match="safe_completion.py does not compile"):
        plan_push(d, "vlmsafety/safe_completion")


def test_metric_cannot_be_gated(tmp_path: Path) -> None:
    with pytest.raises(HubPublishError, match="gating applies to dataset repos"):
        plan_push(_metric(tmp_path), "vlmsafety/safe_completion", gated="manual")


def test_dataset_validation(tmp_path: Path) -> None:
    d = _dataset(tmp_path)
    (d / "data" / "harmful" / "test-00000-of-00001.parquet").unlink()
    with pytest.raises(HubPublishError,
                       match=r"config 'harmful': data_files pattern 'data/harmful/test-\*\.parquet' "
                             r"matches no file"):
        plan_push(d, "me/dual")
    (d / "README.md").write_text("# no header\n", encoding="utf-8")
    with pytest.raises(HubPublishError, match="no `configs` list"):
        plan_push(d, "me/dual")


def test_unknown_folder_and_bad_repo_id(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(HubPublishError, match="neither a dataset folder .* nor a metric folder"):
        plan_push(empty, "me/x")
    with pytest.raises(HubPublishError, match="must be 'owner/name'"):
        plan_push(empty, "justname")
    with pytest.raises(HubPublishError, match="invalid repo id"):
        plan_push(empty, "me/bad name!")
    with pytest.raises(HubPublishError, match="is not a folder"):
        plan_push(tmp_path / "missing", "me/x")


def test_real_push_without_token_names_hf_token(tmp_path: Path, capsys, monkeypatch) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)  # ignore any saved login
    d = _dataset(tmp_path)
    code = main(["push", str(d), "me/dual"])
    assert code == 2
    assert "HF_TOKEN" in capsys.readouterr().err


def test_invalid_folder_fails_before_token_or_upload(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    d = _metric(tmp_path)
    (d / "app.py").unlink()
    with pytest.raises(HubPublishError, match="app.py"):
        push(d, "me/safe_completion")


class _FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str):
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return type("Info", (), {"commit_url": "https://hub.test/commit/1"})()
        return record


def test_real_push_call_sequence_with_fake_api(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    d = _dataset(tmp_path)
    api = _FakeApi()
    res = push(d, "me/dual", private=True, gated="manual", revision="v1", message="m", api=api)
    assert res.commit_url == "https://hub.test/commit/1" and res.dry_run is False
    names = [c[0] for c in api.calls]
    assert names == ["create_repo", "update_repo_settings", "create_branch", "upload_folder",
                     "update_repo_settings"]
    create = api.calls[0]
    assert create[2]["exist_ok"] is True and create[2]["repo_type"] == "dataset"
    assert create[2]["token"] == "hf_test" and create[2]["private"] is True
    upload = api.calls[3][2]
    assert upload["allow_patterns"] == [f.path for f in res.plan.files]
    assert upload["revision"] == "v1" and upload["commit_message"] == "m"
    assert api.calls[4][2]["gated"] == "manual"

    api = _FakeApi()
    push(_metric(tmp_path), "me/safe_completion", api=api)
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    assert api.calls[0][2]["space_sdk"] == "gradio" and api.calls[0][2]["repo_type"] == "space"


def test_offline_refuses_real_push(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test")  # conftest keeps HF_HUB_OFFLINE=1
    with pytest.raises(HubPublishError, match="HF_HUB_OFFLINE"):
        push(_dataset(tmp_path), "me/dual", api=_FakeApi())
