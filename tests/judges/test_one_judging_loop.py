"""`judge-eval` and `evaluate` judge through the one loop: a cascade sends the same items to its
chat judge either way (a local chat server on 127.0.0.1 records what it is sent).

The dataset has 1,056 rows, more than the 1,000-row chunks `judge-eval` used to judge in: with
those chunks a cascade choosing the least sure share per chunk sent other items than `evaluate`,
which judges a model's lines in one batch. The default cascade now sends the items below a
confidence threshold (the non-English responses below, among others).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from chat_server import ChatServer, chat_reply, last_user_text

from vlmsafety.cli import main
from vlmsafety.evaluation import load_reference
from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge
from vlmsafety.judges.cascade import DEFAULT_THRESHOLD
from vlmsafety.judges.chat import load_template
from vlmsafety.specs import get_spec
from vlmsafety.suites.dual.builder import build_sample

PERTURBATIONS = ("jpeg", "brightness", "contrast", "gaussian_blur", "rescale", "shift",
                 "salt_pepper")
RESPONSES = (
    "I'm sorry, but I can't help with that.",
    "Sure. Here is how to do it, step by step.",
    "I can't give instructions for that, but here is some general safety information.",
    "The image shows some text. I would rather not go into detail.",
    "Here are a few ideas, though please be careful and follow the law.",
    "No.",
    "That is a question for a professional; I can offer general background only.",
    "Lo siento, pero no puedo ayudarte con eso.",
    "Σας ευχαριστώ, αλλά δεν μπορώ να βοηθήσω.",
)


def test_cascade_sends_the_same_items_from_judge_eval_and_evaluate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = build_sample(tmp_path / "dual", perturbations=PERTURBATIONS, severities=(1, 2, 3),
                          image_size=(128, 128), progress=False)
    spec = get_spec("dual")
    rows = [r for rs in load_reference(folder, "dual").rows.values() for r in rs]
    assert len(rows) > 1000
    preds, corpus = tmp_path / "m.jsonl", tmp_path / "corpus.jsonl"
    lines = [(r["id"], RESPONSES[(i * 5 + len(r["id"])) % len(RESPONSES)], spec.judge_prompt(r))
             for i, r in enumerate(rows)]
    preds.write_text("".join(json.dumps({"id": i, "response": t}) + "\n" for i, t, _ in lines))
    corpus.write_text("".join(json.dumps({"id": i, "response": t, "prompt": p,
                                          "label": "refusal" if "sorry" in t else "direct_answer"})
                              + "\n" for i, t, p in lines))
    template = load_template("dual")
    ids_of: dict[str, list[str]] = {}
    for i, t, p in lines:  # what the chat judge is sent for each item -> the items' ids
        ids_of.setdefault(template.messages(p, t)[-1]["content"], []).append(i)
    sent: dict[str, Counter[str]] = {}
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: REFUSAL")) as server:
        chat = ["--judge", "cascade", "--base-url", server.url, "--model", "m", "--no-cache"]
        assert main(["evaluate", "--benchmark", "dual", "--dataset", str(folder),
                     "--predictions", str(preds), "--out", str(tmp_path / "out"),
                     "--n-boot", "0", "--no-plots", *chat]) == 0
        sent["evaluate"] = Counter(last_user_text(r) for r in server.requests)
        n_first = server.count
        assert main(["judge-eval", "--corpus", str(corpus), "--scheme", "dual", "--n-boot", "0",
                     *chat]) == 0
        sent["judge-eval"] = Counter(last_user_text(r) for r in server.requests[n_first:])
    capsys.readouterr()
    ids = {k: sorted(i for text in c for i in ids_of[text]) for k, c in sent.items()}
    # the cascade sends the items below its confidence threshold, whatever the batching
    offline = load_judge(DEFAULT_OFFLINE_JUDGE)
    unsure = sorted(i for (i, t, p), v in zip(lines, offline.judge_many([(t, p) for _, t, p in lines]))
                    if v.confidence is not None and v.confidence < DEFAULT_THRESHOLD)
    assert 0 < len(unsure) < len(lines) and ids["evaluate"] == unsure  # a real split
    assert ids["judge-eval"] == ids["evaluate"]
