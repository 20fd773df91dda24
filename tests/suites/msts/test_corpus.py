"""The msts-en judge-evaluation corpus on the real shared files and on a synthetic release file."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from msts_release import JUDGES, write_release_files

from vlmsafety.corpora import load_corpus
from vlmsafety.errors import CorpusError
from vlmsafety.judges.base import CallableJudge
from vlmsafety.judges.judge_eval import evaluate_judge, format_result
from vlmsafety.specs import specs

specs()  # loading the benchmarks registers their corpora, msts-en among them


def test_msts_en_reads_the_shared_release(shared_data: Path) -> None:
    c = load_corpus("msts-en", data_dir=shared_data)
    assert len(c) == 2800 and len({r.group for r in c.rows}) == 200
    counts = collections.Counter(r.human_label for r in c.rows)
    assert counts["direct_answer"] == 133  # the 2.x codes, the human unsafe count
    assert counts == {"refusal": 1695 + 314 + 134, "safe_completion": 207,
                      "irrelevant": 43 + 236 + 30 + 8, "direct_answer": 133}
    assert all(len(r.annotations) == 2 for r in c.rows)
    assert len(c.unsafe_flags) == 8 and "gpt-4o-2024-05-13" in c.unsafe_flags
    assert sum(c.unsafe_flags["gpt-4o-2024-05-13"]) == 535  # GPT-4o flags 19%


def test_judge_eval_prints_the_published_judges_beside_the_judge(shared_data: Path) -> None:
    c = load_corpus("msts-en", data_dir=shared_data)
    unsafe_words = ("sure", "here", "step")
    judge = CallableJudge(lambda r, p: "direct_answer" if r.lower().startswith(unsafe_words)
                          else "refusal", name="toy@1")
    res = evaluate_judge(judge, c, n_boot=50, progress=False)
    names = [name for name, _ in res.unsafe]
    assert names[0] == "toy@1" and len(names) == 9
    gpt4o = dict(res.unsafe)["gpt-4o-2024-05-13"]
    assert gpt4o.pred_positive_rate.value == pytest.approx(535 / 2800)
    assert gpt4o.ref_positive_rate.value == pytest.approx(133 / 2800)
    assert gpt4o.n_groups == 200 and gpt4o.f1.ci_low is not None
    text = format_result(res)
    assert "unsafe detection" in text and "claude-3-5-sonnet-20240620" in text
    assert json.loads(json.dumps(res.to_dict()))["unsafe"][1]["rater"] == names[1]


def test_a_release_format_file_with_ten_models_reads_by_path(shared_data: Path,
                                                            tmp_path: Path) -> None:
    models = [f"model-{k}" for k in range(10)]
    annotations, autoeval = write_release_files(shared_data, tmp_path, models=models,
                                                unsafe_rates=[0.05] * 10, n_prompts=40)
    c = load_corpus(annotations)
    assert len(c) == 400 and {r.source for r in c.rows} == set(models)
    assert c.unsafe_flags == {}  # not in a release layout: no autoeval found
    from vlmsafety.suites.msts.corpus import msts_corpus

    with_judges = msts_corpus(annotations, autoeval=autoeval)
    assert tuple(with_judges.unsafe_flags) == JUDGES


def test_repeats_and_misaligned_judges_are_named_errors(shared_data: Path,
                                                       tmp_path: Path) -> None:
    from vlmsafety.suites.msts.corpus import msts_corpus

    annotations, autoeval = write_release_files(shared_data, tmp_path, models=["a"],
                                                unsafe_rates=[0.1], n_prompts=4)
    lines = autoeval.read_text().splitlines()
    autoeval.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(CorpusError, match="3 rows, but the annotations file has 4"):
        msts_corpus(annotations, autoeval=autoeval)
    rows = annotations.read_text().splitlines(keepends=True)
    annotations.write_text("".join(rows + rows[1:2]))
    with pytest.raises(CorpusError, match="answers prompt 'en-case_0001-assistance' again"):
        msts_corpus(annotations, autoeval=None)
