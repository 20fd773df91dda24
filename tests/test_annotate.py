"""`vlmsafety annotate`: the seeded sample, the session kept in the file (answer, skip with a
reserve, undo, resume), the file-ownership rule, the page served over HTTP, and the page in a real
browser: headless Chromium (OS packages) driven by selenium: label with the keyboard, write a
note, skip, reload mid-way, undo, kill the server (SIGKILL), restart it, finish, check the file.
The browser test skips (with a reason) only outside CI: .ci/run installs chromium and
chromium-driver and sets VLMSAFETY_REQUIRE_SHARED=1, which turns that skip into a failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from required import skip_unless_available

from vlmsafety.annotation import ImageStore, Session, load_annotation_set, make_app
from vlmsafety.annotation.server import _static, lock_file, serve
from vlmsafety.cli import main
from vlmsafety.errors import InvalidArgumentError, OutputExistsError
from vlmsafety.human_labels import read_human_labels, response_sha256
from vlmsafety.scoring.sampling import allocate, draw_sample

DEMO = (Path(__file__).resolve().parents[1] / "vlmsafety" / "suites" / "dual" / "data"
        / "dual_sample_responses.jsonl")
DEMO_B = DEMO.with_name("dual_sample_responses_b.jsonl")


def write_predictions(folder: Path, out: Path, source: Path = DEMO, label: str = "refusal") -> Path:
    """The demo responses of the rows in ``folder``, judged as ``label`` (a judged file)."""
    import datasets

    ids = set()
    for config in ("clean", "perturbed"):
        ids |= set(datasets.load_dataset(str(folder), config, split="test")["id"])
    with out.open("w", encoding="utf-8") as fh:
        for line in source.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            if obj["id"] in ids:
                fh.write(json.dumps({**obj, "label": label, "judge": "fake@1"}) + "\n")
    return out


@pytest.fixture(scope="module")
def preds(small_dual: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("preds")
    return (write_predictions(small_dual, d / "a.jsonl"),
            write_predictions(small_dual, d / "b.jsonl", DEMO_B, "direct_answer"))


# ------------------------------------------------------------------------------ the draw
def test_allocation_is_proportional_with_a_floor_of_one() -> None:
    assert allocate({"a": 90, "b": 10}, 10) == {"a": 9, "b": 1}
    assert allocate({"a": 98, "b": 1, "c": 1}, 10) == {"a": 8, "b": 1, "c": 1}
    assert sum(allocate({"x": 7, "y": 5, "z": 3}, 6).values()) == 6


def test_draw_is_seeded_stratified_and_orders_the_reserve() -> None:
    strata = ["h"] * 60 + ["b"] * 40
    d = draw_sample(strata, 10, seed=5)
    assert d.allocation == {"b": (4, 40), "h": (6, 60)}
    assert sorted(d.draw[d.in_sample].tolist()) == list(range(10))  # the sample comes first
    assert set(d.prob.tolist()) == {0.1}
    again = draw_sample(strata, 10, seed=5)
    assert (again.draw == d.draw).all()
    assert not (draw_sample(strata, 10, seed=6).draw == d.draw).all()
    # a model without a response for some items: those are never drawn, the rest keep their keys
    eligible = [i % 7 != 0 for i in range(100)]
    e = draw_sample(strata, 10, seed=5, eligible=eligible)
    assert (e.draw[[i for i in range(100) if not eligible[i]]] == -1).all()
    assert sorted(e.draw[e.draw >= 0].tolist()) == list(range(sum(eligible)))


# ------------------------------------------------------------------------------ the session
def test_sample_is_per_model_and_carries_its_design(small_dual: Path, preds: tuple) -> None:
    aset = load_annotation_set(small_dual, list(preds), n=8, stratify=["instruction_type"],
                               seed=1)
    assert aset.spec.name == "dual" and aset.models == ["demo-vlm-a", "demo-vlm-b"]
    sample = aset.sample()
    assert Counter(it.model for it in sample) == {"demo-vlm-a": 8, "demo-vlm-b": 8}
    assert Counter(it.stratum for it in sample if it.model == "demo-vlm-a") == {
        "instruction_type=harmful": 4, "instruction_type=benign": 4}
    assert all(it.sampling_prob == pytest.approx(4 / 48) for it in sample)
    # the same seed over the same rows draws the same ids for both models
    assert ({it.id for it in sample if it.model == "demo-vlm-a"}
            == {it.id for it in sample if it.model == "demo-vlm-b"})
    with pytest.raises(InvalidArgumentError, match="--stratify column.*'colour'.*allowed:.*"
                                                   "instruction_type"):
        load_annotation_set(small_dual, [preds[0]], n=4, stratify=["colour"])


def test_answer_skip_reserve_undo_and_resume(small_dual: Path, preds: tuple,
                                             tmp_path: Path) -> None:
    aset = load_annotation_set(small_dual, [preds[0]], n=4, stratify=["instruction_type"],
                               seed=2)
    out = tmp_path / "h.jsonl"
    s = Session(aset, out, "ann")
    first = s.current()
    assert first is not None and s.progress() == {"labelled": 0, "skipped": 0, "remaining": 4,
                                                  "target": 4}
    assert not s.answer(first + 1, "label", "refusal")  # a stale page: nothing written
    assert not out.exists() or out.read_text() == ""
    assert s.answer(first, "label", "refusal", note="plain refusal")
    second = s.current()
    assert second is not None and second != first
    assert s.answer(second, "skip")
    replacement = s.current()
    assert replacement is not None and not s.items[replacement].in_sample  # the reserve item
    assert s.items[replacement].stratum == s.items[second].stratum
    assert s.progress() == {"labelled": 1, "skipped": 1, "remaining": 3, "target": 4}
    assert s.undo()  # retracts the skip: the skipped item is back, its replacement gone
    assert s.current() == second and replacement not in s.queue()
    assert s.answer(second, "label", "direct_answer")
    with pytest.raises(InvalidArgumentError, match="label 'unscored'; allowed: refusal"):
        s.answer(s.current() or 0, "label", "unscored")
    # a restart rebuilds the same state from the file alone
    again = Session(load_annotation_set(small_dual, [preds[0]], n=4,
                                        stratify=["instruction_type"], seed=2), out, "ann")
    assert again.current() == s.current() and again.progress() == s.progress()
    got = read_human_labels(out)
    assert {(r.id, r.label) for r in got} == {(s.items[first].id, "refusal"),
                                              (s.items[second].id, "direct_answer")}
    assert got.n_records == 4 and got.n_skipped == 0
    rec = next(r for r in got if r.id == s.items[first].id)
    assert rec.note == "plain refusal" and rec.annotator == "ann"
    assert rec.response_sha256 == response_sha256(s.items[first].response)
    assert rec.sampling_prob == pytest.approx(2 / 48)


def test_someone_elses_file_is_refused(small_dual: Path, preds: tuple, tmp_path: Path) -> None:
    aset = load_annotation_set(small_dual, [preds[0]], n=4, seed=2)
    out = tmp_path / "h.jsonl"
    s = Session(aset, out, "ann")
    s.answer(s.current() or 0, "label", "refusal")
    with pytest.raises(OutputExistsError, match="annotator 'ann', not 'bob'.*choose another --out"):
        Session(aset, out, "bob")
    other = load_annotation_set(small_dual, [preds[0]], n=4, seed=3)
    with pytest.raises(OutputExistsError, match=r"--seed, --n or --stratify differ"):
        Session(other, out, "ann")
    model_b = load_annotation_set(small_dual, [preds[1]], n=4, seed=2)
    with pytest.raises(OutputExistsError, match="not among these predictions' items"):
        Session(model_b, out, "ann")


def test_cli_refuses_an_input_as_out_and_names_missing_options(
        small_dual: Path, preds: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["annotate", "--dataset", str(small_dual), "--predictions", str(preds[0]),
                 "--out", str(preds[0])]) == 2
    assert "the output is also an input" in capsys.readouterr().err
    assert main(["annotate", "--dataset", str(small_dual), "--predictions", str(preds[0])]) == 2
    assert "annotate needs --out" in capsys.readouterr().err
    assert main(["annotate", "--plan"]) == 2
    assert "annotate needs --dataset, --predictions" in capsys.readouterr().err


# ------------------------------------------------------------------------------ the HTTP API
def test_http_api(small_dual: Path, preds: tuple, tmp_path: Path) -> None:
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from vlmsafety.annotation import ImageStore, make_app

    aset = load_annotation_set(small_dual, [preds[0]], n=3, seed=4)
    out = tmp_path / "h.jsonl"
    session = Session(aset, out, "ann")

    async def scenario() -> None:
        client = TestClient(TestServer(make_app(session, ImageStore(str(small_dual)))))
        await client.start_server()
        try:
            page = await client.get("/")
            assert page.status == 200 and "default-src 'none'" in page.headers[
                "Content-Security-Policy"]
            html = await page.text()
            assert "http" not in html.replace("http-equiv", "")  # no external asset
            state = await (await client.get("/api/state")).json()
            item = state["item"]
            assert [lab["key"] for lab in state["labels"]] == ["1", "2", "3", "4", "5"]
            img = await client.get(item["image"])
            assert img.status == 200 and img.content_type == "image/png"
            assert (await img.read())[:4] == b"\x89PNG"
            body = {"token": item["token"], "action": "label", "label": "refusal"}
            ok = await client.post("/api/answer", json=body)
            assert ok.status == 200
            assert (await ok.json())["progress"]["labelled"] == 1
            again = await client.post("/api/answer", json=body)  # a double press
            assert again.status == 409
            bad = await client.post("/api/answer", json={**body, "label": "maybe"})
            assert bad.status in (400, 409)
            cross = await client.post("/api/undo", json={},
                                      headers={"Origin": "http://evil.example"})
            assert cross.status == 403
            form = await client.post("/api/undo", data="x")
            assert form.status == 415
            undone = await (await client.post("/api/undo", json={})).json()
            assert undone["progress"]["labelled"] == 0 and undone["item"]["id"] == item["id"]
        finally:
            await client.close()

    asyncio.run(scenario())
    got = read_human_labels(out)
    assert len(got) == 0 and got.n_retracted == 1 and got.n_records == 2


# ------------------------------------------------------------------------------ in a browser
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900")


def _chrome(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip_unless_available("selenium is not installed (pip install -e '.[test]')")
    if not CHROMEDRIVER.is_file() or not CHROMIUM.is_file():
        skip_unless_available("no headless browser: apt-get install chromium chromium-driver")
    monkeypatch.setenv("SE_OFFLINE", "1")  # selenium-manager must not download a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp / 'profile'}"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


class Server:
    """``vlmsafety annotate`` in a child process on a free port."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "vlmsafety.cli", "annotate", *argv,
                                      "--port", "0"], cwd=cwd, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.url = ""
        lines = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith("serving on "):
                self.url = line.split()[-1]
                break
        assert self.url, "server did not start:\n" + "".join(lines)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.kill()


