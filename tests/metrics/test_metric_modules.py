"""The evaluate modules of the suites (vlmsafety/suites/<suite>/metric/<name>/): local loading,
their doctests, parity with the scoring core, offline bare-name loading after install_metrics(),
packaging, and the install-metrics command."""

from __future__ import annotations

import doctest
import importlib.util
import json
import math
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import evaluate
import pytest

from vlmsafety.errors import ScoringInputError
from vlmsafety.metric_modules import (
    install_metrics,
    metric_names,
    metric_path,
    modules_cache,
    offline_labels,
)
from vlmsafety.suites.dual import score_dual
from vlmsafety.suites.vsc import score_vsc, score_xstest

REPO = Path(__file__).resolve().parents[2]
METRIC_NAMES = metric_names()


def load_local(name: str, config_name: str | None = None) -> evaluate.EvaluationModule:
    return evaluate.load(str(metric_path(name)), config_name)


def module_source(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_src_{name}", metric_path(name) / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_folder_layout_and_card(name: str) -> None:
    folder = metric_path(name)
    for f in (f"{name}.py", "README.md", "app.py", "requirements.txt"):
        assert (folder / f).is_file(), f
    card = (folder / "README.md").read_text(encoding="utf-8")
    header = card.split("---")[1]
    for key in ("sdk: gradio", "app_file: app.py", "- evaluate", "- metric", f"title: {name}"):
        assert key in header, key
    for section in ("## Metric Description", "### Label mapping", "## Known failure modes",
                    "## Version and changelog", "better", "```bibtex"):
        assert section in card, section
    src = module_source(name)
    assert "@" in src._CITATION and src._VERSION in card
    desc = src._KWARGS_DESCRIPTION
    assert desc.count(">>> metric = evaluate.load(") >= 1 and desc.count(">>> ") >= 4
    assert "Edge case" in desc and ("higher is better" in desc or "lower is better" in desc)
    assert "vlmsafety" in (folder / "requirements.txt").read_text()


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_kwargs_description_doctests_run_against_local_folder(name: str) -> None:
    shim = types.SimpleNamespace(
        load=lambda n, config_name=None: load_local(n, config_name))
    test = doctest.DocTestParser().get_doctest(
        module_source(name)._KWARGS_DESCRIPTION, {"evaluate": shim}, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.attempted >= 4 and res.failed == 0


def test_safe_completion_module_equals_core() -> None:
    kw: dict[str, Any] = {
        "categories": ["x", "x", "y", "y", "x", "y"],
        "perturbations": ["none", "blur", "none", "blur", "jpeg", "jpeg"],
        "severities": [0, 2, 0, 2, 1, 1], "source_ids": ["a", "a", "b", "b", "a", "b"],
        "n_boot": 200, "seed": 4, "partial_refusal": "refusal",
    }
    preds = ["safe_completion", "partial_refusal", "refusal", "direct_answer", "unscored", "irrelevant"]
    refs = ["benign", "benign", "harmful", "harmful", "benign", "harmful"]
    got = load_local("safe_completion").compute(predictions=preds, references=refs, **kw)
    want = score_dual(preds, refs, **kw).flatten()
    assert got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)


def test_safety_calibration_module_equals_core_in_both_modes() -> None:
    preds = ["refusal", "safe_completion", "irrelevant", "direct_answer", "unscored", "safe_completion"]
    refs = ["unsafe", "safe", "safe", "unsafe", "safe", "unsafe"]
    kw: dict[str, Any] = {"categories": ["drugs"] * 3 + ["violence"] * 3,
                          "prompt_ids": [1, 1, 2, 2, 3, 3], "n_boot": 100}
    for config in ("default", "parity"):
        got = load_local("safety_calibration", config).compute(predictions=preds, references=refs, **kw)
        want = score_vsc(preds, refs, mode=config, **kw).flatten()
        assert got.keys() == want.keys() and all(same(got[k], want[k]) for k in want), config


def test_over_refusal_module_equals_core() -> None:
    preds = ["refusal", "partial_refusal", "direct_answer", "safe_completion", "unscored"]
    refs = ["safe", "safe", "safe", "unsafe", "unsafe"]
    kw: dict[str, Any] = {"types": ["a", "a", "b", "contrast_b", "contrast_b"], "n_boot": 100,
                          "seed": 9}
    got = load_local("over_refusal").compute(predictions=preds, references=refs, **kw)
    want = score_xstest(preds, refs, **kw).flatten()
    assert got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)


