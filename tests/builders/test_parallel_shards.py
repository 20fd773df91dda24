"""--num-proc and --shard: the same bytes for every number of workers and of parts; merge checks;
Ctrl-C / SIGTERM stop the workers and leave no temporary folder."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from vlmsafety.builders.merge import merge_build
from vlmsafety.builders.parallel import check_num_proc, ordered_map
from vlmsafety.builders.shards import PART_FILE
from vlmsafety.cli import main
from vlmsafety.errors import InvalidArgumentError, OutputExistsError, SourceDataError
from vlmsafety.suites.dual.builder import build_dual, sample_items

# the tiny VSCBench release of test_vsc.py (--import-mode=importlib: loaded by path)
_spec = importlib.util.spec_from_file_location("vsc_tiny_release", Path(__file__).with_name(
    "test_vsc.py"))
assert _spec is not None and _spec.loader is not None
_vsc_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_vsc_tests)
tiny = _vsc_tests.tiny  # a fixture
_tiny_build = _vsc_tests._tiny_build

DUAL_OPTIONS = {"perturbations": ["jpeg", "gaussian_blur"], "severities": [1, 4],
                "image_size": (128, 128), "progress": False}


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file of a folder, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ordered_map_keeps_order_and_reraises_worker_errors() -> None:
    assert list(ordered_map(abs, range(-20, 0), num_proc=2, chunk_size=3)) == list(range(20, 0, -1))
    with pytest.raises(InvalidArgumentError, match="got -1"):  # raised in a worker
        list(ordered_map(check_num_proc, [3, 1, -1, 2, 5], num_proc=2))
    with pytest.raises(InvalidArgumentError, match="num_proc must be an int >= 1"):
        list(ordered_map(abs, [1], num_proc=0))


@pytest.fixture(scope="module")
def dual_single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dual(sample_items()[:10], tmp_path_factory.mktemp("dual") / "one", **DUAL_OPTIONS)


@pytest.mark.parametrize("num_proc", [2, 3])
def test_dual_output_is_the_same_for_every_num_proc(dual_single: Path, tmp_path: Path,
                                                    num_proc: int) -> None:
    out = build_dual(sample_items()[:10], tmp_path / "out", num_proc=num_proc, **DUAL_OPTIONS)
    assert digest(out) == digest(dual_single)


@pytest.mark.parametrize("k", [1, 2, 3])  # 10 items: 3 does not divide them
def test_dual_merged_parts_are_the_single_build(dual_single: Path, tmp_path: Path, k: int) -> None:
    parts = [build_dual(sample_items()[:10], tmp_path / f"part-{i}", shard=f"{i}/{k}",
                        **DUAL_OPTIONS) for i in range(k)]
    manifest = json.loads((parts[0] / PART_FILE).read_text())
    assert manifest["shard"] == {"index": 0, "count": k}
    fp = manifest["fingerprint"]
    assert fp["seed"] == 0 and fp["settings"]["image_size"] == [128, 128]
    assert fp["versions"]["pyarrow"] and fp["sources"]["items_sha256"]
    merged = merge_build(parts[::-1], tmp_path / "merged", progress=False)
    assert digest(merged) == digest(dual_single)


def test_merge_refuses_mixed_missing_duplicated_parts_and_clobbering(tmp_path: Path) -> None:
    items = sample_items()[:4]
    a = [build_dual(items, tmp_path / f"a{i}", shard=f"{i}/2", **DUAL_OPTIONS) for i in range(2)]
    b1 = build_dual(items, tmp_path / "b1", shard="1/2", seed=7, **DUAL_OPTIONS)
    with pytest.raises(SourceDataError, match=r"fingerprints differ in .*seed"):
        merge_build([a[0], b1], tmp_path / "out", progress=False)
    with pytest.raises(SourceDataError, match="parts missing: 1/2"):
        merge_build([a[0]], tmp_path / "out", progress=False)
    with pytest.raises(SourceDataError, match="part 0/2 is given twice"):
        merge_build([a[0], a[0], a[1]], tmp_path / "out", progress=False)
    with pytest.raises(SourceDataError, match="no build-part.json"):
        merge_build([tmp_path], tmp_path / "out", progress=False)
    (tmp_path / "taken").mkdir()
    with pytest.raises(OutputExistsError, match="already exists"):
        merge_build(a, tmp_path / "taken", progress=False)
    with pytest.raises(OutputExistsError):
        merge_build(a, a[1], overwrite=True, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_vsc_num_proc_and_shards_give_the_same_bytes(tiny: Path) -> None:
    one = digest(_tiny_build(tiny, tiny / "n1"))
    for n in (2, 3):
        assert digest(_tiny_build(tiny, tiny / f"n{n}", num_proc=n)) == one, n
    for k in (1, 2, 3):  # 22 rows: neither 3 divides them nor is any part a whole config
        parts = [_tiny_build(tiny, tiny / f"k{k}-{i}", shard=(i, k)) for i in range(k)]
        assert digest(merge_build(parts, tiny / f"m{k}", progress=False)) == one, k


def test_cli_vsc_shards_and_merge(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["build", "vsc", "--source", str(tiny / "source"), "--images", str(tiny / "images"),
            "--image-size", "96", "--allow-unpinned"]
    for i in range(2):
        assert main([*base, "--out", str(tiny / f"p{i}"), "--shard", f"{i}/2",
                     "--num-proc", "2"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["shard"] == f"{i}/2" and sum(summary["rows"].values()) == 11
    assert main(["build", "merge", str(tiny / "p0"), str(tiny / "p1"), "--out",
                 str(tiny / "merged")]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == {
        "image_centric": 12, "text_centric": 8, "text_only": 2}
    assert main([*base, "--out", str(tiny / "single")]) == 0
    assert digest(tiny / "merged") == digest(tiny / "single")
    # a part whose parquet lost rows is refused, naming it and the file
    lost = next((tiny / "p1" / "data" / "text_only").glob("*.parquet"))
    table = pq.read_table(lost)
    pq.write_table(table.slice(0, table.num_rows - 1), lost)
    assert main(["build", "merge", str(tiny / "p0"), str(tiny / "p1"), "--out",
                 str(tiny / "again")]) == 2
    assert f"file 'data/text_only/{lost.name}' differs from the one built" in \
        capsys.readouterr().err
    assert not (tiny / "again").exists()


def test_vsc_bad_images_from_workers_are_one_named_error(tiny: Path) -> None:
    (tiny / "images/vscbench_image_centric_images/drugs/unsafe_drugs_0_2.png").unlink()
    truncated = tiny / "images/vscbench_text_centric_images/search/d_0_1.png"
    truncated.write_bytes(truncated.read_bytes()[:30])
    messages = []
    for n in (1, 2):
        with pytest.raises(SourceDataError) as err:
            _tiny_build(tiny, tiny / "out", num_proc=n)
        messages.append(re.sub(r"0x[0-9a-f]+", "0x...", str(err.value)))  # BytesIO address
    assert messages[0] == messages[1]
    assert re.search(r"\b3 of \d+ image\(s\) missing or unreadable", messages[1])  # d_0_1.png is used twice
    assert "missing: vscbench_image_centric_images/drugs/unsafe_drugs_0_2.png" in messages[1]
    assert not (tiny / "out").exists()
    assert [p for p in tiny.iterdir() if p.name.startswith(".out")] == []


def test_cli_num_proc_and_shard_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["build", "dual", "--sample", "--image-size", "128", "--perturbations", "jpeg",
            "--severities", "1"]
    assert main([*args, "--out", str(tmp_path / "a"), "--num-proc", "0"]) == 2
    assert "num_proc must be an int >= 1" in capsys.readouterr().err
    instructions = tmp_path / "list.jsonl"
    instructions.write_text("".join(
        json.dumps({"pair_id": i.pair_id, "category": i.category, "instruction_type":
                    i.instruction_type, "instruction": i.instruction}) + "\n"
        for i in sample_items()[:4]))
    args = ["build", "dual", "--instructions", str(instructions), "--image-size", "128",
            "--perturbations", "jpeg", "--severities", "1"]
    assert main([*args, "--out", str(tmp_path / "p"), "--shard", "2/2"]) == 2
    assert "expected I/K with 0 <= I < K" in capsys.readouterr().err
    for i in range(2):
        assert main([*args, "--out", str(tmp_path / f"p{i}"), "--shard", f"{i}/2"]) == 0
    capsys.readouterr()
    assert main(["build", "merge", str(tmp_path / "p1"), str(tmp_path / "p0"),
                 "--out", str(tmp_path / "merged")]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == {"clean": 4, "perturbed": 4}
    assert main([*args, "--out", str(tmp_path / "single"), "--num-proc", "2"]) == 0
    assert digest(tmp_path / "merged") == digest(tmp_path / "single")


def _descendants(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parents.items() if pp == p}
        found |= kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_workers_and_leaves_no_temporary(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vlmsafety.cli", "build", "dual", "--sample", "--image-size",
         "512", "--perturbations", "all", "--num-proc", "2", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:  # the writer has started, workers run
        if any(p.name.startswith(".out.building-") for p in tmp_path.iterdir()):
            workers = _descendants(proc.pid)
        time.sleep(0.2)
    assert proc.poll() is None and workers, "the build ended or never started its workers"
    time.sleep(1.0)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err.decode()[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]


def test_merge_names_a_tampered_missing_or_added_part_file(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 25, item 2: one changed byte in a part's parquet file was merged silently."""
    items = sample_items()[:4]
    parts = [build_dual(items, tmp_path / f"p{i}", shard=f"{i}/2", **DUAL_OPTIONS) for i in range(2)]
    files = json.loads((parts[1] / PART_FILE).read_text())["files"]
    shard = min(name for name in files if name.startswith("data/clean/"))
    assert set(files) == {p.relative_to(parts[1]).as_posix() for p in parts[1].rglob("*.parquet")}
    target = parts[1] / shard
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte, in the middle of the images
    target.write_bytes(bytes(data))
    out = tmp_path / "merged"
    with pytest.raises(SourceDataError, match=rf"part '.*p1': file '{shard}' differs"):
        merge_build(parts, out, progress=False)
    assert main(["build", "merge", *map(str, parts), "--out", str(out)]) == 2
    assert f"file '{shard}' differs" in capsys.readouterr().err and not out.exists()
    target.unlink()
    with pytest.raises(SourceDataError, match=f"file '{shard}' is missing"):
        merge_build(parts, out, progress=False)
    (parts[0] / "data" / "clean" / "extra.parquet").write_bytes(b"x")
    with pytest.raises(SourceDataError, match="file 'data/clean/extra.parquet' is not one"):
        merge_build(parts, out, progress=False)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_merge_prints_the_sha256_of_the_merged_files(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    items = sample_items()[:2]
    parts = [build_dual(items, tmp_path / f"p{i}", shard=f"{i}/2", **DUAL_OPTIONS) for i in range(2)]
    assert main(["build", "merge", *map(str, parts), "--out", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sha256"] == digest(tmp_path / "m") and "README.md" in summary["sha256"]
    # the merged folder records them too (hidden, never uploaded), and push checks them
    recorded = json.loads((tmp_path / "m" / ".vlmsafety-build").read_text())["sha256"]
    assert recorded == {k: v for k, v in summary["sha256"].items() if k != ".vlmsafety-build"}
    assert main(["push", str(tmp_path / "m"), "me/dual", "--dry-run"]) == 0
    shard = tmp_path / "m" / min(p for p in recorded if p.endswith(".parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["push", str(tmp_path / "m"), "me/dual", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{shard.relative_to(tmp_path / 'm').as_posix()!r} differs from the file the build" in err
