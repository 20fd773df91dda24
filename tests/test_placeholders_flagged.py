"""Issue 17 item 5: placeholder images are flagged everywhere, not only by ``evaluate``.

``build vsc --placeholders`` says how many images are placeholders and why (missing / corrupt /
not given); ``vlmsafety push`` refuses such a build unless ``--allow-placeholders`` (and the
dry-run plan says so); plots drawn from such data carry a visible mark.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vlmsafety.cli import main
from vlmsafety.hub import HubPublishError, count_placeholders, plan_push, push


def _placeholder_dataset(tmp_path: Path, sources: list[str]) -> Path:
    import datasets

    from vlmsafety.builders.hubfolder import HubFolderWriter

    out = tmp_path / "vsc-like"
    feats = datasets.Features({
        "id": datasets.Value("string"),
        "image_source": datasets.ClassLabel(names=["original", "rendered", "placeholder"])})
    with HubFolderWriter(out) as folder:
        with folder.config("image_centric", feats) as rows:
            for i, source in enumerate(sources):
                rows.write({"id": str(i), "image_source": source})
        folder.write_card(pretty_name="Toy", version="0.0.1", body="# Toy\n")
    return out


class _FakeApi:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return type("Info", (), {"commit_url": "https://hub.test/commit/1"})()
        return record


def test_push_refuses_placeholders_unless_allowed(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    folder = _placeholder_dataset(tmp_path, ["placeholder"] * 3 + ["original"])
    assert count_placeholders(folder) == (3, 4)
    plan = plan_push(folder, "me/vsc")
    assert plan.placeholder_images == 3
    assert any("3 of 4 images are placeholders" in w and "--allow-placeholders" in w
               for w in plan.warnings)
    api = _FakeApi()
    with pytest.raises(HubPublishError, match="3 of 4 images are placeholders.*"
                       "--allow-placeholders"):
        push(folder, "me/vsc", api=api)
    assert api.calls == []  # refused before anything was created or uploaded
    push(folder, "me/vsc", api=api, allow_placeholders=True)
    assert "upload_folder" in api.calls
    clean = _placeholder_dataset(tmp_path / "clean", ["original"] * 2)
    assert plan_push(clean, "me/vsc").warnings == () and count_placeholders(clean) == (0, 2)


def test_push_dry_run_plan_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _placeholder_dataset(tmp_path, ["placeholder", "original"])
    assert main(["push", str(folder), "me/vsc", "--dry-run"]) == 2  # as the real push (issue 25)
    printed = capsys.readouterr()
    assert "warning: 1 of 2 images are placeholders" in printed.out
    assert "error: the push would be refused" in printed.err
    assert main(["push", str(folder), "me/vsc", "--dry-run", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["placeholder_images"] == 1
    assert main(["push", str(folder), "me/vsc", "--dry-run", "--allow-placeholders"]) == 0


def test_build_says_how_many_placeholders_by_cause(shared_data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "vsc", "--source", str(shared_data / "vscbench"),
                 "--xstest", str(shared_data / "xstest" / "xstest_prompts.csv"),
                 "--placeholders", "--image-size", "32", "--out", str(tmp_path / "vsc")]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out[out.index("{"):])
    assert summary["placeholder_images"] == {"total": 3600, "missing": 0, "corrupt": 0,
                                             "not_given": 3600}
    assert "warning: 3600 of 3600 images are placeholders (3600 not given)" in err


def test_plots_from_placeholder_data_are_marked(tmp_path: Path) -> None:
    from PIL import Image

    from vlmsafety.report.marks import mark_plot, placeholder_note

    results = {"dataset": {"image_source": {"image_centric": {"placeholder": 5, "original": 5}}}}
    note = placeholder_note(results)
    assert note == "PLACEHOLDER IMAGES: 5 of 10 rows - not a measurement of any model"
    png = tmp_path / "p.png"
    Image.new("RGB", (300, 200), "white").save(png)
    mark_plot(png, note)
    with Image.open(png) as im:
        assert im.height > 200 and im.getpixel((2, 2)) == (198, 40, 40)  # the red band
        assert im.getpixel((150, 150)) == (255, 255, 255)  # the plot below, unchanged
