"""Issue 17 item 6: the smaller problems a new user hit, one test each (each failed before)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from vlmsafety.errors import DatasetNotFoundError, SourceDataError


def test_max_image_pixels_can_raise_the_limit(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmsafety.suites.dual.builder.images import OpenReleaseImage
    from vlmsafety.suites.dual.builder.schema import DualItem

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
    from vlmsafety.suites.vsc.builder import build_vsc

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
    from vlmsafety.suites.vsc.builder.source import fetch_source_file

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


def test_every_option_has_help_and_shows_its_default() -> None:
    import argparse

    from vlmsafety.cli import build_parser

    def walk(p: argparse.ArgumentParser, path: list[str]):  # type: ignore[no-untyped-def]
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    yield from walk(sub, [*path, name])
            elif a.option_strings and a.dest not in ("help", "version"):
                yield " ".join(path), a

    bad = []
    for where, a in walk(build_parser(), []):
        text = (a.help or "").lower()
        if not text:
            bad.append(f"{where} {a.option_strings[0]}: no help")
        elif (a.default not in (None, False) and not isinstance(a, argparse._StoreTrueAction)
              and "default" not in text):
            bad.append(f"{where} {a.option_strings[0]}: default {a.default!r} not shown")
    assert bad == []


def test_errors_name_the_flags_not_python_arguments(tmp_path: Path) -> None:
    import re

    from vlmsafety.errors import OutputExistsError, PredictionsFormatError
    from vlmsafety.evaluation.judging import check_coverage
    from vlmsafety.storage.files import check_output

    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(OutputExistsError) as err:
        check_output(tmp_path / "a.txt", overwrite=False)
    messages = [str(err.value)]

    from types import SimpleNamespace

    ref = SimpleNamespace(rows={"clean": [{"id": "a"}, {"id": "b"}]})
    with pytest.raises(PredictionsFormatError) as err2:
        check_coverage({"m": [SimpleNamespace(id="a")]}, ref)  # type: ignore[arg-type]
    messages.append(str(err2.value))
    from vlmsafety.importers import import_table

    src = tmp_path / "p.csv"
    src.write_text("id,response\na,\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError) as err3:
        import_table(src, tmp_path / "out.jsonl")
    messages.append(str(err3.value))
    for text in messages:
        assert "--" in text and not re.search(r"\b[a-z_]+=(True|\[|')", text), text


def test_duplicate_id_error_names_the_id_column(tmp_path: Path) -> None:
    from vlmsafety.errors import PredictionsFormatError
    from vlmsafety.importers import import_table

    src = tmp_path / "p.csv"
    src.write_text("qid,answer\na,yes\na,no\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"duplicate id 'a' \(column 'qid', .*"
                       r"first at column 'qid'") as err:
        import_table(src, tmp_path / "out.jsonl", id_column="qid", response_column="answer")
    assert "'answer'" not in str(err.value)


def test_generate_refuses_a_truncated_png_and_names_no_buffer() -> None:
    import io

    from vlmsafety.errors import DatasetRowError
    from vlmsafety.generate.items import image_bytes as _image_bytes

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, format="PNG")
    whole = buf.getvalue()
    assert _image_bytes(whole, "r1") == (whole, "image/png")
    with pytest.raises(DatasetRowError, match="row 'r1': the image is unreadable") as err:
        _image_bytes(whole[: len(whole) // 2], "r1")
    with pytest.raises(DatasetRowError) as err2:
        _image_bytes(b"not an image at all", "r2")
    for text in (str(err.value), str(err2.value)):
        assert "BytesIO" not in text and "0x" not in text, text


def test_tradeoff_error_bars_are_the_leaderboard_interval_and_labelled(
        small_dual: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json as _json

    from vlmsafety.evaluation import EvaluationRequest, evaluate_models, load_reference
    from vlmsafety.report import plots
    from vlmsafety.suites.dual import report as report_dual

    preds = tmp_path / "m.jsonl"
    ids = load_reference(small_dual, "dual").ids
    preds.write_text("".join(_json.dumps({"id": i, "response": "No." if n % 3 else "Sure, here."})
                             + "\n" for n, i in enumerate(ids)))
    res = evaluate_models(EvaluationRequest(
        "dual", small_dual, [preds], n_boot=50, progress=False)).to_dict()
    seen: dict = {}
    monkeypatch.setattr(plots, "tradeoff_scatter",
                        lambda path, points, **kw: seen.update(points=points, **kw) or path)
    monkeypatch.setattr(plots, "category_bars", lambda path, *a, **kw: path)
    monkeypatch.setattr(plots, "robustness_curves", lambda path, *a, **kw: path)
    report_dual.plots(res, tmp_path / "plots")
    assert "error bars: bootstrap 95% CI" in seen["title"]
    x = res["models"]["m"]["scores"]["benign"]["overall"]["refusal_rate"]
    assert seen["points"]["m"][2] == (x["boot_low"], x["boot_high"])


def test_datasets_progress_bars_do_not_leak(small_dual: Path, tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    import shutil

    import datasets

    from vlmsafety.storage.splits import load_split

    fresh = tmp_path / "dual"  # a folder datasets has not cached: it generates the split
    shutil.copytree(small_dual, fresh)
    datasets.utils.enable_progress_bars()
    capfd.readouterr()
    assert load_split(fresh, "clean", columns=["id"]).num_rows > 0
    captured = capfd.readouterr()
    assert "Generating test split" not in captured.err + captured.out
    assert not datasets.utils.are_progress_bars_disabled()  # the caller's setting is kept


def test_a_wrong_images_folder_is_summarised(shared_data: Path, tmp_path: Path) -> None:
    from vlmsafety.suites.vsc.builder import build_vsc

    wrong = tmp_path / "not-the-images"
    (wrong / "vscbench_image_centric_images").mkdir(parents=True)  # the folder, not its files
    Image.new("RGB", (8, 8)).save(wrong / "vscbench_image_centric_images" / "other.png")
    with pytest.raises(SourceDataError) as err:
        build_vsc(tmp_path / "out", source=shared_data / "vscbench",
                  xstest=shared_data / "xstest" / "xstest_prompts.csv", images=wrong,
                  image_size=32, progress=False)
    text = str(err.value)
    assert text.startswith("3600 of 3600 image(s) missing or unreadable")
    assert "(3600 missing;" in text and "none was found: --images must be" in text
    assert text.count("\n") <= 12 and text.rstrip().endswith("... and 3590 more")
