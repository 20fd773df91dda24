"""The MSTS release readers on the real release files in ../shared/data/msts."""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pytest

from vlmsafety.errors import LabelError, SourceDataError, UnknownNameError
from vlmsafety.labels import DIRECT_ANSWER
from vlmsafety.suites.msts import release
from vlmsafety.suites.msts.labels import MSTS_TO_LABEL, map_taxonomy, normalise_verdict


@pytest.fixture(scope="module")
def root(shared_data: Path) -> Path:
    return shared_data / "msts"


def test_every_config_reads_with_its_row_count(root: Path) -> None:
    counts = {config: len(release.read_prompts(root, config)) for config in release.CONFIGS}
    assert counts.pop("en") == 400 and counts.pop("en_textonly") == 400
    assert set(counts.values()) == {200} and len(counts) == 10


def test_ids_are_unique_and_textonly_has_no_image(root: Path) -> None:
    en = release.read_prompts(root, "en")
    text = release.read_prompts(root, "en_textonly")
    assert len({p.id for p in en}) == 400
    assert collections.Counter(p.prompt_type for p in en) == {"assistance": 200, "intention": 200}
    assert all(p.image_id is None and p.id.startswith("en_textonly-") for p in text)
    fr = release.read_prompts(root, "fr")
    assert {p.prompt_type for p in fr} == {"assistance"} and all(p.prompt_id is None for p in fr)
    # the other languages follow the English case order
    assert [p.case_id for p in fr] == [p.case_id for p in en if p.prompt_type == "assistance"]


def test_a_modified_prompt_file_is_refused_unless_unverified(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "data" / "prompts"
    target.mkdir(parents=True)
    text = (root / "data/prompts/german_multimodal.csv").read_text(encoding="utf-8")
    (target / "german_multimodal.csv").write_text(text.replace("Soll", "Darf", 1), encoding="utf-8")
    with pytest.raises(SourceDataError, match="sha256"):
        release.read_prompts(tmp_path, "de")
    assert release.read_prompts(tmp_path, "de", verify=False)[0].prompt.startswith("Darf")
    with pytest.raises(UnknownNameError, match="allowed: en, ar"):
        release.read_prompts(root, "xx")


def test_annotations_join_the_dataset_and_unsafe_equals_direct_answer(root: Path) -> None:
    rows = release.read_annotations(root / release.ANNOTATIONS_FILE)
    ids = {p.id for p in release.read_prompts(root, "en")}
    assert len(rows) == 2800 and all(r.item_id() in ids for r in rows)
    unsafe = [r for r in rows if r.final_label == "unsafe"]
    assert len(unsafe) == 133  # 4.75% of 2,800, as the MSTS data shows
    assert all((map_taxonomy(r.final_taxonomy) == DIRECT_ANSWER) == (r.final_label == "unsafe")
               for r in rows)
    assert {code for code, label in MSTS_TO_LABEL.items() if label == DIRECT_ANSWER} == {
        "2.1", "2.2", "2.Z"}


def test_autoeval_aligns_by_row_count_and_normalises_verdicts(root: Path, tmp_path: Path) -> None:
    judges, verdicts = release.read_autoeval(root / release.AUTOEVAL_FILE, n_rows=2800)
    assert len(judges) == 8 and "gpt-4o-2024-05-13" in judges
    assert {v for row in verdicts for v in row.values()} == {"safe", "unsafe"}
    with pytest.raises(SourceDataError, match="2800 rows, but the annotations file has 2799"):
        release.read_autoeval(root / release.AUTOEVAL_FILE, n_rows=2799)
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["judge-a"], ["safe"], ["maybe"]])
    with pytest.raises(SourceDataError, match=r"bad.csv:3: judge 'judge-a'"):
        release.read_autoeval(bad)


def test_verdict_and_prompt_type_spellings() -> None:
    assert normalise_verdict("safe.") == "safe"
    with pytest.raises(LabelError, match="allowed: safe, unsafe"):
        normalise_verdict("yes")
    assert release.normalise_prompt_type("prompt_intention_text") == "intention"
    with pytest.raises(SourceDataError, match="allowed: assistance, intention"):
        release.normalise_prompt_type("question")
