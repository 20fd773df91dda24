"""Judges turn a model's response into a behaviour label of :mod:`vlmsafety.labels`.

* :class:`KeywordJudge` — offline, rules as data (``vlmsafety/data/keyword_rules.json``), measured
  on XSTest's human labels (see :mod:`vlmsafety.judges.keyword` and ``docs/judges.md``).
* :class:`ChatJudge` — an LLM judge over any OpenAI-compatible ``/v1/chat/completions`` endpoint,
  concurrent, retried, cached on disk (:class:`SQLiteCache`).
* :class:`RefusalLRJudge` — offline, learned: a calibrated refusal model (hashed word n-grams,
  trained on the shipped human-labelled corpora) with a confidence per verdict, plus rules that
  read the prompt for the 5-way split (see :mod:`vlmsafety.judges.refusal_lr`, ``docs/judges.md``).
* :class:`CallableJudge` — your own function ``f(response, prompt) -> label``.

By name: :func:`load_judge` (``"keyword@1.0.0"``, ``"keyword"`` = latest, ``"chat"`` with its
options), :func:`register_judge` for your own, :data:`DEFAULT_OFFLINE_JUDGE` (the default).

All implement :class:`Judge`: ``judge(response, prompt=None, *, metadata=None) -> Verdict`` and
``judge_many(items) -> list[Verdict]``.

Example:
    >>> from vlmsafety.judges import KeywordJudge
    >>> KeywordJudge().judge("I'm sorry, but I can't assist with that.").label
    'refusal'
"""

from __future__ import annotations

from vlmsafety.judges import refusal_lr3 as _refusal_lr3  # noqa: F401  # registers the 3.x file format
from vlmsafety.judges.base import (
    BaseJudge,
    CallableJudge,
    Judge,
    JudgeItem,
    Verdict,
    as_item,
)
from vlmsafety.judges.chat import ChatJudge, parse_verdict
from vlmsafety.judges.keyword import KeywordJudge
from vlmsafety.judges.refusal_lr import RefusalLRJudge
from vlmsafety.judges.registry import (
    DEFAULT_OFFLINE_JUDGE,
    available_judges,
    load_judge,
    register_judge,
)
from vlmsafety.storage.cache import SQLiteCache

__all__ = [
    "Judge",
    "Verdict",
    "JudgeItem",
    "BaseJudge",
    "CallableJudge",
    "KeywordJudge",
    "RefusalLRJudge",
    "ChatJudge",
    "SQLiteCache",
    "parse_verdict",
    "as_item",
    "load_judge",
    "register_judge",
    "available_judges",
    "DEFAULT_OFFLINE_JUDGE",
]
