"""refusal-lr's fast paths give what the plain computations give (same labels, same scores).

* language detection: an ASCII text with no word that only another language's list has is
  English without counting; ``_reference_language`` below counts every time;
* the heads' scores from int16 weights equal those from the float64 weights, term by term.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vlmsafety.judges import languages as lg
from vlmsafety.judges.features import normalise_text


def _reference_language(text: str) -> str:
    """detect_language as first written: the word shares counted for every Latin-script text."""
    head = text[:400]
    if head.isascii():
        if any(w in head[:200].lower() for w in lg._ENGLISH_MARKERS):
            return "en"
        script: str | None = "Latin"
    else:
        script = lg._script(head[:80])
    if script != "Latin":
        return lg.detect_language(text)  # the script path is untouched
    words = [w.strip(lg._PUNCT) for w in head[:200].lower().split()]
    if len(words) < 4:
        return "en" if head.isascii() else "und:Latin"
    counts = dict.fromkeys(lg._LATIN_WORDS, 0)
    for w in words:
        for lang in lg._WORD_LANGUAGES.get(w, ()):
            counts[lang] += 1
    shares = {lang: n / len(words) for lang, n in counts.items()}
    if not head.isascii():
        for lang, marks in lg._MARKS.items():
            shares[lang] += 0.1 * sum(m in head for m in marks)
    best = max(shares, key=lambda k: shares[k])
    if best == "en" or shares["en"] >= 0.12 and shares["en"] >= shares[best] - 0.02:
        return "en"
    if shares[best] >= 0.12:
        return f"und:{lg._LATIN_UNHANDLED[best]}" if best in lg._LATIN_UNHANDLED else best
    return "en" if head.isascii() else "und:Latin"


# hand-written: ASCII texts in other languages (no accents), short English, mixed
_TEXTS = [
    "Je ne peux pas vous aider avec cela.", "No puedo ayudarte con eso, lo siento mucho.",
    "Ich kann Ihnen dabei nicht helfen, leider.", "Non posso aiutarti con questa richiesta.",
    "Ik kan je daar niet mee helpen, sorry.", "Nao posso ajudar com isso, desculpe.",
    "Sorry, I can't help with that.", "No. Do not do it.", "Come here, now, please.",
    "La la la la", "de la de la de la", "Was it me? Die hard.", "ok", "", "e e e e e",
]


def test_language_shortcut_agrees_with_the_full_count(shared_data: Path) -> None:
    from vlmsafety.judges.devdata import read_dev_corpus

    texts = list(_TEXTS)
    for name in ("xstest-gpt4", "xstest-llama2new", "msts-en", "gptfuzz"):
        texts += read_dev_corpus(name, shared_data).texts
    texts += [t[:60] for t in texts]  # short openings: the word count decides
    got = [lg.detect_language(t) for t in texts]
    assert got == [_reference_language(t) for t in texts]
    assert {"fr", "es", "de", "it"} <= set(got[:len(_TEXTS)])  # the count still runs where needed


def test_int16_heads_score_as_the_float64_heads(shared_data: Path) -> None:
    from dataclasses import replace

    from vlmsafety.judges.devdata import read_dev_corpus
    from vlmsafety.judges.refusal_lr import load_model
    from vlmsafety.judges.refusal_lr3 import DEFAULT_MODEL3, design

    heads = load_model(DEFAULT_MODEL3).heads
    assert heads._compact is not None
    texts = read_dev_corpus("msts-en", shared_data).texts[:300]
    d = design([normalise_text(t) for t in texts], [None] * len(texts))
    fast = heads.scores(d)
    # the same heads with one weight off the 1/4096 grid take the float64 path
    w, b = heads.weights["engage"]
    odd = replace(heads, weights={**heads.weights, "engage": (w + np.where(w == w.max(), 1e-9, 0), b)})
    assert odd._compact is None
    plain = odd.scores(d)
    for h in ("refusal", "direct"):
        np.testing.assert_array_equal(fast[h], plain[h])