def test_responses_config_applies_the_default_offline_judge_and_says_so() -> None:
    from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE

    responses = ["I'm sorry, but I can't help with that.", "Sure, here is how.", None]
    out = load_local("safe_completion", "responses").compute(
        predictions=responses, references=["harmful", "benign", "benign"], n_boot=0)
    labels, judge = offline_labels(responses)
    assert out["judge"] == judge == DEFAULT_OFFLINE_JUDGE
    assert labels[0] == "refusal" and labels[2] == "unscored"
    assert out["n_unscored"] == 1
    assert out == {**score_dual(labels, ["harmful", "benign", "benign"], n_boot=0,
                                judge=judge).flatten()}
    labelled = load_local("safe_completion").compute(predictions=["refusal"], references=["harmful"], n_boot=0)
    assert "judge" not in labelled


def test_module_errors_are_clear() -> None:
    with pytest.raises(ScoringInputError, match="config_name 'strict' is not allowed; allowed: 'default', 'parity'"):
        load_local("safety_calibration", "strict")
    with pytest.raises(ScoringInputError, match="prompts is only used with config 'responses'"):
        load_local("safe_completion").compute(predictions=["refusal"], references=["harmful"],
                                              prompts=["p"])
    with pytest.raises(ValueError, match="position 0: 'refused' is not a behaviour label"):
        load_local("over_refusal").compute(predictions=["refused"], references=["safe"])


def test_install_metrics_layout_idempotence_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_MODULES_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert modules_cache() == tmp_path / "home" / "modules"
    paths = install_metrics()
    assert [p.stem for p in paths] == list(METRIC_NAMES)
    for name, p in zip(METRIC_NAMES, paths):
        hash_dir = p.parent
        assert len(hash_dir.name) == 64
        assert hash_dir.parent == tmp_path / "home/modules/evaluate_modules/metrics" / f"evaluate-metric--{name}"
        assert (hash_dir / "__init__.py").is_file() and (hash_dir / "README.md").is_file()
        assert p.read_bytes() == (metric_path(name) / f"{name}.py").read_bytes()
    mtimes = [p.stat().st_mtime_ns for p in paths]
    assert install_metrics() == paths and [p.stat().st_mtime_ns for p in paths] == mtimes
    os.utime(paths[0], ns=(0, 0))
    assert install_metrics(force=True) == paths and paths[0].stat().st_mtime_ns > 0
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "explicit"))
    assert install_metrics(names=["over_refusal"])[0].is_relative_to(tmp_path / "explicit")


