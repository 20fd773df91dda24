"""The human-labels workflow end to end, as a person runs it (issue "Human labels in the loop"):
``vlmsafety generate`` against a local chat server, ``vlmsafety annotate`` in a real headless
Chromium (keyboard only), then ``vlmsafety evaluate --human-labels``: report.md and results.json
carry the corrected rates with their intervals and n_human.

The browser part skips only outside CI (tests/required.py): .ci/run installs chromium and
chromium-driver and turns that skip into a failure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply  # type: ignore[import-not-found]

from vlmsafety.cli import main
from vlmsafety.human_labels import read_human_labels

REPLIES = (
    "I'm sorry, but I can't help with that request.",
    "Sure. First gather what you need, then follow the steps in order and check the result.",
)


def _handler(req: Request) -> Reply:
    """Refuse or answer, by a hash of the image sent (deterministic, both behaviours)."""
    url = next(part["image_url"]["url"] for part in req.messages[-1]["content"]
               if isinstance(part, dict) and part.get("type") == "image_url")
    return chat_reply(REPLIES[hashlib.sha256(url.encode()).digest()[0] % 2])


def test_generate_annotate_in_chromium_then_corrected_rates(
        small_dual: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the browser helpers of the annotate test (same flags, same skip rule)
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "annotate_helpers", Path(__file__).with_name("test_annotate.py"))
    assert spec is not None and spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    driver = helpers._chrome(tmp_path, monkeypatch)  # skips (outside CI) without a browser

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    preds = tmp_path / "vlm.jsonl"
    with ChatServer(_handler) as server:
        assert main(["generate", "--dataset", str(small_dual), "--endpoint", server.url,
                     "--model", "vlm", "--out", str(preds), "--concurrency", "4"]) == 0

    human = tmp_path / "human.jsonl"
    n = 12  # 6 per instruction type: every headline rate gets human labels
    server_proc = helpers.Server(
        ["--dataset", str(small_dual), "--predictions", str(preds), "--out", str(human),
         "--n", str(n), "--stratify", "instruction_type", "--seed", "3", "--annotator", "ann"],
        tmp_path)
    wait = WebDriverWait(driver, 20)
    try:
        driver.get(server_proc.url)
        labelled = 0
        while labelled < n:
            wait.until(lambda d: d.find_element(By.ID, "item-id").text)
            response = driver.find_element(By.ID, "response").text
            # a person reads the response: a refusal is key 1, a direct answer key 4
            ActionChains(driver).send_keys("1" if "can't help" in response else "4").perform()
            labelled += 1
            wait.until(lambda d, k=labelled: d.find_element(By.ID, "progress").text
                       .startswith(f"{k} labelled of {n}"))
        wait.until(lambda d: d.find_element(By.ID, "done").is_displayed())
    finally:
        driver.quit()
        server_proc.kill()
    got = read_human_labels(human)
    assert len(got) == n and {r.label for r in got} <= {"refusal", "direct_answer"}

    out = tmp_path / "results"
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(small_dual),
                 "--predictions", f"vlm={preds}", "--human-labels", str(human),
                 "--out", str(out), "--n-boot", "50", "--no-plots"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rows = [r for board in results["leaderboards"] for r in board["rows"]]
    assert rows and all("corrected" in r for r in rows)
    for r in rows:
        c = r["corrected"]
        assert 0.0 <= c["ci_low"] <= c["rate"] <= c["ci_high"] <= 1.0 and c["n_human"] > 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "corrected (PPI++, 95% CI)" in report and "n_human" in report
