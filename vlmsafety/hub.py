"""Publishing built dataset folders and metric folders on the Hugging Face Hub.

Two kinds of folder are pushed, and each is validated before anything is uploaded:

- **dataset** (``repo_type="dataset"``): what a builder writes, ``README.md`` whose YAML header has
  ``configs`` (each ``data_files`` pattern must match files in the folder) plus ``data/``.
- **metric** (``repo_type="space"``, gradio SDK): an evaluate module folder ``NAME/`` holding
  ``NAME.py`` (the module; evaluate loads ``<repo name>.py``, so the repo name must be ``NAME``),
  ``README.md`` with the Space YAML header (``sdk: gradio``, ``app_file``), ``app.py`` and
  ``requirements.txt``.

:func:`plan_push` lists exactly the files that would be uploaded (relative path, size, sha256) and
makes no network call; :func:`push` with ``dry_run=True`` returns that plan, otherwise uploads it
with :class:`huggingface_hub.HfApi`. The token is never an argument: it is read when the upload is
made, from ``HF_TOKEN`` or the login saved by ``hf auth login`` / ``huggingface-cli login``.

Example:
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "toy"
    >>> (d / "data" / "default").mkdir(parents=True)
    >>> _ = (d / "data" / "default" / "test-00000-of-00001.parquet").write_bytes(b"PAR1")
    >>> _ = (d / "README.md").write_text(
    ...     "---\\nconfigs:\\n- config_name: default\\n  data_files:\\n  - split: test\\n"
    ...     "    path: data/default/test-*.parquet\\n---\\n# Toy\\n", encoding="utf-8")
    >>> plan = plan_push(d, "me/toy")
    >>> plan.kind, plan.repo_type, [f.path for f in plan.files]
    ('dataset', 'dataset', ['README.md', 'data/default/test-00000-of-00001.parquet'])
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import HubPublishError
from vlmsafety.storage.checksums import file_sha256
from vlmsafety.storage.images import count_placeholders

__all__ = [
    "HubPublishError",
    "FolderKind",
    "Gating",
    "PlannedFile",
    "PushPlan",
    "PushResult",
    "ALLOW_PATTERNS",
    "IGNORE_PATTERNS",
    "builder_warnings",
    "count_placeholders",
    "placeholder_refusal",
    "detect_kind",
    "plan_push",
    "push",
]

FolderKind = Literal["dataset", "metric"]
Gating = Literal["auto", "manual"]
_GATINGS: tuple[Gating, ...] = ("auto", "manual")
_KINDS: tuple[str, ...] = ("auto", "dataset", "metric")
_REPO_TYPE: dict[str, str] = {"dataset": "dataset", "metric": "space"}

ALLOW_PATTERNS: dict[str, tuple[str, ...]] = {
    "dataset": ("README.md", "LICENSE*", "data/*"),
    "metric": ("*.py", "README.md", "requirements.txt", "LICENSE*"),
}
"""Per kind, the files that are uploaded (fnmatch patterns on the path relative to the folder)."""

IGNORE_PATTERNS: tuple[str, ...] = (".*", "*/.*", "*__pycache__*", "*.pyc")
"""Never uploaded: hidden files and folders, Python caches (plus huggingface_hub's own defaults)."""


@dataclass(frozen=True)
class PlannedFile:
    """One file of a push: path relative to the folder (= path in the repo), bytes, sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class PushPlan:
    """Everything a push would do; made without any network call."""

    folder: str
    kind: FolderKind
    repo_type: str
    repo_id: str
    url: str
    files: tuple[PlannedFile, ...]
    skipped: tuple[str, ...] = ()
    private: bool = False
    gated: Gating | None = None
    revision: str | None = None
    warnings: tuple[str, ...] = ()
    placeholder_images: int = 0
    n_images: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def format(self) -> str:
        """A readable listing: target, then one line per file (size, sha256 prefix, path)."""
        head = [
            f"{self.kind} folder {self.folder}",
            f"-> {self.repo_type} repo {self.repo_id} ({self.url})"
            + (f", branch {self.revision}" if self.revision else "")
            + (", private" if self.private else "")
            + (f", gated={self.gated}" if self.gated else ""),
            f"{len(self.files)} file(s), {_human(self.total_bytes)}:",
        ]
        width = max((len(str(f.size)) for f in self.files), default=1)
        lines = [f"  {f.size:>{width}}  {f.sha256[:12]}  {f.path}" for f in self.files]
        tail = [f"not uploaded: {p}" for p in self.skipped]
        tail += [f"warning: {w}" for w in self.warnings]
        return "\n".join(head + lines + tail)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder, "kind": self.kind, "repo_type": self.repo_type,
            "repo_id": self.repo_id, "url": self.url, "private": self.private,
            "gated": self.gated, "revision": self.revision,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
            "skipped": list(self.skipped), "warnings": list(self.warnings),
            "placeholder_images": self.placeholder_images, "n_images": self.n_images,
        }


@dataclass(frozen=True)
class PushResult:
    """What :func:`push` did: the plan, and the commit URL (``None`` on a dry run)."""

    plan: PushPlan
    commit_url: str | None = None
    dry_run: bool = True


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def _front_matter(readme: Path) -> dict[str, Any] | None:
    """The README's YAML header as a dict (``None`` without one); bad YAML is an error."""
    from huggingface_hub.repocard import metadata_load

    try:
        meta = metadata_load(readme)
    except Exception as exc:  # yaml errors have no common public base class here
        raise HubPublishError(f"{readme}: the YAML header cannot be parsed: {exc}") from exc
    return meta if isinstance(meta, dict) else None


def detect_kind(folder: str | os.PathLike[str]) -> FolderKind:
    """Tell a dataset folder from a metric folder by its files (validation comes later).

    Example:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp()) / "safe_completion"
        >>> d.mkdir()
        >>> _ = (d / "safe_completion.py").write_text("", encoding="utf-8")
        >>> detect_kind(d)
        'metric'
    """
    root = Path(folder)
    if not root.is_dir():
        raise HubPublishError(f"{root} is not a folder")
    if (root / "data").is_dir():
        return "dataset"
    meta = _front_matter(root / "README.md") if (root / "README.md").is_file() else None
    if meta and "configs" in meta:
        return "dataset"
    if (meta and "sdk" in meta) or (root / "app.py").is_file() or any(root.glob("*.py")):
        return "metric"
    raise HubPublishError(
        f"{root} is neither a dataset folder (README.md with `configs` in its YAML header, and "
        "data/) nor a metric folder (NAME.py, app.py, requirements.txt, README.md with a Space "
        "YAML header)"
    )


def _check_dataset(root: Path) -> list[str]:
    problems: list[str] = []
    readme = root / "README.md"
    if not (root / "data").is_dir():
        problems.append("data/ folder is missing")
    if not readme.is_file():
        return problems + ["README.md is missing (it carries the `configs` YAML header)"]
    meta = _front_matter(readme)
    configs = (meta or {}).get("configs")
    if not isinstance(configs, list) or not configs:
        return problems + ["README.md has no `configs` list in its YAML header"]
    for i, cfg in enumerate(configs):
        name = cfg.get("config_name") if isinstance(cfg, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(f"configs[{i}] has no config_name")
            continue
        data_files = cfg.get("data_files")
        entries = data_files if isinstance(data_files, list) else [data_files]
        patterns: list[str] = []
        for entry in entries:
            paths = entry.get("path") if isinstance(entry, dict) else entry
            patterns += [paths] if isinstance(paths, str) else list(paths or [])
        if not patterns:
            problems.append(f"config {name!r} has no data_files")
        for pattern in patterns:
            if not isinstance(pattern, str) or not any(p.is_file() for p in root.glob(pattern)):
                problems.append(f"config {name!r}: data_files pattern {pattern!r} matches no file")
    return problems


def builder_warnings(root: str | os.PathLike[str]) -> list[str]:
    """The warnings a builder recorded for ``push`` in the card's YAML header
    (``builder.push_warnings``: e.g. images whose licence may not allow redistribution)."""
    readme = Path(root) / "README.md"
    meta = _front_matter(readme) if readme.is_file() else None
    builder = (meta or {}).get("builder")
    found = builder.get("push_warnings") if isinstance(builder, dict) else None
    return [str(w) for w in found] if isinstance(found, list) else []


def _check_metric(root: Path, repo_id: str) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    warnings: list[str] = []
    name = root.name
    module = root / f"{name}.py"
    if not module.is_file():
        problems.append(f"{name}.py is missing (evaluate loads <folder name>.py)")
    else:
        try:
            compile(module.read_text(encoding="utf-8"), str(module), "exec")
        except SyntaxError as exc:
            problems.append(f"{name}.py does not compile: {exc.msg} (line {exc.lineno})")
    repo_name = repo_id.split("/")[-1]
    if repo_name != name:
        problems.append(
            f"the Space must be named like the module for evaluate.load({repo_id!r}) to find it: "
            f"repo name {repo_name!r} != module {name!r}"
        )
    req = root / "requirements.txt"
    if not req.is_file() or not req.read_text(encoding="utf-8").strip():
        problems.append("requirements.txt is missing or empty")
    readme = root / "README.md"
    meta = _front_matter(readme) if readme.is_file() else None
    if not readme.is_file():
        problems.append("README.md (metric card with the Space YAML header) is missing")
    elif meta is None:
        problems.append("README.md has no YAML header (the Space needs sdk: gradio, app_file)")
    else:
        if meta.get("sdk") != "gradio":
            problems.append(f"README.md header: sdk must be 'gradio', got {meta.get('sdk')!r}")
        app_file = meta.get("app_file", "app.py")
        if not (root / str(app_file)).is_file():
            problems.append(f"README.md header: app_file {app_file!r} is missing")
        if not meta.get("title"):
            problems.append("README.md header: title is missing")
        tags = meta.get("tags") or []
        if "evaluate" not in tags:
            warnings.append("README.md header tags lack 'evaluate' (the Hub lists metrics by it)")
    if not (root / "app.py").is_file():
        problems.append("app.py (the gradio widget) is missing")
    return problems, warnings


def _select(root: Path, kind: FolderKind) -> tuple[list[str], list[str]]:
    """(uploaded, skipped) relative paths, selected the way ``upload_folder`` selects them."""
    from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects

    every = [p.relative_to(root).as_posix() for p in sorted(root.glob("**/*")) if p.is_file()]
    chosen = list(filter_repo_objects(
        every, allow_patterns=list(ALLOW_PATTERNS[kind]),
        ignore_patterns=list(IGNORE_PATTERNS) + list(DEFAULT_IGNORE_PATTERNS),
    ))
    keep = set(chosen) | {".vlmsafety-build"}  # the build's marker: never uploaded, no news
    return chosen, [p for p in every if p not in keep]


def _check_repo_id(repo_id: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise HubPublishError(f"invalid repo id {repo_id!r}: {exc}") from None
    if "/" not in repo_id:
        raise HubPublishError(f"repo id {repo_id!r} must be 'owner/name'")


def plan_push(
    folder: str | os.PathLike[str], repo_id: str, *,
    kind: Literal["auto", "dataset", "metric"] = "auto",
    private: bool = False, gated: Gating | None = None, revision: str | None = None,
) -> PushPlan:
    """Validate ``folder`` and list what a push to ``repo_id`` would upload. No network.

    Args:
        folder: A built dataset folder or a metric folder (see the module docstring).
        repo_id: ``owner/name`` on the Hub.
        kind: ``"auto"`` (from the files), ``"dataset"`` or ``"metric"``.
        private: Create the repo private (and make an existing one private).
        gated: ``"auto"`` or ``"manual"`` access requests (datasets only).
        revision: Branch to push to (created if missing); default the main branch.

    Raises:
        HubPublishError: listing every problem found (missing README/configs/data files; missing
            NAME.py, app.py, requirements.txt or Space header; repo name unlike the module; bad
            repo id; gating a Space).
    """
    root = Path(folder)
    if kind not in _KINDS:
        raise HubPublishError(f"kind must be one of {_KINDS}, got {kind!r}")
    if gated is not None and gated not in _GATINGS:
        raise HubPublishError(f"gated must be one of {_GATINGS}, got {gated!r}")
    _check_repo_id(repo_id)
    if not root.is_dir():
        raise HubPublishError(f"{root} is not a folder")
    resolved: FolderKind = detect_kind(root) if kind == "auto" else kind
    warnings: list[str] = []
    n_placeholders = n_images = 0
    if resolved == "dataset":
        problems = _check_dataset(root)
        unreadable: list[str] = []
        n_placeholders, n_images = (count_placeholders(root, unreadable) if not problems
                                    else (0, 0))
        warnings += [f"cannot read shard {u}: its image sources are not checked"
                     for u in unreadable]
        if n_placeholders:
            warnings.append(
                f"{n_placeholders} of {n_images} images are placeholders (built with "
                "--placeholders): they cannot measure a model; push refuses this folder "
                "unless --allow-placeholders")
        warnings += builder_warnings(root) if not problems else []
    else:
        problems, warnings = _check_metric(root, repo_id)
        if gated is not None:
            problems.append("gating applies to dataset repos, not to Spaces (drop --gated)")
    if problems:
        raise HubPublishError(
            f"{root} is not a valid {resolved} folder:\n  - " + "\n  - ".join(problems)
        )
    from huggingface_hub import constants

    repo_type = _REPO_TYPE[resolved]
    url = f"{constants.ENDPOINT}/{repo_type}s/{repo_id}"
    chosen, skipped = _select(root, resolved)
    files = tuple(PlannedFile(p, (root / p).stat().st_size, file_sha256(root / p)) for p in chosen)
    if resolved == "dataset":
        _check_built_files(root, {f.path: f.sha256 for f in files})
    return PushPlan(str(root), resolved, repo_type, repo_id, url, files, tuple(skipped), private,
                    gated, revision, tuple(warnings), n_placeholders, n_images)


def _check_built_files(root: Path, planned: Mapping[str, str]) -> None:
    """Refuse a built folder whose files differ from those its build recorded (the sha256 in
    its ``.vlmsafety-build`` marker); a folder without such a record is not checked."""
    import json

    from vlmsafety.storage.checksums import compare_sha256

    try:
        recorded = json.loads((root / ".vlmsafety-build").read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    changed, missing, _ = compare_sha256(recorded, planned)
    missing = [p for p in missing if p in recorded and p.startswith(("data/", "README"))]
    if changed or missing:
        name, how = (changed[0], "differs from") if changed else (missing[0], "is missing, unlike")
        raise HubPublishError(f"{root}: {name!r} {how} the file the build wrote (sha256 recorded "
                              "in .vlmsafety-build): it was changed or damaged since; rebuild the "
                              "folder")


def _token() -> str:
    from huggingface_hub import get_token

    token = get_token()  # HF_TOKEN first, then the token saved by `hf auth login`
    if not token:
        raise HubPublishError(
            "no Hugging Face token: set the HF_TOKEN environment variable or run "
            "`hf auth login` (huggingface-cli login); use --dry-run to check without one"
        )
    return token


def placeholder_refusal(plan: PushPlan, allow_placeholders: bool = False) -> str | None:
    """Why a push of ``plan`` is refused for its placeholder images, or ``None`` (no
    placeholders, or ``allow_placeholders``); ``push --dry-run`` exits as the push would."""
    if not plan.placeholder_images or allow_placeholders:
        return None
    return (f"{plan.folder}: {plan.placeholder_images} of {plan.n_images} images are placeholders "
            "(built with --placeholders), which cannot measure a model; rebuild with the real "
            "images, or pass --allow-placeholders (allow_placeholders=True) to publish anyway")


def push(
    folder: str | os.PathLike[str], repo_id: str, *,
    kind: Literal["auto", "dataset", "metric"] = "auto",
    private: bool = False, gated: Gating | None = None, revision: str | None = None,
    message: str | None = None, dry_run: bool = False, api: Any = None,
    allow_placeholders: bool = False,
) -> PushResult:
    """Publish ``folder`` to ``repo_id``; with ``dry_run`` only return the plan (no network).

    A real push creates the repo (``exist_ok=True``; a metric becomes a gradio Space), makes it
    private when asked, creates ``revision`` if needed, uploads exactly the planned files with
    ``upload_folder`` and sets gating. Arguments as :func:`plan_push`, plus:

    Args:
        message: Commit message (default: "Upload <kind> with vlmsafety <version>").
        dry_run: Validate and list, nothing else.
        api: An object with :class:`huggingface_hub.HfApi`'s methods (tests); default ``HfApi()``.
        allow_placeholders: Publish a dataset with placeholder images (default: refuse; the
            dry-run plan warns).

    Raises:
        HubPublishError: an invalid folder (before anything is uploaded), placeholder images
            without ``allow_placeholders``, no token, or ``HF_HUB_OFFLINE`` set.
    """
    plan = plan_push(folder, repo_id, kind=kind, private=private, gated=gated, revision=revision)
    if dry_run:
        return PushResult(plan, None, True)
    refusal = placeholder_refusal(plan, allow_placeholders)
    if refusal is not None:
        raise HubPublishError(refusal)
    token = _token()
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise HubPublishError("HF_HUB_OFFLINE is set: unset it to push (or use --dry-run)")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    from vlmsafety._version import __version__

    rtype = plan.repo_type
    api.create_repo(repo_id, token=token, private=private or None, repo_type=rtype,
                    exist_ok=True, **({"space_sdk": "gradio"} if rtype == "space" else {}))
    if private:
        api.update_repo_settings(repo_id, private=True, token=token, repo_type=rtype)
    if revision:
        api.create_branch(repo_id, branch=revision, token=token, repo_type=rtype, exist_ok=True)
    # Exactly the planned files: each path, glob-escaped, is its own allow pattern.
    allow: Sequence[str] = [glob.escape(f.path) for f in plan.files]
    info = api.upload_folder(
        repo_id=repo_id, folder_path=plan.folder, repo_type=rtype, revision=revision, token=token,
        commit_message=message or f"Upload {plan.kind} with vlmsafety {__version__}",
        allow_patterns=list(allow), ignore_patterns=list(IGNORE_PATTERNS),
    )
    if gated is not None:
        api.update_repo_settings(repo_id, gated=gated, token=token, repo_type=rtype)
    url = getattr(info, "commit_url", None) or str(info)
    return PushResult(plan, url, False)
