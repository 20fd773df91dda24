"""MOSSBench builder: the real information.csv, the six real images and 294 images made here, laid
out as the release (``information.csv`` + ``data/images/<pid>.png``); downloads from 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from pathlib import Path

import datasets
import pytest
from mossbench_release import REAL, make_release
from mossbench_release import made_png as _made_png
from PIL import Image

from vlmsafety.cli import main
from vlmsafety.errors import SourceDataError
from vlmsafety.suites.mossbench import builder as mb
from vlmsafety.suites.mossbench.builder.images import image_problem
from vlmsafety.suites.mossbench.builder.schema import META_RAW
from vlmsafety.suites.mossbench.scoring import STIMULI


@pytest.fixture(scope="module")
def release(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_release(shared_data, tmp_path_factory.mktemp("release") / "MOSSBench")


@pytest.fixture(scope="module")
def built(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mb.build_mossbench(tmp_path_factory.mktemp("out") / "mossbench", source=release,
                              progress=False)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_load_dataset_gives_300_rows_100_per_stimulus(built: Path, shared_data: Path) -> None:
    ds = datasets.load_dataset(str(built), split="test")
    assert ds.num_rows == 300
    stim = ds.features["stimulus"]
    assert stim.names == list(STIMULI)
    assert Counter(stim.int2str(s) for s in ds["stimulus"]) == {s: 100 for s in STIMULI}
    assert ds["id"][:2] == ["mossbench-001", "mossbench-002"] and ds["id"][-1] == "mossbench-300"
    assert sorted(ds.column_names) == sorted(mb.FEATURES)
    # Independent counts from the CSV.
    import csv
    with open(shared_data / "mossbench" / "information.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(ds["human"]) == sum(r["meta_data_human"] == "1" for r in rows)
    assert sum(ds["synthetic"]) == sum(r["meta_data_syn"] == "1" for r in rows)
    assert Counter(ds["harm"]) == Counter(int(r["meta_data_harm"]) for r in rows)
    assert ds["metadata_raw"][0] == {k: rows[0][k] for k in META_RAW}
    assert ds["question"][101] == rows[101]["question"].strip()
    assert ds["short_description"][5] == rows[5]["short description"].strip()
    assert sum(d == "" for d in ds["description"]) == sum(not r["description"].strip() for r in rows)
    # Real images embedded unchanged; made ones too; sha recorded.
    raw = ds.cast_column("image", datasets.Image(decode=False))
    for i in (0, 100, 201, 150):
        pid = i + 1
        data = raw[i]["image"]["bytes"]
        if pid in REAL:
            assert hashlib.sha256(data).hexdigest() == mb.KNOWN_IMAGE_SHA256[pid]
        else:
            assert data == _made_png(pid)
        assert raw[i]["image_sha256"] == hashlib.sha256(data).hexdigest()
    assert ds[0]["image"].size[0] > 100  # decodes as a PIL image
    assert set(ds["image_source"]) == {0}


def test_card(built: Path) -> None:
    card = (built / "README.md").read_text(encoding="utf-8")
    for text in ("no LICENSE file", "CC BY-SA 4.0", "using it for training is prohibited",
                 "does\nnot state where the images come from", mb.SOURCE_COMMIT,
                 f"`vlmsafety.suites.mossbench.builder` {mb.BUILDER_VERSION}",
                 "read from a local copy of the release", "The release gives these codes no names",
                 mb.INFORMATION_SHA256, "license: cc-by-sa-4.0"):
        assert text in card, text
    sha_rows = [line for line in card.splitlines() if line.startswith("| ") and "| `" in line
                and len(line.split("`")[1]) == 64]
    assert len(sha_rows) == 300  # every image
    assert sum("known checksum, checked" in line for line in sha_rows) == 6


def test_rebuild_is_byte_identical(release: Path, built: Path, tmp_path: Path) -> None:
    again = mb.build_mossbench(tmp_path / "again", source=release, progress=False)
    assert _files(again) == _files(built)


def test_existing_out_is_refused_unless_overwrite(release: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")
    assert main(["build", "mossbench", "--source", str(release), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "keep.txt").exists()
    assert main(["build", "mossbench", "--source", str(release), "--out", str(out),
                 "--overwrite"]) == 2  # a folder of someone's files is never replaced
    assert "was not written by vlmsafety build" in capsys.readouterr().err
    (out / "keep.txt").unlink()  # a folder a build made is replaced with --overwrite
    for _ in range(2):
        assert main(["build", "mossbench", "--source", str(release), "--out", str(out),
                     "--overwrite"]) == 0
        assert json.loads(capsys.readouterr().out)["rows"] == {"default": 300}
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folder left behind


def test_bad_and_missing_images_are_one_error(shared_data: Path, tmp_path: Path) -> None:
    rel = make_release(shared_data, tmp_path / "rel")
    images = rel / "data" / "images"
    for pid in (5, 6, 7, 8, 9, 10):
        (images / f"{pid}.png").unlink()
    (images / "11.png").write_bytes(b"not a png")
    (images / "2.png").write_bytes(_made_png(2))  # a known image with other bytes
    with pytest.raises(SourceDataError) as err:
        mb.build_mossbench(tmp_path / "out", source=rel, progress=False)
    msg = str(err.value)
    assert msg.startswith("8 of 300 image(s) missing or unusable")
    assert "pid 2: checksum mismatch (expected sha256 " + mb.KNOWN_IMAGE_SHA256[2] in msg
    assert "pid 5: missing" in msg and "... and 3 more" in msg
    assert "pid 11" not in msg  # only the first five are named
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["rel"]

    out = mb.build_mossbench(tmp_path / "ph", source=rel, placeholders=True, progress=False)
    ds = datasets.load_dataset(str(out), split="test")
    kinds = Counter(ds.features["image_source"].int2str(k) for k in ds["image_source"])
    assert kinds == {"original": 292, "placeholder": 8}
    assert "**8 image(s) are placeholders**" in (out / "README.md").read_text(encoding="utf-8")


def test_tiny_or_huge_images_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 300)).save(buf, format="PNG")
    assert "size 8x300 outside" in (image_problem(buf.getvalue(), 3) or "")
    assert image_problem(_made_png(3), 3) is None


def test_information_csv_is_validated(shared_data: Path) -> None:
    data = (shared_data / "mossbench" / "information.csv").read_bytes()
    text = data.decode("utf-8")
    with pytest.raises(SourceDataError, match=r"line 2, column 'meta_data_over': 'Harmless'"):
        mb.read_information(text.replace("Exaggerated Risk", "Harmless", 1).encode())
    lines = text.splitlines(keepends=True)
    with pytest.raises(SourceDataError, match=r"1 pid\(s\) missing: 300"):
        mb.read_information("".join(lines[:-1]).encode())
    with pytest.raises(SourceDataError, match="unexpected header"):
        mb.read_information(text.replace("meta_data_syn", "syn", 1).encode())


# --------------------------------------------------------------------------- downloads

@pytest.fixture()
def server(release: Path, raw_host: tuple[str, dict[str, bytes]]) -> tuple[str, dict[str, bytes]]:
    """A raw-file host on 127.0.0.1 serving the release at the pinned commit."""
    base, files = raw_host
    prefix = f"/{mb.SOURCE_REPO}/{mb.SOURCE_COMMIT}/"
    files.update({prefix + str(p.relative_to(release)): p.read_bytes()
                  for p in release.rglob("*") if p.is_file()})
    return base, files


def test_download_from_pinned_commit(server: tuple[str, dict[str, bytes]], built: Path,
                                     tmp_path: Path) -> None:
    base, files = server
    del files[f"/{mb.SOURCE_REPO}/{mb.SOURCE_COMMIT}/data/images/300.png"]
    with pytest.raises(SourceDataError, match=r"1 of 300 image\(s\).*\n  pid 300: missing: "
                                                r"data/images/300.png"):
        mb.build_mossbench(tmp_path / "x", base_url=base, timeout=10, progress=False)
    files[f"/{mb.SOURCE_REPO}/{mb.SOURCE_COMMIT}/data/images/300.png"] = _made_png(300)
    out = mb.build_mossbench(tmp_path / "dl", base_url=base, timeout=10, progress=False)
    got, ref = _files(out), _files(built)
    assert got.keys() == ref.keys()
    parquet = [k for k in ref if k.endswith(".parquet")]
    assert parquet and all(got[k] == ref[k] for k in parquet)  # same rows as the local build
    assert "downloaded from the pinned commit" in got["README.md"].decode()


def test_download_with_wrong_csv_is_a_checksum_error(server: tuple[str, dict[str, bytes]],
                                                     tmp_path: Path) -> None:
    base, files = server
    files[f"/{mb.SOURCE_REPO}/{mb.SOURCE_COMMIT}/information.csv"] = b"pid,question\n"
    with pytest.raises(SourceDataError, match="checksum mismatch for information.csv .*"
                                                + mb.INFORMATION_SHA256):
        mb.build_mossbench(tmp_path / "x", base_url=base, timeout=10, progress=False)


def test_unreachable_host_names_the_url(tmp_path: Path) -> None:
    with pytest.raises(SourceDataError, match=r"cannot download http://127\.0\.0\.1:9/"):
        mb.build_mossbench(tmp_path / "x", base_url="http://127.0.0.1:9", timeout=2,
                           progress=False)
