"""One annotator's session over a drawn sample: what to show next, answer, skip, undo, resume.

The state lives in the append-only human-labels file alone: the session rebuilds its queue from
the file's records, so a restart resumes where the last answer left it.

* The queue is the sample in a seeded display order (models interleaved). A skipped item is
  followed by the next reserve item of its model and stratum, in draw order.
* The item on screen is the first item of the queue without a label or a skip.
* Undo retracts the latest answer or skip still in force (a ``retract`` record); the retracted
  item is shown again.

Example:
    >>> utc_now()[-1]
    'Z'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from vlmsafety.annotation.items import AnnotationSet, Item
from vlmsafety.errors import InvalidArgumentError, OutputExistsError
from vlmsafety.human_labels import HumanLabel, append_record, iter_records, response_sha256

__all__ = ["Session", "utc_now"]

_Key = tuple[str, str]  # (id, model)


def utc_now() -> str:
    """The current time, ISO 8601 UTC to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Session:
    """The annotation state of ``annotator`` over ``aset``, kept in the file ``out``.

    Raises:
        OutputExistsError: ``out`` holds records of another session (another annotator,
            benchmark, model, sample or response text); the message says which.
    """

    def __init__(self, aset: AnnotationSet, out: str | os.PathLike[str], annotator: str) -> None:
        if not annotator.strip():
            raise InvalidArgumentError("--annotator must not be empty")
        self.aset, self.out, self.annotator = aset, Path(out), annotator
        self.items = aset.items
        self.index: dict[_Key, int] = {(it.id, it.model): i for i, it in enumerate(self.items)}
        self.shas = [response_sha256(it.response) for it in self.items]
        sample = [i for i, it in enumerate(self.items) if it.in_sample]
        order = np.random.default_rng([aset.seed, 1]).permutation(len(sample))
        self.base_queue = [sample[j] for j in order]
        self.reserve: dict[tuple[str, str], list[int]] = {}
        for i, it in enumerate(self.items):
            if not it.in_sample:
                self.reserve.setdefault((it.model, it.stratum), []).append(i)
        self.records: list[HumanLabel] = []
        self.final: dict[_Key, HumanLabel] = {}
        if self.out.is_file():
            for rec in iter_records(self.out):
                self._check_own(rec)
                self._remember(rec)

    # ---------------------------------------------------------------- file ownership
    def _check_own(self, rec: HumanLabel) -> None:
        why = None
        i = self.index.get((rec.id, rec.model))
        if rec.annotator != self.annotator:
            why = f"annotator {rec.annotator!r}, not {self.annotator!r}"
        elif rec.benchmark != self.aset.spec.name:
            why = f"benchmark {rec.benchmark!r}, not {self.aset.spec.name!r}"
        elif i is None:
            why = (f"id {rec.id!r} of model {rec.model!r}, which is not among these "
                   f"predictions' items (models: {', '.join(self.aset.models)})")
        else:
            it = self.items[i]
            if (rec.stratum, rec.draw, rec.sampling_prob) != (it.stratum, it.draw,
                                                              it.sampling_prob):
                why = (f"id {rec.id!r} drawn as stratum {rec.stratum!r}, draw {rec.draw}, "
                       f"probability {rec.sampling_prob:g}; this sample has {it.stratum!r}, "
                       f"{it.draw}, {it.sampling_prob:g} (--seed, --n or --stratify differ)")
            elif rec.response_sha256 != self.shas[i]:
                why = f"a different response text for id {rec.id!r} of model {rec.model!r}"
            elif rec.dataset_revision != it.dataset_revision:
                why = (f"dataset revision {rec.dataset_revision!r}, not "
                       f"{it.dataset_revision!r}")
        if why:
            raise OutputExistsError(
                f"{self.out}: the file holds labels of another session ({why}); choose "
                "another --out, or resume with the same --dataset, --predictions, --annotator, "
                "--n, --stratify and --seed (--overwrite starts it afresh)")

    def _remember(self, rec: HumanLabel) -> None:
        self.records.append(rec)
        self.final[(rec.id, rec.model)] = rec

    # ---------------------------------------------------------------- queue
    def _state_of(self, i: int) -> str | None:
        it = self.items[i]
        rec = self.final.get((it.id, it.model))
        return None if rec is None or rec.action == "retract" else rec.action

    def queue(self) -> list[int]:
        """Item indices in display order: the sample, each skip followed by its replacement."""
        queue = list(self.base_queue)
        taken = {key: 0 for key in self.reserve}
        pos = 0
        while pos < len(queue):
            i = queue[pos]
            if self._state_of(i) == "skip":
                key = (self.items[i].model, self.items[i].stratum)
                pool = self.reserve.get(key, [])
                if taken.get(key, 0) < len(pool):
                    queue.insert(pos + 1, pool[taken[key]])
                    taken[key] += 1
            pos += 1
        return queue

    def current(self) -> int | None:
        """The index of the item to show, or ``None`` when everything is labelled or skipped."""
        return next((i for i in self.queue() if self._state_of(i) is None), None)

    # ---------------------------------------------------------------- actions
    def _record(self, i: int, action: str, label: str | None, note: str) -> None:
        it = self.items[i]
        rec = HumanLabel(it.id, it.model, label, self.annotator, self.aset.spec.name,
                         it.dataset_revision, self.shas[i], it.stratum, it.sampling_prob,
                         it.draw, utc_now(), note, action)  # type: ignore[arg-type]  # checked by append_record
        append_record(self.out, rec)
        self._remember(rec)

    def answer(self, token: int, action: str, label: str | None = None, note: str = "") -> bool:
        """Record ``label`` (or a skip) for the item ``token`` if it is the one on screen.

        Returns:
            False when ``token`` is not the current item (a stale page); nothing is written.

        Raises:
            InvalidArgumentError: an action other than label/skip, or a label outside the
                benchmark's label set.
        """
        if action not in ("label", "skip"):
            raise InvalidArgumentError(f"action {action!r}; allowed: label, skip")
        labels = self.aset.spec.labels
        if action == "label" and label not in labels:
            raise InvalidArgumentError(f"label {label!r}; allowed: {', '.join(labels)}")
        if token != self.current():
            return False
        self._record(token, action, label if action == "label" else None, note)
        return True

    def undo(self) -> bool:
        """Retract the latest answer or skip still in force; False when there is none."""
        for rec in reversed(self.records):
            key = (rec.id, rec.model)
            if self.final[key] is rec and rec.action != "retract":
                self._record(self.index[key], "retract", None, "")
                return True
        return False

    # ---------------------------------------------------------------- the page's view
    def progress(self) -> dict[str, int]:
        """Labelled, skipped and still to do (the sample's size is ``target``)."""
        states = [self._state_of(i) for i in self.queue()]
        return {"labelled": states.count("label"), "skipped": states.count("skip"),
                "remaining": states.count(None), "target": len(self.base_queue)}

    def state(self, *, with_judge: bool = True) -> dict[str, Any]:
        """What the page shows: the label choices, progress and the current item."""
        spec = self.aset.spec
        cur = self.current()
        item: Mapping[str, Any] | None = None
        if cur is not None:
            it: Item = self.items[cur]
            item = {"token": cur, "id": it.id, "model": it.model, "config": it.config,
                    "prompt": spec.judge_prompt(it.row), "response": it.response,
                    "image": f"/api/image/{cur}",
                    "judge_label": it.judge_label if with_judge else None}
        return {"benchmark": spec.name, "title": spec.title, "annotator": self.annotator,
                "labels": [{"label": k, "definition": v, "key": str(n)}
                           for n, (k, v) in enumerate(spec.labels.items(), start=1)],
                "progress": self.progress(), "item": item,
                "can_undo": any(r.action != "retract" and self.final[(r.id, r.model)] is r
                                for r in self.records),
                "out": str(self.out)}