@pytest.fixture
def fresh_dynamic_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process whose evaluate has not imported its dynamic modules yet: evaluate imports them
    as the package ``evaluate_modules``, found once on ``sys.path`` and then kept in
    ``sys.modules``. An earlier test in this process (another module cache) leaves it pointing
    elsewhere; it is set aside for this test, and what this test imports is dropped after it."""
    def dynamic(name: str) -> bool:
        return name == "evaluate_modules" or name.startswith("evaluate_modules.")

    before = {name for name in sys.modules if dynamic(name)}
    for name in before:
        monkeypatch.delitem(sys.modules, name)  # put back when the test ends
    yield
    for name in [name for name in sys.modules if dynamic(name) and name not in before]:
        del sys.modules[name]


def test_install_metrics_also_reaches_an_already_imported_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_dynamic_modules: None
) -> None:
    """evaluate reads HF_MODULES_CACHE once, at import: when the environment moved since, the
    bare name must still load in this process (the demo registers, then a notebook loads)."""
    import evaluate
    import evaluate.config

    monkeypatch.setattr(evaluate.config, "HF_MODULES_CACHE", tmp_path / "live")
    monkeypatch.syspath_prepend(str(tmp_path / "live"))  # where that process imports them from
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "env"))
    paths = install_metrics(names=["over_refusal"])
    assert paths[0].is_relative_to(tmp_path / "env")  # what a new process will read
    live = tmp_path / "live/evaluate_modules/metrics/evaluate-metric--over_refusal"
    assert (live / paths[0].parent.name / "over_refusal.py").is_file()
    scores = evaluate.load("over_refusal").compute(predictions=["refusal", "direct_answer"],
                                                   references=["safe", "safe"], n_boot=0)
    assert scores["over_refusal_rate"] == 0.5
    # an explicit cache_dir is written alone
    only = install_metrics(names=["over_refusal"], cache_dir=tmp_path / "only")
    assert only[0].is_relative_to(tmp_path / "only")


def test_bare_names_load_offline_in_a_new_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_EVALUATE_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    install = subprocess.run([sys.executable, "-m", "vlmsafety.cli", "install-metrics", "--json"],
                             env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                             check=False)
    assert install.returncode == 0, install.stderr
    assert set(json.loads(install.stdout)) == set(METRIC_NAMES)
    code = (
        "import evaluate, json\n"
        "a = evaluate.load('safe_completion').compute(predictions=['refusal', 'safe_completion'],"
        " references=['benign', 'harmful'], n_boot=0)\n"
        "b = evaluate.load('safety_calibration', 'parity').compute(predictions=['safe_completion'],"
        " references=['safe'], n_boot=0)\n"
        "c = evaluate.load('over_refusal').compute(predictions=['refusal'], references=['safe'], n_boot=0)\n"
        "print(json.dumps([a['refusal_rate'], b['sra_s'], c['over_refusal_rate']]))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=180, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [0.5, 0.0, 1.0]


def test_metrics_ship_as_package_data() -> None:
    """Each metric folder lives in its suite, and the package-data globs carry its files."""
    from fnmatch import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    package = REPO / "vlmsafety"
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["vlmsafety"]
    for name in METRIC_NAMES:
        folder = metric_path(name)
        assert folder.name == name and (package / "suites") in folder.parents
        for f in folder.iterdir():
            if f.is_file() and not f.name.endswith((".pyc", ".lock")):
                rel = f.relative_to(package).as_posix()
                assert any(fnmatch(rel, g) for g in globs), rel


def test_app_is_import_safe() -> None:
    for name in METRIC_NAMES:
        spec = importlib.util.spec_from_file_location(f"_app_{name}", metric_path(name) / "app.py")
        assert spec and spec.loader
        spec.loader.exec_module(importlib.util.module_from_spec(spec))  # no gradio launch


def test_cli_lists_install_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    from vlmsafety.cli import main

    assert main(["install-metrics"]) == 0
    out = capsys.readouterr().out
    assert all(f"{n}: " in out for n in METRIC_NAMES)


def test_safety_calibration_module_takes_prompt_ids_and_not_the_old_pair_ids() -> None:
    metric = load_local("safety_calibration")
    kw: dict[str, Any] = {"predictions": ["refusal", "direct_answer", "refusal", "refusal"],
                          "references": ["unsafe", "safe", "unsafe", "safe"], "n_boot": 20}
    new = metric.compute(prompt_ids=["p1", "p1", "p2", "p2"], **kw)
    assert (new["pair_consistency"], new["pair_consistency_n"]) == (0.5, 2)
    with pytest.raises(TypeError, match="pair_ids"):
        metric.compute(pair_ids=["p1", "p1", "p2", "p2"], **kw)
