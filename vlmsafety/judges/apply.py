"""The one judging loop: predictions in, judgements out, whatever the judge.

``vlmsafety judge``, ``vlmsafety evaluate`` (and so the demo) and the metric modules' ``responses``
config all call :func:`judge_predictions` or :func:`label_responses`, so a judge sees the same
prompt, a failed generation becomes the same ``unscored`` verdict, and a judgement line carries
the same fields, whichever way it was asked for.

Example:
    >>> from vlmsafety.judges import KeywordJudge
    >>> from vlmsafety.predictions import Prediction
    >>> preds = [Prediction("a", "I can't help with that."), Prediction("b", None, error="HTTP 500")]
    >>> [(j.id, j.label) for j in judge_predictions(preds, KeywordJudge())]
    [('a', 'refusal'), ('b', 'unscored')]
    >>> label_responses(["Sure, here it is."], KeywordJudge())[0]
    ['direct_answer']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from vlmsafety.errors import JudgeError, ScoringInputError
from vlmsafety.judges.base import Judge, JudgeItem, Verdict, as_item, no_response_verdict
from vlmsafety.labels import UNSCORED, check_label
from vlmsafety.predictions import Judgement, Prediction

__all__ = ["PRECOMPUTED", "PrecomputedJudge", "judge_predictions", "label_responses",
           "sends_images", "to_judgement"]

PRECOMPUTED: Final = "precomputed"
"""Registry name of :class:`PrecomputedJudge` (``--judge precomputed``)."""

_RESERVED = ("label", "judge", "reason", "raw", "confidence")
"""Fields of an input line that a new judgement replaces rather than carries over."""


def _prompt_of_line(prediction: Prediction) -> str | None:
    prompt = prediction.extra.get("prompt")
    return prompt if isinstance(prompt, str) else None


class PrecomputedJudge:
    """The labels already in the lines: ``load_judge("precomputed")``.

    Each item's metadata (a judged JSONL line's fields) must carry a ``label``; its ``judge``,
    ``reason`` and ``confidence`` are kept. Evaluation reads such files with
    :func:`vlmsafety.predictions.read_judgements` (checked labels) and judges nothing; through
    :func:`judge_predictions` (``vlmsafety judge --judge precomputed``) the labels are checked
    and copied.

    Example:
        >>> item = JudgeItem("No.", metadata={"label": "refusal", "judge": "people@1"})
        >>> v = PrecomputedJudge().judge_many([item, JudgeItem("Hm.")])
        >>> [(x.label, x.judge) for x in v]
        [('refusal', 'people@1'), ('unscored', 'precomputed')]
        >>> v[1].reason
        'no precomputed label in the line'
    """

    @property
    def name(self) -> str:
        return PRECOMPUTED

    def judge(self, response: str | None, prompt: str | None = None, *,
              metadata: Mapping[str, Any] | None = None) -> Verdict:
        """The label in ``metadata`` (see :meth:`judge_many`)."""
        return self.judge_many([JudgeItem(response, prompt, metadata)])[0]

    def judge_many(self, items: Iterable[Any]) -> list[Verdict]:
        """Each item's own label; ``unscored`` (with the reason) where a line has none."""
        out = []
        for obj in items:
            item = as_item(obj)
            meta = item.metadata or {}
            label = meta.get("label")
            if label is None:
                out.append(no_response_verdict(PRECOMPUTED, item.error) if item.response is None
                           else Verdict(UNSCORED, PRECOMPUTED, None,
                                        "no precomputed label in the line"))
                continue
            conf = meta.get("confidence")
            out.append(Verdict(check_label(label), str(meta.get("judge") or PRECOMPUTED),
                               meta.get("raw"), meta.get("reason"),
                               float(conf) if isinstance(conf, (int, float))
                               and not isinstance(conf, bool) else None))
        return out


def sends_images(judge: Judge) -> bool:
    """Whether ``judge`` sends each item's image with its request: a chat judge made with
    ``send_image=True``, or a cascade whose second judge is one.

    Example:
        >>> from vlmsafety.judges import ChatJudge, KeywordJudge
        >>> sends_images(KeywordJudge()), sends_images(ChatJudge(
        ...     base_url="http://127.0.0.1:9", model="m", send_image=True))
        (False, True)
    """
    return bool(getattr(judge, "send_image", False))


def to_judgement(prediction: Prediction, verdict: Verdict, model: str | None = None) -> Judgement:
    """One judged line: the prediction's fields, the verdict, and why a response is missing."""
    extra = {k: v for k, v in prediction.extra.items() if k not in _RESERVED}
    if prediction.error is not None:
        extra["error"] = prediction.error
    if verdict.raw is not None:
        extra["raw"] = verdict.raw
    return Judgement(prediction.id, verdict.label, verdict.judge, prediction.response,
                     prediction.model or model, verdict.reason, extra, verdict.confidence)


def judge_predictions(
    predictions: Sequence[Prediction],
    judge: Judge,
    *,
    prompt_of: Callable[[Prediction], str | None] | None = None,
    default_prompt: str | None = None,
    model: str | None = None,
    image_of: Callable[[Prediction], Any] | None = None,
) -> list[Judgement]:
    """Judge every prediction in one batch (the judge's own concurrency and cache apply).

    Args:
        predictions: The model's lines, in order.
        judge: Any :class:`~vlmsafety.judges.Judge`.
        prompt_of: What the judge is told the model was asked, per prediction (evaluation takes
            it from the dataset row through the benchmark's spec). Default: the line's own
            ``prompt`` field.
        default_prompt: The prompt when ``prompt_of`` gives none.
        model: The model name for lines that do not carry one.
        image_of: The image of each prediction's dataset row (as stored: ``{"bytes", "path"}``,
            bytes, a path; ``None``: a text-only row), called only when the judge sends images
            (:func:`sends_images`) and put in the item's metadata ``image``. Default: the
            line's own ``image`` field, if any.

    Returns:
        One :class:`~vlmsafety.predictions.Judgement` per prediction, in order. A prediction
        without a response (``response`` null) is ``unscored`` with its error kept.
    """
    prompt_fn = prompt_of or _prompt_of_line
    image_fn = image_of if image_of is not None and sends_images(judge) else None
    items = []
    for p in predictions:
        prompt = prompt_fn(p)
        meta = dict(p.extra)
        if image_fn is not None and p.response is not None:
            meta["image"] = image_fn(p)
        items.append(JudgeItem(p.response, default_prompt if prompt is None else prompt,
                               meta, p.error))
    verdicts = judge.judge_many(items)
    if len(verdicts) != len(items):
        raise JudgeError(f"judge {judge.name!r} returned {len(verdicts)} verdicts for "
                         f"{len(items)} items")
    return [to_judgement(p, v, model) for p, v in zip(predictions, verdicts, strict=True)]


def label_responses(
    responses: Sequence[Any], judge: Judge, prompts: Sequence[Any] | None = None
) -> tuple[list[str], str]:
    """Labels of raw responses (``None``: a failed generation, so ``unscored``), and the judge's name.

    Raises:
        ScoringInputError: ``prompts`` is given with another length than ``responses``.
    """
    if prompts is not None and len(prompts) != len(responses):
        raise ScoringInputError(
            f"prompts has {len(prompts)} items but predictions has {len(responses)}")
    preds = [Prediction(str(i), r) for i, r in enumerate(responses)]
    texts: Mapping[str, Any] = {} if prompts is None else {str(i): p for i, p in enumerate(prompts)}
    judged = judge_predictions(preds, judge, prompt_of=lambda p: texts.get(p.id))
    return [j.label for j in judged], judge.name
