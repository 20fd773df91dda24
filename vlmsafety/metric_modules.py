"""The ``evaluate`` metric modules of the registered benchmarks, and their registration for
offline use.

Each benchmark ships its modules in its own folder, evaluate's layout
(``vlmsafety/suites/<suite>/metric/<name>/<name>.py`` with ``README.md``, ``app.py`` and
``requirements.txt``), and its spec names them (:class:`~vlmsafety.specs.MetricModule`); the wheel
carries the folders as package data. :func:`metric_names` and :func:`metric_path` read the
registry, so a registered benchmark of your own installs its modules the same way.

``evaluate.load(str(metric_path("safe_completion")))`` works anywhere. For the bare name
(``evaluate.load("safe_completion")``) evaluate 0.4 first asks the Hub for
``evaluate-metric/safe_completion`` and, when that fails (offline, or no such Space), falls back to
its module cache: ``$HF_MODULES_CACHE/evaluate_modules/metrics/evaluate-metric--<name>/<64-hex
hash>/<name>.py`` (the newest hash folder wins). :func:`install_metrics` writes exactly that, so after
``vlmsafety install-metrics`` the bare names load offline (``HF_HUB_OFFLINE=1``) in any new process.
The cache location follows evaluate's own rule: ``HF_MODULES_CACHE``, else ``$HF_HOME/modules``,
else ``$XDG_CACHE_HOME/huggingface/modules``, else ``~/.cache/huggingface/modules``.

Example:
    >>> metric_names()[:3]
    ('safe_completion', 'safety_calibration', 'over_refusal')
    >>> check_config_name("parity", ("default", "parity"), "safety_calibration")
    >>> check_config_name("strict", ("default", "parity"), "safety_calibration")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.ScoringInputError: safety_calibration: config_name 'strict' is not allowed;
    allowed: 'default', 'parity'
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vlmsafety.errors import ScoringInputError, VLMSafetyError

__all__ = [
    "metric_names",
    "metric_path",
    "modules_cache",
    "install_metrics",
    "check_config_name",
    "offline_labels",
]

_NAMESPACE = "evaluate-metric"
_FILES = ("README.md", "app.py", "requirements.txt")


def _folders() -> dict[str, Path]:
    from vlmsafety.specs import specs

    return {m.name: m.folder for spec in specs() for m in spec.metric_modules}


def metric_names() -> tuple[str, ...]:
    """The ``evaluate`` modules of every registered benchmark, in registration order."""
    return tuple(_folders())


def metric_path(name: str) -> Path:
    """The folder of one metric, e.g. for ``evaluate.load(str(metric_path("over_refusal")))``.

    Raises:
        ScoringInputError: no registered benchmark ships a metric of that name.
        VLMSafetyError: the folder lacks ``<name>.py`` (a broken installation).

    Example:
        >>> metric_path("over_refusal").name
        'over_refusal'
    """
    folders = _folders()
    check_config_name(name, tuple(folders), "metric")
    folder = folders[name]
    if not (folder / f"{name}.py").is_file():
        raise VLMSafetyError(f"the metric module {name!r} is missing from this installation "
                             f"(looked for {folder / f'{name}.py'}); reinstall vlmsafety")
    return folder.resolve()


def modules_cache() -> Path:
    """evaluate's module cache, resolved from the environment now (as evaluate does at import)."""
    explicit = os.environ.get("HF_MODULES_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "modules"


def _hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for fname in (f"{folder.name}.py", *_FILES):
        f = folder / fname
        if f.is_file():
            digest.update(fname.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def _live_evaluate_cache() -> Path | None:
    """The module cache of an ``evaluate`` already imported in this process, if any.

    evaluate reads ``HF_MODULES_CACHE`` once, at import; when the environment changed since (a
    notebook that set ``HF_HOME`` late, a test harness), this process loads from that old path
    while a new process would use :func:`modules_cache`.
    """
    config = sys.modules.get("evaluate.config")
    cache = getattr(config, "HF_MODULES_CACHE", None)
    return Path(cache).expanduser() if cache is not None else None


def install_metrics(
    force: bool = False,
    *,
    names: Sequence[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Register the metric modules in evaluate's module cache, for offline bare-name loading.

    Idempotent: a module whose content is already cached is left alone unless ``force``. A changed
    module gets a new hash folder, which evaluate prefers (newest wins).

    Args:
        force: Rewrite the cached copies even when present.
        names: Which metrics (default: all of :func:`metric_names`).
        cache_dir: The modules cache to write to. Default: :func:`modules_cache` (what evaluate
            uses in a new process with the same environment) and, when ``evaluate`` is already
            imported here with another cache path, that one too, so that ``evaluate.load(name)``
            also works in this process.

    Returns:
        The cached module files (``.../<hash>/<name>.py``), one per metric, in ``cache_dir`` or
        :func:`modules_cache`.

    Example:
        >>> import tempfile
        >>> [p.name for p in install_metrics(cache_dir=tempfile.mkdtemp())]
        ['safe_completion.py', 'safety_calibration.py', 'over_refusal.py']
    """
    names = metric_names() if names is None else tuple(names)
    for name in names:
        metric_path(name)  # fail early, naming the metric or where it was looked for
    if cache_dir is not None:
        return _install_into(Path(cache_dir), names, force)
    written = _install_into(modules_cache(), names, force)
    live = _live_evaluate_cache()
    if live is not None and live.resolve() != modules_cache().resolve():
        _install_into(live, names, force)
    return written


def _install_into(cache: Path, names: Sequence[str], force: bool) -> list[Path]:
    """Write the named modules into one modules cache (see :func:`install_metrics`)."""
    dynamic = cache / "evaluate_modules"
    written: list[Path] = []
    for d in (cache, dynamic, dynamic / "metrics"):
        d.mkdir(parents=True, exist_ok=True)
        (d / "__init__.py").touch(exist_ok=True)
    for name in names:
        src = metric_path(name)
        module_dir = dynamic / "metrics" / f"{_NAMESPACE}--{name}"
        module_dir.mkdir(parents=True, exist_ok=True)
        (module_dir / "__init__.py").touch(exist_ok=True)
        target = module_dir / _hash(src)
        script = target / f"{name}.py"
        if script.is_file() and not force:
            written.append(script)
            continue
        # Build next to the target, then swap in: a concurrent reader never sees half a module.
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=module_dir))
        try:
            for fname in (f"{name}.py", *_FILES):
                if (src / fname).is_file():
                    shutil.copyfile(src / fname, tmp / fname)
            (tmp / "__init__.py").touch()
            meta = {"original file path": str(src / f"{name}.py"), "local file path": str(script)}
            (tmp / f"{name}.json").write_text(json.dumps(meta), encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        os.utime(script)  # newest hash folder wins in evaluate's cache lookup
        written.append(script)
    return written


def check_config_name(config_name: object, allowed: Sequence[str], metric: str) -> None:
    """Raise :class:`ScoringInputError` unless ``config_name`` is one of ``allowed``."""
    if config_name not in allowed:
        raise ScoringInputError(
            f"{metric}: config_name {config_name!r} is not allowed; allowed: "
            + ", ".join(map(repr, allowed))
        )


def offline_labels(
    responses: Sequence[Any], prompts: Sequence[Any] | None = None
) -> tuple[list[str], str]:
    """Label raw responses with the default offline judge
    (:data:`vlmsafety.judges.DEFAULT_OFFLINE_JUDGE`), through the one judging loop.

    Returns:
        ``(labels, judge name)``; a ``None`` response becomes ``unscored``.

    Example:
        >>> offline_labels(["I'm sorry, but I can't help with that.", None])
        (['refusal', 'unscored'], '...')
    """
    from vlmsafety.judges.apply import label_responses
    from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE, load_judge

    return label_responses(responses, load_judge(DEFAULT_OFFLINE_JUDGE), prompts)


