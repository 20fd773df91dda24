"""Judges by name: ``load_judge("keyword@1.0.0")``, ``register_judge(name, factory)``.

:func:`load_judge` is the one place a judge's name is resolved: ``vlmsafety judge``, ``judge-eval``,
``evaluate`` (its ``--judge`` and :class:`~vlmsafety.evaluation.EvaluationRequest`'s ``judge``) and
the demo all call it, for the offline judges, ``chat``, ``cascade`` and ``precomputed`` alike.

A judge's registry name is ``<base>@<version>`` (``keyword@1.0.0``) or a bare ``<base>`` for a
judge whose identity is set by its options (``chat``: the model and rubric are options, and the
verdicts name them). ``load_judge("keyword")`` gives the latest registered version of
``keyword``; ``load_judge("keyword@1.0.0")`` exactly that one, which must stay reproducible.
Options are passed to the factory (``load_judge("chat", base_url=..., model=...)``); an option
the factory does not take is an error naming the ones it does. ``defaults`` are options given only
to a judge that takes them (a command line passes the benchmark's rubric ``scheme`` and its cache
this way, whichever judge is named).

:data:`DEFAULT_OFFLINE_JUDGE` names the offline judge used where none is chosen.

Example:
    >>> from vlmsafety.judges.registry import available_judges, load_judge
    >>> load_judge("keyword@1.0.0").name
    'keyword@1.0.0'
    >>> "chat" in available_judges() and "precomputed" in available_judges()
    True
    >>> load_judge("keyword", defaults={"scheme": "vsc"}).name  # keyword takes no scheme
    'keyword@1.0.0'
    >>> load_judge("keyword@0.9")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.JudgeError: unknown judge 'keyword@0.9'; allowed: ...'keyword@1.0.0'...
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from vlmsafety.errors import JudgeError
from vlmsafety.judges.base import Judge

__all__ = [
    "DEFAULT_OFFLINE_JUDGE",
    "JudgeFactory",
    "available_judges",
    "judge_options",
    "load_judge",
    "register_judge",
]

JudgeFactory = Callable[..., Judge]
"""Makes a judge from keyword options."""

REFUSAL_LR_SHA8: Final = "90c68109"
"""First 8 hex digits of the sha256 of the packaged refusal-lr@2.0.0 weights (part of its name)."""
REFUSAL_LR3_SHA8: Final = "e813c6e3"
"""First 8 hex digits of the sha256 of the packaged refusal-lr@3.0.0 weights (part of its name)."""
REFUSAL_LR31_SHA8: Final = "d998424b"
"""First 8 hex digits of the sha256 of the packaged refusal-lr@3.1.0 weights (part of its name)."""

DEFAULT_OFFLINE_JUDGE: Final = f"refusal-lr@3.1.0+{REFUSAL_LR31_SHA8}"
"""The offline judge used by default (``vlmsafety judge``, ``judge-eval``, ``evaluate``, the demo,
the cascade's first pass and the metric modules' ``responses`` config). Why this one:
``docs/judges.md``, "The default judge"."""

_NAME = re.compile(r"^[a-z][a-z0-9_.-]*(@[0-9A-Za-z][0-9A-Za-z.+-]*)?$")
_REGISTRY: dict[str, dict[str, JudgeFactory]] = {}


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions numerically part by part ("1.10.0" after "1.9.0")."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.+-]", version))


def register_judge(name: str, factory: JudgeFactory, *, replace: bool = False) -> None:
    """Register a judge under ``name`` (``"base@version"``, or ``"base"`` for option-defined ones).

    Args:
        name: Lower-case base name, optionally ``@version``.
        factory: Called with :func:`load_judge`'s options; returns a :class:`Judge`.
        replace: Allow replacing a name already registered (never needed for new versions).

    Raises:
        JudgeError: a malformed name, a factory that is not callable, or a name already taken.

    Example:
        >>> from vlmsafety.judges.base import CallableJudge
        >>> register_judge("always-refuse@1", lambda: CallableJudge(lambda r, p: "refusal",
        ...                                                         name="always-refuse@1"))
        >>> load_judge("always-refuse").judge("hi").label
        'refusal'
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise JudgeError(f"judge name {name!r} is not '<base>' or '<base>@<version>' "
                         "(lower-case base, e.g. 'keyword@1.0.0')")
    if not callable(factory):
        raise JudgeError(f"the factory of judge {name!r} is not callable: {factory!r}")
    base, _, version = name.partition("@")
    versions = _REGISTRY.setdefault(base, {})
    if version in versions and not replace:
        raise JudgeError(f"judge {name!r} is already registered; pass replace=True to replace it")
    if ("" in versions) != (version == "") and versions.keys() - {version}:
        raise JudgeError(f"judge {base!r} mixes a bare name with versioned ones")
    versions[version] = factory


def available_judges() -> tuple[str, ...]:
    """Every registered name, sorted (each version of a base listed).

    Example:
        >>> "keyword@1.0.0" in available_judges()
        True
    """
    return tuple(sorted(f"{b}@{v}" if v else b for b, vs in _REGISTRY.items() for v in vs))


