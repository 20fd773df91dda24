"""Issue 17 item 6: the smaller problems a new user hit, one test each (each failed before)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from vlmsafety.errors import DatasetNotFoundError, SourceDataError


def test_max_image_pixels_can_raise_the_limit(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmsafety.builders.dual.images import OpenReleaseImage
    from vlmsafety.builders.dual.schema import DualItem

    path = tmp_path / "big.png"
    Image.new("RGB", (40, 30), "white").save(path)  # 1200 pixels
    item = DualItem("x", "p", "c", "harmful", "do it", image=path, where="manifest.jsonl:1")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # Pillow's limit, scaled down
    with (pytest.raises(SourceDataError, match="decompression bomb.*raise --max-image-pixels"),
          OpenReleaseImage(item)):
        pass
    with OpenReleaseImage(item, max_image_pixels=2000) as im:  # raised above Pillow's
        assert im.size == (40, 30)
    assert Image.MAX_IMAGE_PIXELS == 500  # restored
    with (pytest.raises(SourceDataError, match=r"limit of 1000 .*--max-image-pixels"),
          OpenReleaseImage(item, max_image_pixels=1000)):
        pass


def test_build_vsc_from_source_never_downloads_xstest(tmp_path: Path, shared_data: Path) -> None:
    from vlmsafety.builders.vsc import build_vsc

    src = tmp_path / "src"
    src.mkdir()
    for name in ("vscbench_image_centric.xlsx", "vscbench_text_centric.xlsx"):
        (src / name).symlink_to(shared_data / "vscbench" / name)
    started = time.monotonic()
    with pytest.raises(SourceDataError, match=r"xstest_prompts.csv is not in --source .*"
                       r"pass --xstest FILE"):
        build_vsc(tmp_path / "out", source=src, placeholders=True, progress=False,
                  base_url="http://127.0.0.1:9", timeout=5)
    assert time.monotonic() - started < 5


def test_xstest_download_error_suggests_xstest_flag() -> None:
    from vlmsafety.builders.vsc.source import fetch_source_file

    with pytest.raises(SourceDataError, match=r"use --xstest FILE"):
        fetch_source_file("xstest", base_url="http://127.0.0.1:9", timeout=5,
                          allow_unpinned=False)


@pytest.mark.parametrize("name", ["dual-smaple", "dual-smaple/", "a/b/c"])
def test_typo_in_a_local_dataset_name_fails_at_once(name: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmsafety.storage.splits import load_split

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # would retry against the Hub
    started = time.monotonic()
    with pytest.raises(DatasetNotFoundError, match="does not exist .*OWNER/NAME"):
        load_split(name, "clean")
    assert time.monotonic() - started < 2
