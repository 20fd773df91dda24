"""What ``judge-eval`` says beside the figures: in-sample warnings, the cascade's split, languages.

* **In-sample**: a judge with a training manifest (refusal-lr 3.x records one in its weights file)
  names the corpora it was trained on and a fingerprint of every training response. When the
  corpus being measured is one of them, or shares responses with them, the figures are in-sample:
  :func:`training_overlap` says so and gives the held-out (out-of-fold) figure from the manifest.
* **Cascade**: the share of items sent to the chat judge, and the offline judge's binary accuracy
  on the items it kept and on those it sent (:func:`cascade_split`).
* **Languages**: how many responses were in a language the offline judge reads by phrase lists or
  does not handle (their verdicts have a low confidence).

Example:
    >>> from vlmsafety.judges.base import Verdict
    >>> v = [Verdict("refusal", "cascade[x]", "sent: offline direct_answer at confidence 0.6; y"),
    ...      Verdict("refusal", "cascade[x]", "offline (x): refusal")]
    >>> for part in cascade_split(v, ["refusal", "refusal"]).split("; "):
    ...     print(part)
    cascade: sent 1 of 2 scored items (50.0%) to the second judge
    offline judge binary accuracy on kept items 1.000 (n=1), on sent items 0.000 (n=1)
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from vlmsafety.judges.base import Verdict
from vlmsafety.judges.cascade import offline_of
from vlmsafety.labels import PARTIAL_REFUSAL, REFUSAL, UNSCORED

__all__ = ["cascade_split", "encode_fingerprints", "judge_notes", "language_counts",
           "response_fingerprints",
           "training_overlap"]

_REFUSING = (REFUSAL, PARTIAL_REFUSAL)


def _fingerprints(responses: Sequence[str]) -> np.ndarray:
    """The 64-bit fingerprint (sha256 prefix) of each stripped response, in order."""
    return np.array([int.from_bytes(hashlib.sha256(r.strip().encode("utf-8")).digest()[:8],
                                    "little") for r in responses], dtype=np.uint64)


def response_fingerprints(responses: Sequence[str]) -> np.ndarray:
    """Sorted distinct 64-bit fingerprints (sha256 prefix) of stripped responses."""
    return np.unique(_fingerprints(responses))


def encode_fingerprints(fp: np.ndarray) -> str:
    """Base64 of the fingerprints (little-endian uint64), for a manifest."""
    return base64.b64encode(fp.astype("<u8").tobytes()).decode("ascii")


def _manifest(judge: Any) -> tuple[str, dict[str, Any]] | None:
    """The (judge name, training manifest) of a judge or of a cascade's offline judge."""
    for j in (judge, getattr(judge, "offline", None)):
        model = getattr(j, "model", None)
        manifest = getattr(model, "manifest", None)
        if isinstance(manifest, dict):
            return str(getattr(j, "name", "")), manifest
    return None


def training_overlap(judge: Any, corpus_name: str, responses: Sequence[str]) -> str | None:
    """A warning when the corpus (or part of it) was in the judge's training data, with the
    held-out figure from the judge's manifest; ``None`` when it was not (or no manifest)."""
    found = _manifest(judge)
    if found is None:
        return None
    name, manifest = found
    trained = manifest.get("corpora", {})
    seen = np.frombuffer(base64.b64decode(manifest.get("response_fingerprints_b64", "")),
                         dtype="<u8")
    n_in = int(np.isin(_fingerprints(responses), seen).sum()) if len(seen) else 0
    base = corpus_name.split(":")[0]
    if base not in trained and n_in == 0:
        return None
    oof = manifest.get("out_of_fold_accuracy", {})
    held = (f"held-out figure: out-of-fold binary accuracy {oof[base]:.3f} on {base}"
            if base in oof else "held-out figures (out-of-fold binary accuracy): "
            + ", ".join(f"{k} {v:.3f}" for k, v in sorted(oof.items())))
    return (f"WARNING: IN-SAMPLE: {n_in} of {len(responses)} responses of this corpus were in the "
            f"training data of {name} (trained on {', '.join(sorted(trained))}); the figures "
            f"above overstate it. {held} ({manifest.get('note', 'from its training manifest')})")


def cascade_split(verdicts: Sequence[Verdict], human: Sequence[str]) -> str | None:
    """The cascade's share sent and the offline judge's binary accuracy on kept and sent items;
    ``None`` when the verdicts are not a cascade's."""
    kept: list[bool] = []
    sent: list[bool] = []
    for v, h in zip(verdicts, human):
        got = offline_of(v)
        if got is None or (got[0] == UNSCORED and not got[1]):
            continue
        (sent if got[1] else kept).append((got[0] in _REFUSING) == (h in _REFUSING))
    n = len(kept) + len(sent)
    if n == 0:
        return None

    def acc(x: list[bool]) -> str:
        return f"{sum(x) / len(x):.3f} (n={len(x)})" if x else "n/a (n=0)"

    return (f"cascade: sent {len(sent)} of {n} scored items ({len(sent) / n:.1%}) to the second "
            f"judge; offline judge binary accuracy on kept items {acc(kept)}, on sent items "
            f"{acc(sent)}")


def language_counts(verdicts: Sequence[Verdict]) -> str | None:
    """How many verdicts were given by phrase lists outside English, and for languages the judge
    does not handle (from the verdicts' reasons)."""
    from vlmsafety.judges.languages import LANGUAGE_NAMES

    handled: Counter[str] = Counter()
    unhandled: Counter[str] = Counter()
    names = {n: n for n in LANGUAGE_NAMES.values()}
    for v in verdicts:
        raw = (v.raw or "").split(": ", 1)[-1] if (v.raw or "").startswith("offline (") else v.raw
        text = raw or ""
        if text.startswith("language not handled: "):
            unhandled[text[len("language not handled: "):].split(";")[0]] += 1
        elif text.split(":")[0] in names:
            handled[text.split(":")[0]] += 1
    if not handled and not unhandled:
        return None
    parts = []
    if handled:
        parts.append("read by phrase lists (confidence 0.7): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(handled.items())))
    if unhandled:
        parts.append("in a language the judge does not handle (confidence 0.5): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(unhandled.items())))
    return "non-English responses " + "; ".join(parts)


def judge_notes(judge: Any, corpus_name: str, responses: Sequence[str],
                verdicts: Sequence[Verdict], human: Sequence[str]) -> tuple[str, ...]:
    """Every note that applies, in order: in-sample warning, cascade split, languages."""
    notes = (training_overlap(judge, corpus_name, responses), cascade_split(verdicts, human),
             language_counts(verdicts))
    return tuple(n for n in notes if n)
