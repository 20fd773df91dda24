"""Shared fixtures. Tests are offline: HF_HOME points at a temp dir and the Hub is disabled.

``tests/chat_server.py`` (a local chat-completions server) is importable as ``chat_server`` from
every test: ``from chat_server import ChatServer, chat_reply, error_reply, last_user_text``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# --import-mode=importlib does not put tests/ on sys.path
for _name in ("chat_server", "required", "mossbench_release", "msts_release"):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, Path(__file__).resolve().parent
                                                       / f"{_name}.py")
        assert _spec is not None and _spec.loader is not None
        _mod = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _mod
        _spec.loader.exec_module(_mod)

from required import REQUIRE_SHARED, required_skip_to_failure, skip_unless_available


@pytest.fixture(autouse=True)
def _offline_hf_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty HF cache and no Hub access."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    monkeypatch.setenv("HF_MODULES_CACHE", str(home / "modules"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    # datasets reads its cache path at import time: patch the module value too.
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if required_skip_to_failure(True, reason, os.environ):
            report.outcome = "failed"
            report.longrepr = (f"{REQUIRE_SHARED}=1 and this test was skipped: {reason}. CI always "
                               "has ../shared/data and the browser: install or lay them out.")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repo (reference files; never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        skip_unless_available(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def small_dual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small DUAL-style folder (48 clean + 48 perturbed rows, 128 px), built once; read only."""
    from vlmsafety.suites.dual.builder import build_sample

    return build_sample(tmp_path_factory.mktemp("small") / "dual", perturbations=("jpeg",),
                        severities=(1,), image_size=(128, 128), progress=False)


@dataclass(frozen=True)
class DemoRun:
    """One ``vlmsafety demo`` run, shared by the tests that read its output (read only)."""

    argv: tuple[str, ...]
    """The command line after ``vlmsafety``; ``--out`` is :attr:`out`."""
    out: Path
    """Its ``--out`` folder: ``dual-sample/``, ``evaluation/`` (results.json, judged/, ...)."""
    stdout: str
    """What it printed."""
    stderr: str
    """Its progress lines."""
    stale: str
    """A file that was in :attr:`out` before the run, beside the demo's marker."""
    modules_cache: Path
    """``HF_MODULES_CACHE`` during the run: where it installed the metric modules."""


DEMO_ARGS = ("--n-boot", "200")
"""The demo's options in the shared run: those of docs/evaluate.md, "Reproduce"."""


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``vlmsafety demo --out DIR --n-boot 200``, run once per session (it takes seconds).

    ``DIR`` already holds the marker of an earlier demo and a stale file, so this one run also
    shows that a demo replaces a folder a demo wrote. The metric modules go into this session's
    module cache (``pytest_configure``), as a user's first demo installs them.
    """
    import evaluate  # noqa: F401 - imported now, its module cache is this session's (see below)

    from vlmsafety.cli import main
    from vlmsafety.cli.demo import MARKER

    out = tmp_path_factory.mktemp("demo_run") / "demo"
    out.mkdir()
    (out / MARKER).write_text("", encoding="utf-8")
    (out / "stale.json").write_text("{}", encoding="utf-8")
    argv = ("demo", "--out", str(out), *DEMO_ARGS)
    printed, progress = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(progress):
        code = main(list(argv))
    assert code == 0, printed.getvalue() + progress.getvalue()
    return DemoRun(argv[1:], out, printed.getvalue(), progress.getvalue(), "stale.json",
                   Path(os.environ["HF_MODULES_CACHE"]))


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # pyproject's addopts start 2 pytest-xdist workers; with xdist blocked (``-p no:xdist``) accept
    # and ignore its two options there, so the suite runs in this one process instead of failing
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist", "pytest-xdist is blocked: these options are ignored")
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=0)  # as xdist does (short -n)
        group.addoption("--dist", dest="dist", default="no")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup`` (pyproject's addopts), keep each test module on one worker.

    A module's fixtures (``scope="module"``: built datasets, a trained judge) then run once, as
    with ``--dist loadscope``; the modules whose tests read the shared :func:`demo_run` form one
    group, so that the demo runs once per session, not once per worker.
    """
    demo_modules = {item.path for item in items if "demo_run" in getattr(item, "fixturenames", ())}
    groups: dict[str, str] = {}
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            name = "demo_run" if item.path in demo_modules else item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group(name))
        groups[item.nodeid] = item.nodeid.split("::", 1)[0]
    # the longest groups first (xdist hands groups out in collection order, so a long one
    # collected last leaves the other worker idle at the end); order within a group is kept
    def rank(item: pytest.Item) -> int:
        key = "demo_run" if item.path in demo_modules else groups[item.nodeid]
        return LONGEST_GROUPS.index(key) if key in LONGEST_GROUPS else len(LONGEST_GROUPS)

    items.sort(key=rank)


LONGEST_GROUPS: tuple[str, ...] = (
    "tests/test_benchmarks.py", "tests/judges/test_refusal_lr3.py", "demo_run",
    "tests/judges/test_refusal_lr.py", "tests/builders/test_parallel_shards.py",
    "tests/test_annotate.py", "tests/judges/test_chat.py", "tests/suites/msts/test_builder.py",
)
"""Test groups measured as the longest (``--durations``), scheduled first under xdist."""


def pytest_configure(config: pytest.Config) -> None:
    # a suite started as a background job of a non-interactive shell (`pytest &` in a script)
    # inherits SIGINT ignored, and so would every CLI child of the tests that Ctrl-C a run: give
    # this process (and so its children) the usual handler back
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: set it before any test imports it, or
    # a call that reaches for the Hub sleeps through ~20 s of retries before it fails (the
    # per-test fixture sets it again, too late for that module constant).
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        os.environ[var] = "1"
    # evaluate reads HF_MODULES_CACHE once, at import: point it at a cache of this session before
    # any test imports evaluate, so that a bare-name load never picks up a module that another
    # checkout installed in the user's ~/.cache (the per-test fixture moves it again later).
    session_home = Path(tempfile.mkdtemp(prefix="vlmsafety-tests-hf-"))
    for var, sub in (("HF_HOME", ""), ("HF_MODULES_CACHE", "modules"),
                     ("HF_DATASETS_CACHE", "datasets")):
        os.environ[var] = str(session_home / sub) if sub else str(session_home)
