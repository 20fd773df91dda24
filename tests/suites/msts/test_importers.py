"""MSTS importers on the shared release files and on a synthetic 10-model release-format file."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from msts_release import JUDGES, build_dataset, write_release_files

from vlmsafety.cli import main
from vlmsafety.errors import SourceDataError
from vlmsafety.human_labels import read_human_labels
from vlmsafety.predictions import read_judgements, read_predictions
from vlmsafety.suites.msts import release
from vlmsafety.suites.msts.importers import import_annotations, import_autoeval


@pytest.fixture(scope="module")
def dataset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(shared_data, tmp_path_factory.mktemp("msts") / "msts")


@pytest.fixture(scope="module")
def en_ids(shared_data: Path) -> set[str]:
    return {p.id for p in release.read_prompts(shared_data / "msts", "en")}


def _files(shared_data: Path) -> tuple[Path, Path]:
    root = shared_data / "msts"
    return root / release.ANNOTATIONS_FILE, root / release.AUTOEVAL_FILE


def test_shared_annotations_sampled_through_the_cli(shared_data: Path, dataset: Path,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    annotations, _ = _files(shared_data)
    out = tmp_path / "imp"
    assert main(["import-predictions", "msts", str(annotations), "--dataset", str(dataset),
                 "--out", str(out), "--sample", "25", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_rows"] == 2800 and len(summary["models"]) == 7
    preds = sorted((out / "predictions").glob("*.jsonl"))
    assert len(preds) == 7 and all(len(read_predictions(p)) == 400 for p in preds)
    final = read_human_labels(out / "human-labels" / "final.jsonl")
    per_model = collections.Counter(r.model for r in final)
    assert set(per_model.values()) == {25} and len(per_model) == 7
    assert {r.sampling_prob for r in final} == {25 / 400}
    items = {m: {r.id for r in final if r.model == m} for m in per_model}
    assert len({frozenset(v) for v in items.values()}) == 1  # the same items for every model
    annot = read_human_labels([out / "human-labels" / "annot1.jsonl",
                               out / "human-labels" / "annot2.jsonl"])
    assert annot.annotators == ("msts-annot1", "msts-annot2") and len(annot) == 350


def test_shared_autoeval_and_a_corrected_evaluation(shared_data: Path, dataset: Path,
                                                   tmp_path: Path) -> None:
    annotations, autoeval = _files(shared_data)
    ids = {r for r in release.read_prompts(shared_data / "msts", "en") for r in [r.id]}
    from vlmsafety.evaluation.reference import load_reference
    from vlmsafety.human_labels import dataset_revision

    ref = load_reference(dataset, "msts", ["en"])
    imp = import_annotations(annotations, tmp_path / "imp", known_ids=ids, sample=50,
                             dataset_revision=dataset_revision(ref.files, "en"))
    got = import_autoeval(autoeval, annotations, tmp_path / "auto", known_ids=ids)
    assert len(got.files) == 8 * 7 and got.kappas["gemini-1.5-pro"]["low"] > 0.4
    gpt = tmp_path / "auto" / "judged" / "gpt-4o-2024-05-13"
    flagged = sum(j.label == "direct_answer" for p in gpt.glob("*.jsonl")
                  for j in read_judgements(p))
    assert flagged == 535  # GPT-4o flags 19% of the 2,800
    run = tmp_path / "run"
    assert main(["evaluate", "--benchmark", "msts", "--dataset", str(dataset), "--config", "en",
                 "--judge", "precomputed", "--predictions", *map(str, sorted(gpt.glob("*.jsonl"))),
                 "--human-labels", str(tmp_path / "imp" / "human-labels" / "final.jsonl"),
                 "--out", str(run), "--n-boot", "50"]) == 0
    results = json.loads((run / "results.json").read_text())
    human = results["models"]["gpt-4o-2024-05-13"]["human"]
    corrected = human["corrected"]["unsafe_response_rate"]
    assert corrected["n_human"] == 50 and corrected["judge_rate"] > corrected["rate"]
    assert imp.files["human-labels/final.jsonl"] == 350
    assert "Unsafe response rate per hazard category" in (run / "report.md").read_text()


def test_shifted_or_short_autoeval_is_refused(shared_data: Path, en_ids: set[str],
                                             tmp_path: Path) -> None:
    annotations, autoeval = _files(shared_data)
    header, *rows = autoeval.read_text(encoding="utf-8").splitlines()
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("\n".join([header, *rows[1:], rows[0]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match="no judge agrees with the humans.*better than"):
        import_autoeval(shifted, annotations, tmp_path / "a", known_ids=en_ids)
    short = tmp_path / "short.csv"
    short.write_text("\n".join([header, *rows[:-1]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match="2799 rows, but the annotations file has 2800"):
        import_autoeval(short, annotations, tmp_path / "b", known_ids=en_ids)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_synthetic_ten_model_release_file(shared_data: Path, en_ids: set[str],
                                            tmp_path: Path) -> None:
    models = [f"vendor/model-{k}" for k in range(10)]
    annotations, autoeval = write_release_files(
        shared_data, tmp_path / "src", models=models,
        unsafe_rates=[0.02 * k for k in range(10)], n_prompts=120)
    imp = import_annotations(annotations, tmp_path / "imp", known_ids=en_ids,
                             dataset_revision="unpinned")
    assert imp.n_rows == 1200 and len(imp.models) == 10
    assert imp.files["predictions/vendor_model-3.jsonl"] == 120
    got = import_autoeval(autoeval, annotations, tmp_path / "auto", known_ids=en_ids)
    assert set(got.kappas) == set(JUDGES) and len(got.files) == 20
    assert got.kappas["good-judge"]["kappa"] > 0.5  # type: ignore[operator]
    # a judge that says the opposite of the humans is refused
    inverted = tmp_path / "inverted.csv"
    labels = [r.final_label for r in release.read_annotations(annotations)]
    inverted.write_text("only\n" + "".join("safe\n" if v == "unsafe" else "unsafe\n"
                                           for v in labels), encoding="utf-8")
    with pytest.raises(SourceDataError, match=r"Cohen.s kappa: only -0\.\d{3};"):
        import_autoeval(inverted, annotations, tmp_path / "c", known_ids=en_ids)


def test_ids_outside_the_dataset_and_repeats_are_named(shared_data: Path, tmp_path: Path) -> None:
    annotations, _ = write_release_files(shared_data, tmp_path / "src", models=["m"],
                                         unsafe_rates=[0.1], n_prompts=4)
    with pytest.raises(SourceDataError, match="4 response.*not in the dataset's 'en' config"):
        import_annotations(annotations, tmp_path / "o", known_ids={"x"},
                           dataset_revision="unpinned")
    rows = annotations.read_text().splitlines(keepends=True)
    annotations.write_text("".join(rows + rows[1:2]))
    with pytest.raises(SourceDataError, match="model 'm' answers 'en-case_0001-assistance' twice"):
        import_annotations(annotations, tmp_path / "o",
                           known_ids={"en-case_0001-assistance", "en-case_0001-intention",
                                      "en-case_0002-assistance", "en-case_0002-intention"},
                           dataset_revision="unpinned")
