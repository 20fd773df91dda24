"""The learned judge's development data: msts-en through the one MSTS mapping, its model folds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from vlmsafety.errors import CorpusError
from vlmsafety.judges.devdata import DEV_CORPORA, read_dev_corpus, split_by_unit
from vlmsafety.suites.msts.labels import map_taxonomy
from vlmsafety.suites.msts.release import read_annotations


def test_msts_en_is_mapped_by_the_msts_table_and_split_by_model(shared_data: Path) -> None:
    ts = read_dev_corpus("msts-en", shared_data)
    rows = read_annotations(shared_data / "msts/data/response_annotations/english_multimodal.csv")
    assert len(ts.texts) == len(rows) == 2800
    assert list(ts.labels) == [map_taxonomy(r.final_taxonomy) for r in rows]
    counts = Counter(ts.labels)
    assert counts["direct_answer"] == 133  # MSTS's unsafe responses, no more, no less
    assert int(ts.y.sum()) == counts["refusal"]
    splits = split_by_unit(ts)
    assert len(splits) == 7
    for unit, rest, held in splits:
        assert set(held.units) == {unit} and unit not in rest.units
        assert len(rest.texts) + len(held.texts) == 2800 and len(held.texts) == 400


def test_text_corpora_are_one_fold_each(shared_data: Path) -> None:
    ts = read_dev_corpus("xstest-gpt4", shared_data)
    assert len(ts.texts) == 450 and set(ts.units) == {"xstest-gpt4"} and split_by_unit(ts) == []
    with pytest.raises(CorpusError, match="allowed: " + ", ".join(DEV_CORPORA)):
        read_dev_corpus("mossbench", shared_data)