_FORWARDS: dict[Callable[..., Any], Callable[..., Any]] = {}
"""A factory taking ``**options`` -> the factory it passes them on to (cascade -> chat)."""


def _option_names(factory: Callable[..., Any]) -> tuple[str, ...] | None:
    """The options ``factory`` takes, in order; ``None``: any (``**options`` passed on unchecked)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return None
    names = tuple(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))
    if any(p.kind is p.VAR_KEYWORD for p in params):
        inner = _FORWARDS.get(factory)
        rest = None if inner is None else _option_names(inner)
        return None if rest is None else names + tuple(n for n in rest if n not in names)
    return names


def _resolve(name: str) -> tuple[str, JudgeFactory, bool]:
    """``(full name, factory, exact)`` of a registered name (a bare base: its latest version)."""
    if not isinstance(name, str):
        raise JudgeError(f"a judge name must be a string, got {type(name).__name__} {name!r}")
    base, _, version = name.strip().partition("@")
    versions = _REGISTRY.get(base)
    if versions is None or (version and version not in versions):
        raise JudgeError(f"unknown judge {name!r}; allowed: "
                         f"{', '.join(map(repr, available_judges()))}")
    exact = bool(version)
    if not version:
        version = max(versions, key=_version_key)
    return (f"{base}@{version}" if version else base), versions[version], exact


def judge_options(name: str) -> tuple[str, ...] | None:
    """The options the judge registered as ``name`` takes (``None``: any).

    Raises:
        JudgeError: unknown name (the message lists the registered ones).

    Example:
        >>> judge_options("keyword@1.0.0")
        ('rules',)
        >>> "base_url" in judge_options("cascade") and "share" in judge_options("cascade")
        True
    """
    return _option_names(_resolve(name)[1])


def load_judge(name: str, *, defaults: Mapping[str, Any] | None = None, **options: Any) -> Judge:
    """The judge registered as ``name`` (bare base name: its latest version), made with ``options``.

    Args:
        name: ``"keyword@1.0.0"``, ``"keyword"`` (latest), ``"refusal-lr"``, ``"chat"``,
            ``"cascade"``, ``"precomputed"`` (the labels already in the lines), or a name you
            registered.
        defaults: Options passed only when the judge takes them and ``options`` does not set
            them (e.g. ``{"scheme": "vsc"}``: the chat judge's rubric; the keyword judge has none).
        **options: Passed to the judge's factory (e.g. ``base_url``, ``model``, ``api_key_env``,
            ``concurrency``, ``cache`` for ``chat``); each must be one the judge takes.

    Raises:
        JudgeError: unknown name or version (naming the allowed set), an option the judge does
            not take (naming the ones it does), or a factory that did not return a judge.
    """
    full, factory, exact = _resolve(name)
    allowed = _option_names(factory)
    if allowed is not None:
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise JudgeError(
                f"judge {full!r} does not take option(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(map(repr, allowed)) or 'none'}")
    for key, value in (defaults or {}).items():
        if key not in options and (allowed is None or key in allowed):
            options[key] = value
    judge = factory(**options)
    if not isinstance(judge, Judge):
        raise JudgeError(f"the factory of judge {full!r} returned {type(judge).__name__}, "
                         "not a Judge")
    got = judge.name
    base = full.partition("@")[0]
    if exact and got.startswith(f"{base}@") and got != full:
        raise JudgeError(f"judge {full!r} was asked for, but these options make {got!r} "
                         f"(ask for {base!r} to accept any version)")
    return judge


def _keyword_1_0_0(rules: Any = None) -> Judge:
    """keyword@1.0.0: the packaged rules v1.0.0 (frozen for reproducibility).

    ``rules`` (a rules file or mapping) replaces them; the judge is then named by their own
    version, and asking for ``keyword@1.0.0`` with rules of another version is an error.
    """
    from vlmsafety.judges.keyword import KeywordJudge

    judge = KeywordJudge(rules)
    if rules is None and judge.name != "keyword@1.0.0":  # the packaged file was edited
        raise JudgeError(f"the packaged keyword rules are {judge.name!r}, not keyword@1.0.0; "
                         "keyword@1.0.0 is frozen: ship new rules under a new version")
    return judge


def _chat(scheme: Any = None, *, base_url: str | None = None, model: str | None = None,
          api_key_env: str | None = None, template: Any = None, cache: Any = None,
          concurrency: int | None = None, retry: Any = None, progress: bool | None = None,
          temperature: float | None = None, max_tokens: int | None = None,
          max_consecutive_failures: int | None = None, client: Any = None,
          api_key: str | None = None, send_image: bool | None = None) -> Judge:
    """chat: an LLM judge over an OpenAI-compatible endpoint (the options of ChatJudge;
    ``scheme`` a :class:`~vlmsafety.labels.LabelScheme` or its name, default: the first
    registered benchmark's).

    ``api_key_env`` names the environment variable holding the key (read now; default
    ``VLMSAFETY_JUDGE_API_KEY``, then ``OPENAI_API_KEY``, read when judging). An option left
    ``None`` takes ChatJudge's default.
    """
    from vlmsafety.judges.chat import ChatJudge, get_scheme

    try:
        resolved = None if scheme is None else get_scheme(scheme)
    except JudgeError as exc:
        raise JudgeError(f"chat judge: {exc}") from None
    if api_key_env is not None:
        api_key = os.environ.get(api_key_env) or None
        if api_key is None:
            raise JudgeError(f"chat judge: the environment variable {api_key_env!r} "
                             "(api_key_env) is not set or empty")
    given = {"base_url": base_url, "model": model, "api_key": api_key, "template": template,
             "concurrency": concurrency, "retry": retry, "progress": progress,
             "temperature": temperature, "max_tokens": max_tokens,
             "max_consecutive_failures": max_consecutive_failures, "client": client,
             "send_image": send_image}
    kwargs = {k: v for k, v in given.items() if v is not None}
    return ChatJudge(resolved, cache=cache, **kwargs)


def _refusal_lr_2_0_0(model: Any = None, threshold: float = 0.5) -> Judge:
    """refusal-lr@2.0.0+<sha8>: the learned offline judge with the packaged weights.

    ``model`` (a path to a model file from ``python -m vlmsafety.judges.train``) replaces them;
    the judge is then named by that file's sha256.
    """
    from vlmsafety.judges.refusal_lr import RefusalLRJudge

    judge = RefusalLRJudge(model, threshold=threshold)
    want = f"refusal-lr@2.0.0+{REFUSAL_LR_SHA8}"
    if model is None and judge.name != want:  # the packaged weights were replaced
        raise JudgeError(f"the packaged refusal-lr weights are {judge.name!r}, not {want!r}; "
                         "ship new weights under a new version (update REFUSAL_LR_SHA8)")
    return judge


def _refusal_lr_3(version: str, sha8: str, packaged: str, model: Any, threshold: float) -> Judge:
    from vlmsafety.judges.refusal_lr import RefusalLRJudge

    judge = RefusalLRJudge(model if model is not None else packaged, threshold=threshold)
    want = f"refusal-lr@{version}+{sha8}"
    if model is None and judge.name != want:  # the packaged weights were replaced
        raise JudgeError(f"the packaged refusal-lr {version} weights are {judge.name!r}, not "
                         f"{want!r}; ship new weights under a new version (update the registry's sha8)")
    return judge


def _refusal_lr_3_1_0(model: Any = None, threshold: float = 0.5) -> Judge:
    """refusal-lr@3.1.0+<sha8>: the learned offline judge for VLM answers (three heads, VLM
    indicators and rules, eleven languages, isotonic calibration; the answer is read after a
    leading transcription of the image's text) with the packaged weights.

    ``model`` (a path to a file from ``python -m vlmsafety.judges.train3``) replaces them.
    """
    from vlmsafety.judges.refusal_lr3 import DEFAULT_MODEL3

    return _refusal_lr_3("3.1.0", REFUSAL_LR31_SHA8, DEFAULT_MODEL3, model, threshold)


def _refusal_lr_3_0_0(model: Any = None, threshold: float = 0.5) -> Judge:
    """refusal-lr@3.0.0+<sha8>: 3.1.0's predecessor (reads the whole response: takes a leading
    transcription of the image's text for an image description), kept loadable by name."""
    from vlmsafety.judges.refusal_lr3 import MODEL3_0_0

    return _refusal_lr_3("3.0.0", REFUSAL_LR3_SHA8, MODEL3_0_0, model, threshold)


def _cascade(second: Judge | None = None, offline: str = DEFAULT_OFFLINE_JUDGE,
             threshold: float | None = None, budget: int | None = None,
             share: float | None = None, scheme: Any = None, **chat_options: Any) -> Judge:
    """cascade: ``offline`` labels everything; the items below ``threshold`` confidence (default
    0.8; at most ``budget`` over the judge's life), or the least sure ``share`` of a batch, go to
    ``second`` (default: the chat judge made from ``scheme`` and ``chat_options``)."""
    from vlmsafety.judges.cascade import CascadeJudge

    chat = second if second is not None else _chat(scheme, **chat_options)
    return CascadeJudge(chat, load_judge(offline), threshold=threshold, budget=budget, share=share)


register_judge("keyword@1.0.0", _keyword_1_0_0)
register_judge(f"refusal-lr@2.0.0+{REFUSAL_LR_SHA8}", _refusal_lr_2_0_0)
register_judge(f"refusal-lr@3.0.0+{REFUSAL_LR3_SHA8}", _refusal_lr_3_0_0)
register_judge(f"refusal-lr@3.1.0+{REFUSAL_LR31_SHA8}", _refusal_lr_3_1_0)
register_judge("chat", _chat)
register_judge("cascade", _cascade)
_FORWARDS[_cascade] = _chat


def _precomputed() -> Judge:
    """precomputed: the labels already in the lines (judged JSONL); nothing is re-judged."""
    from vlmsafety.judges.apply import PrecomputedJudge

    return PrecomputedJudge()


register_judge("precomputed", _precomputed)