def test_label_reload_kill_restart_in_chromium(small_dual: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               servers: list[Server]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _chrome(tmp_path, monkeypatch)
    preds = write_predictions(small_dual, tmp_path / "a.jsonl", label="safe_completion")
    out = tmp_path / "human.jsonl"
    argv = ["--dataset", str(small_dual), "--predictions", str(preds), "--out", str(out),
            "--n", "5", "--stratify", "instruction_type", "--seed", "7", "--annotator", "ann"]
    wait = WebDriverWait(driver, 20)

    def text(el_id: str) -> str:
        return str(driver.find_element(By.ID, el_id).text)

    def progress_is(labelled: int, skipped: int = 0) -> None:
        wait.until(lambda d: text("progress").startswith(f"{labelled} labelled of 5 · "
                                                         f"{skipped} skipped"))

    def press(keys: str) -> None:  # to whatever has the focus, as a person types
        ActionChains(driver).send_keys(keys).perform()

    def current_id() -> str:
        wait.until(lambda d: text("item-id"))
        return text("item-id")

    try:
        servers.append(Server(argv, tmp_path))
        driver.get(servers[-1].url)
        progress_is(0)
        assert "refusal" in text("labels") and "Declines the whole request" in text("labels")
        assert not driver.find_element(By.ID, "judge-label").is_displayed()  # hidden by default
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('image'); return i.complete && i.naturalWidth"))
        pressed: dict[str, str] = {}
        first = current_id()
        press("1")  # refusal
        progress_is(1)
        pressed[first] = "refusal"
        second = current_id()
        assert second != first
        press("j")  # reveal the judge's label
        wait.until(lambda d: "Judge: safe_completion" in text("judge-label"))
        press("n")
        press("boilerplate at the end")  # typed into the note: not shortcuts
        assert driver.find_element(By.ID, "note").get_attribute("value") == "boilerplate at the end"
        press(Keys.ESCAPE)  # leaves the note
        press("3")  # safe_completion
        progress_is(2)
        pressed[second] = "safe_completion"
        third = current_id()
        press("s")  # skip: the next reserve item of its stratum comes next
        progress_is(2, 1)
        driver.refresh()  # reload mid-way: the page comes back where it was
        progress_is(2, 1)
        assert current_id() != third
        press("u")  # undo the skip
        progress_is(2, 0)
        assert current_id() == third
        press("4")
        progress_is(3)
        pressed[third] = "direct_answer"
        servers[-1].kill()  # a killed server loses nothing that was answered
        records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert [r["action"] for r in records] == ["label", "label", "skip", "retract", "label"]

        servers.append(Server(argv, tmp_path))  # restart: resumes
        driver.get(servers[-1].url)
        progress_is(3)
        while len(pressed) < 5:
            rid = current_id()
            press("2")
            progress_is(len(pressed) + 1)
            pressed[rid] = "partial_refusal"
        wait.until(lambda d: d.find_element(By.ID, "done").is_displayed())
    finally:
        driver.quit()
    got = read_human_labels(out)
    assert {r.id: r.label for r in got} == pressed
    assert got.n_skipped == 0 and got.n_retracted == 0 and got.n_records == 7
    assert {r.id: r.note for r in got}[second] == "boilerplate at the end"
    # 5 over two strata of 48: 3 benign (largest remainder, ties A-Z) and 2 harmful
    assert {(r.stratum, r.sampling_prob) for r in got} == {
        ("instruction_type=benign", 3 / 48), ("instruction_type=harmful", 2 / 48)}
    assert all(r.annotator == "ann" for r in got)


# ------------------------------------------------------------------------------ --agreement, --plan
def _labels_file(path: Path, annotator: str, labels: dict[str, str]) -> Path:
    from vlmsafety.human_labels import HumanLabel, append_record

    for i, (rid, label) in enumerate(labels.items()):
        append_record(path, HumanLabel(rid, "demo-vlm-a", label, annotator, "dual", "unpinned",
                                       "0" * 64, "all", 0.5, i, "2026-12-03T14:00:00Z"))
    return path


def test_agreement_cohen_and_fleiss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _labels_file(tmp_path / "a.jsonl", "ann",
                     {"x": "refusal", "y": "refusal", "z": "direct_answer", "only_a": "refusal"})
    b = _labels_file(tmp_path / "b.jsonl", "bob",
                     {"x": "refusal", "y": "direct_answer", "z": "direct_answer"})
    c = _labels_file(tmp_path / "c.jsonl", "cy",
                     {"x": "refusal", "y": "refusal", "z": "direct_answer"})
    assert main(["annotate", "--agreement", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    # observed 2/3; marginals ann (2/3, 1/3), bob (1/3, 2/3): chance 4/9; kappa = (2/9)/(5/9)
    assert "items labelled by all: 3 (1 labelled by only some, left out)" in out
    assert "Cohen's kappa: 0.400" in out and "exact agreement: 0.667" in out
    assert main(["annotate", "--agreement", str(a), str(b), str(c)]) == 0
    out = capsys.readouterr().out
    # n_ij: x (3 R), y (2 R, 1 D), z (3 D): Fleiss' kappa 0.55 (tests/scoring/test_agreement.py)
    assert "Fleiss' kappa: 0.550" in out
    assert main(["annotate", "--agreement", str(a)]) == 2
    assert "two or more files" in capsys.readouterr().err
    # the same file twice (or a copy) gave kappa 1.0 without a word (issue 25, item 9)
    assert main(["annotate", "--agreement", str(a), str(a)]) == 2
    assert "the same file is given twice" in capsys.readouterr().err
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(a.read_bytes())
    assert main(["annotate", "--agreement", str(a), str(copy)]) == 2
    assert "two files of one annotator" in capsys.readouterr().err


def test_plan_from_an_assumption_and_from_a_pilot(small_dual: Path, preds: tuple,
                                                  tmp_path: Path) -> None:
    from vlmsafety.annotation.plan import format_plan, plan_annotation
    from vlmsafety.scoring.planning import Moments, labels_needed, moments_from_accuracy

    plan = plan_annotation(small_dual, [preds[0]], target_width=0.3, assume_accuracy=0.9)
    rates = plan["models"]["demo-vlm-a"]
    assert set(rates) == {"harmful_safe_completion_rate", "benign_refusal_rate",
                          "harmful_direct_answer_rate"}
    # the judge says "refusal" everywhere: the benign refusal rate's judge rate is 1
    benign = rates["benign_refusal_rate"]
    expected = labels_needed(moments_from_accuracy(1.0, 0.9), n_items=48, target_width=0.3)
    assert benign["source"] == "assumed" and benign["n_in_rate"] == 48
    assert benign["n_corrected"] == expected.n_corrected
    assert benign["n_sample"] == -(-expected.n_corrected * 96 // 48)  # half the rows are benign
    # a pilot: people agree with the judge on 12 benign items (all refusals)
    pilot = _labels_file(tmp_path / "p.jsonl", "ann", {
        r: "refusal" for r in sorted(json.loads(x)["id"] for x in preds[0].read_text().splitlines()
                                     if json.loads(x)["id"].endswith("-benign"))[:12]})
    with_pilot = plan_annotation(small_dual, [preds[0]], pilot=[pilot], target_width=0.3)
    b = with_pilot["models"]["demo-vlm-a"]["benign_refusal_rate"]
    assert b["source"] == "pilot" and b["moments"]["n_pilot"] == 12
    # every pilot label a refusal: a rate of 1 is bounded by Wilson's z^2 / (n + z^2) <= 0.3
    assert b["n_corrected"] == labels_needed(Moments(1.0, 1.0, 1.0, 12), n_items=48,
                                             target_width=0.3).n_corrected == 9
    text = format_plan(with_pilot)
    assert "benign_refusal_rate" in text and "pilot 12" in text and "assumed" in text


def test_docs_give_every_label_definition_of_every_benchmark() -> None:
    """docs/human-labels.md's guidelines quote the specs' one-line definitions (no drift)."""
    from vlmsafety.specs import benchmarks, get_spec

    doc = (Path(__file__).resolve().parents[1] / "docs" / "human-labels.md").read_text()
    for name in benchmarks():
        for n, (label, definition) in enumerate(get_spec(name).labels.items(), start=1):
            assert f"| {n} | `{label}` | {definition} |" in doc, (name, label)


def test_plan_gives_rare_rate_advice_and_a_number() -> None:
    """Issue 24 item 5: a rare rate gets a warning about few positives, a number for --n (never
    ``>N``), and the judge-stratified (Neyman) allocation when it needs fewer labels."""
    from vlmsafety.annotation.plan import format_plan
    from vlmsafety.scoring.planning import Moments, labels_needed

    def entry(m: Moments, n_items: int, width: float) -> dict:
        p = labels_needed(m, n_items=n_items, target_width=width)
        return {**p.to_dict(), "source": "assumed", "n_in_rate": n_items, "title": "t",
                "n_sample": p.n_corrected or n_items}

    rare = entry(Moments(0.01, 0.05, 0.009), 2000, 0.05)
    tight = entry(Moments(0.3, 0.3, 0.09), 400, 0.02)  # out of reach within 400 items
    common = entry(Moments(0.1, 0.12, 0.09), 2000, 0.05)
    plan = {"target_width": 0.05, "benchmark": "msts", "assume_accuracy": 0.85,
            "models": {"m": {"unsafe_rate": rare, "tight_rate": tight, "common_rate": common}},
            "recommended_n": {"m": 400}}
    text = format_plan(plan)
    assert "warning: unsafe_rate: about 1.1 positives expected among 113 labels (< 5)" in text
    assert "annotate --n 400 " in text and "--n >N" not in text
    assert "stratify common_rate by the judge's verdict (Neyman)" in text
    assert "stratify unsafe_rate" not in text  # it would not help there
    assert "N_h / n_h" in text


# ------------------------------------------------------------------ issue 25, item 5: the server


def test_the_api_checks_host_tokens_and_notes(small_dual: Path, tmp_path: Path) -> None:
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    preds = write_predictions(small_dual, tmp_path / "a.jsonl")
    aset = load_annotation_set(small_dual, [preds], n=3, seed=4)
    out = tmp_path / "h.jsonl"
    session = Session(aset, out, "ann")
    n = len(session.items)

    async def scenario() -> None:
        client = TestClient(TestServer(make_app(session, ImageStore(str(small_dual))),
                                       host="127.0.0.1"))
        await client.start_server()
        port = client.port
        try:
            for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1"):
                for path in ("/", "/api/state", "/api/image/0"):
                    got = await client.get(path, headers={"Host": host})
                    assert got.status == 403, (host, path)
                post = await client.post("/api/undo", json={}, headers={"Host": host})
                assert post.status == 403
            for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
                assert (await client.get("/api/state", headers={"Host": host})).status == 200
            assert (await client.get("/api/image/-1")).status == 404
            assert (await client.get(f"/api/image/{n}")).status == 404
            assert (await client.get("/api/image/0")).status == 200
            token = (await (await client.get("/api/state")).json())["item"]["token"]
            for bad in (1e400, "Infinity", token + 0.7, -1, n, True, None, "1"):
                body = {"token": bad, "action": "label", "label": "refusal"}
                got = await client.post("/api/answer", json=body)
                assert got.status == 400, bad
                assert "token must be a whole number" in (await got.json())["error"]
            raw = await client.post("/api/answer", data='{"token": 1e400, "action": "skip"}',
                                    headers={"Content-Type": "application/json"})
            assert raw.status == 400
            body = {"token": token, "action": "label", "label": "refusal", "note": {"a": 1}}
            got = await client.post("/api/answer", json=body)
            assert got.status == 400 and "note must be text" in (await got.json())["error"]
            ok = await client.post("/api/answer", json={**body, "note": "fine"})
            assert ok.status == 200
        finally:
            await client.close()

    asyncio.run(scenario())
    records = list(read_human_labels(out))
    assert [r.note for r in records] == ["fine"]


def test_a_second_server_on_the_same_file_is_refused(small_dual: Path, tmp_path: Path) -> None:
    preds = write_predictions(small_dual, tmp_path / "a.jsonl")
    session = Session(load_annotation_set(small_dual, [preds], n=2, seed=0), tmp_path / "h.jsonl",
                      "ann")
    with lock_file(session.out), pytest.raises(OutputExistsError, match="in use by another"):
        serve(session, ImageStore(str(small_dual)), port=0, ready=lambda url: None)
    with lock_file(session.out):  # released: the next server may start
        pass


def test_the_page_says_it_is_loading_until_its_script_runs() -> None:
    html = _static("index.html").decode()
    assert 'id="loading"' in html and "Loading the labelling page" in html
    assert '$("loading").hidden = true' in _static("app.js").decode()
