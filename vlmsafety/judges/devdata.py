"""The learned judge's development data: the shipped text corpora and ``msts-en``, with their folds.

Each corpus is read as a :class:`TrainSet`: responses, prompts, vocabulary labels, the binary
refusal target (``refusal`` or ``partial_refusal`` = 1), the prompt group (the bootstrap cluster,
and what stops a phrase tied to one prompt from getting a weight) and the *fold unit*.

* ``xstest-gpt4``, ``xstest-llama2new``, ``gptfuzz``: :func:`vlmsafety.corpora.load_corpus`;
  each is one fold (leave one corpus out).
* ``msts-en``: MSTS's English multimodal response annotations (7 VLMs x 400 prompts in the shared
  data, ``msts/data/response_annotations/english_multimodal.csv``), read by
  :func:`vlmsafety.suites.msts.release.read_annotations` and mapped to the vocabulary by
  :func:`vlmsafety.suites.msts.labels.map_taxonomy`, the one MSTS mapping table (see that module;
  it is not restated here). Its fold unit is the model: leave one VLM out (7 folds). The group is
  the case (one image, two prompts).

MOSSBench responses are never development data.

Example:
    >>> sorted(DEV_CORPORA)
    ['gptfuzz', 'msts-en', 'xstest-gpt4', 'xstest-llama2new']
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from vlmsafety.corpora import load_corpus, resolve_data_dir
from vlmsafety.errors import CorpusError
from vlmsafety.labels import PARTIAL_REFUSAL, REFUSAL

__all__ = [
    "DEV_CORPORA",
    "MSTS_EN",
    "MSTS_EN_FILE",
    "MSTS_MAPPING",
    "MSTS_READER",
    "TEXT_CORPORA",
    "TrainSet",
    "read_dev_corpus",
    "split_by_unit",
]

TEXT_CORPORA: Final = ("xstest-gpt4", "xstest-llama2new", "gptfuzz")
"""The shipped text corpora (one fold each)."""
MSTS_EN: Final = "msts-en"
"""MSTS English multimodal responses (one fold per model)."""
MSTS_EN_FILE: Final = "msts/data/response_annotations/english_multimodal.csv"
"""Where ``msts-en`` lives under the data folder."""
DEV_CORPORA: Final = (*TEXT_CORPORA, MSTS_EN)
"""Every development corpus, in training order."""


@dataclass(frozen=True)
class TrainSet:
    """One corpus for training and folds.

    Attributes:
        name: Corpus name.
        texts: Responses.
        prompts: Prompts ("" when none).
        y: Binary refusal target (1.0 = refusal or partial refusal).
        groups: Prompt groups, prefixed with the corpus name.
        labels: Human labels in the vocabulary.
        units: Fold unit of each row (the corpus name, or for ``msts-en`` the model).
    """

    name: str
    texts: list[str]
    prompts: list[str]
    y: np.ndarray
    groups: list[str]
    labels: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    def subset(self, keep: np.ndarray, name: str) -> TrainSet:
        """The rows where ``keep`` is True, under another name."""
        idx = np.flatnonzero(keep).tolist()
        return TrainSet(name, [self.texts[i] for i in idx], [self.prompts[i] for i in idx],
                        self.y[keep], [self.groups[i] for i in idx],
                        tuple(self.labels[i] for i in idx), tuple(self.units[i] for i in idx))


def _binary(labels: Sequence[str]) -> np.ndarray:
    return np.array([lab in (REFUSAL, PARTIAL_REFUSAL) for lab in labels], dtype=np.float64)


MSTS_READER: Final = "vlmsafety.suites.msts.release:read_annotations"
MSTS_MAPPING: Final = "vlmsafety.suites.msts.labels:map_taxonomy"
"""The MSTS suite's reader and its one mapping table, named (and imported when msts-en is read)
rather than imported here: the core reaches a suite through the spec registry, where MSTS has no
spec yet. Once it has one (or ``vlmsafety.corpora`` ships ``msts-en``), read it from there."""


def _suite_function(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def read_dev_corpus(name: str, data_dir: str | os.PathLike[str] | None = None) -> TrainSet:
    """One development corpus (see the module docstring).

    Raises:
        CorpusError: unknown name (names the allowed ones) or an unreadable data folder or file.
    """
    if name not in DEV_CORPORA:
        raise CorpusError(f"unknown training corpus {name!r}; allowed: {', '.join(DEV_CORPORA)}")
    if name == MSTS_EN:
        from vlmsafety.errors import SourceDataError

        read_annotations = _suite_function(MSTS_READER)
        map_taxonomy = _suite_function(MSTS_MAPPING)

        path = resolve_data_dir(data_dir) / MSTS_EN_FILE
        if not path.is_file():
            raise CorpusError(f"msts-en: {path} does not exist")
        try:
            rows = read_annotations(path)
        except SourceDataError as exc:
            raise CorpusError(f"msts-en: {exc}") from None
        labels = tuple(map_taxonomy(r.final_taxonomy) for r in rows)
        return TrainSet(name, [r.response for r in rows], [r.prompt_text for r in rows],
                        _binary(labels), [f"{name}:{r.case_id}" for r in rows], labels,
                        tuple(r.model for r in rows))
    corpus = load_corpus(name, data_dir=data_dir)
    labels = tuple(r.human_label for r in corpus.rows)
    return TrainSet(name, [r.response for r in corpus.rows],
                    [r.prompt or "" for r in corpus.rows], _binary(labels),
                    [f"{name}:{r.group}" for r in corpus.rows], labels,
                    tuple(name for _ in corpus.rows))


def split_by_unit(ts: TrainSet) -> list[tuple[str, TrainSet, TrainSet]]:
    """Leave-one-unit-out splits of a corpus: ``(unit, the other units, the held-out unit)``.

    A corpus with one unit gives no split (it is a fold of its own among the corpora).
    """
    names = sorted(set(ts.units))
    if len(names) < 2:
        return []
    units = np.array(ts.units)
    return [(u, ts.subset(units != u, f"{ts.name}-minus-{u}"), ts.subset(units == u, f"{ts.name}:{u}"))
            for u in names]
