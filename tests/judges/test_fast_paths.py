"""refusal-lr's fast paths give what the plain computations give (same labels, same scores).

* language detection: a text with no word that only another language's list has (and, if not
  ASCII, no mark of another language) is English without counting, and a text with no letter of
  another script is Latin without counting each; ``_reference_language`` below counts every time;
* the heads' scores from int16 weights equal those from the float64 weights, term by term, two
  heads summed in one pass (the parts of complex numbers) equal one ``bincount`` each, and a
  head's scores of some documents alone (``Heads.scores_of``) equal those of the whole batch;
* the heads' renumbering of the columns, gathered once in the n-gram pass, marks exactly the
  flag phrases' buckets (so the flags are those of the byte table) and gives the same scores;
* the n-gram pass's separators found from the pieces' lengths are those found in the bytes;
* verdicts built in bulk equal those the constructor builds.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from vlmsafety.judges import languages as lg
from vlmsafety.judges.features import normalise_text


def _reference_script(text: str) -> str | None:
    """The script with most letters (the first such in ``_SCRIPTS``), every script counted."""
    best, best_n = None, 0
    for name, rx in lg._SCRIPTS:
        count = len(rx.findall(text))
        if count > best_n:
            best, best_n = name, count
    return best


def _reference_language(text: str) -> str:
    """detect_language as first written: the word shares counted for every Latin-script text."""
    head = text[:400]
    if head.isascii():
        if any(w in head[:200].lower() for w in lg._ENGLISH_MARKERS):
            return "en"
        script: str | None = "Latin"
    else:
        script = _reference_script(head[:80])
        assert lg._script(head[:80]) == script
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
    # not ASCII: English with typographic quotes, marks of other languages, other scripts mixed in
    "It’s a “fine” day — really, it is.", "I can’t help with the señor’s plan.",
    "Das Bild zeigt einen Hund und eine Katze.", "¿Puedo ayudarte con algo más? No.",
    "Ça va très bien, merci.", "The Ω symbol and the ж letter are in the image.",
    "Жжж the cat is on the mat.", "… — “”", "café café café café",
    "señor mañana piñata niño",  # no listed word: the marks decide
    # ASCII, punctuation around or inside listed words, separators str.split takes for blanks
    "Ok (pas) [mais] -est- 'votre' one two", "x'pas y'mais z'est w'votre", "c'est l'image qu'est j'ai",
    "ok j'ai l'image one two three", "it is ok\x1cpas\x1dmais\x1eest\x1fvotre now", "one two three four:pas",
    "pas... mais!!! est??",
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


def test_two_heads_in_one_pass_sum_as_bincount(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmsafety.judges import refusal_lr3
    from vlmsafety.judges.devdata import read_dev_corpus
    from vlmsafety.judges.refusal_lr import load_model

    heads = load_model(refusal_lr3.DEFAULT_MODEL3).heads
    assert heads._compact is not None
    texts = read_dev_corpus("msts-en", shared_data).texts[:300] + read_dev_corpus("gptfuzz", shared_data).texts[:300]
    d = refusal_lr3.design([normalise_text(t) for t in texts], [None] * len(texts), heads.index)
    tables = heads._compact[1]
    plain = {name: bias + np.bincount(d.rows, weights=q.take(d.at) * (d.vals / 4096), minlength=d.n_docs)
             for q, (name, (_, bias)) in zip(tables, heads.weights.items())}  # one bincount a head
    for add_at in (True, False):  # numpy >= 1.25: pairs of heads in one np.add.at pass; else bincounts
        monkeypatch.setattr(refusal_lr3, "_ADD_AT", add_at)
        for only in (("refusal", "direct"), refusal_lr3.HEADS, ("direct", "engage"), ("engage",)):
            got = heads.scores(d, only)
            assert list(got) == [h for h in refusal_lr3.HEADS if h in only]
            for h in only:
                np.testing.assert_array_equal(got[h], plain[h])


def test_heads_index_marks_the_flag_buckets_and_scores_the_same(shared_data: Path) -> None:
    from vlmsafety.judges.devdata import read_dev_corpus
    from vlmsafety.judges.features import flag_buckets
    from vlmsafety.judges.refusal_lr import load_model
    from vlmsafety.judges.refusal_lr3 import DEFAULT_MODEL3, N3, design

    heads = load_model(DEFAULT_MODEL3).heads
    index = heads.index
    assert index is not None
    table, base = index
    marked = np.flatnonzero(table >= base)
    np.testing.assert_array_equal(marked, flag_buckets())  # exactly the flag buckets
    for w, _ in heads.weights.values():  # every weighted column has a number
        assert np.all(table[np.flatnonzero(w)] > 0)
    assert len(table) == N3
    texts = read_dev_corpus("xstest-llama2new", shared_data).texts[:600]
    texts += ["I'm sorry, but I can't. Instead, here is how.", "[DAN]: sure", "no, rather than that"]
    norm = [normalise_text(t) for t in texts]
    prompts: list[str | None] = [None] * len(texts)
    fast, plain = design(norm, prompts, index), design(norm, prompts)
    assert fast.at is not None and plain.at is None
    for name in ("rows", "cols", "vals", "flags", "vlm"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(plain, name))
    np.testing.assert_array_equal(fast.at, table[plain.cols])
    assert np.any(fast.flags)  # the flags were found through the table
    for h, s in heads.scores(fast).items():
        np.testing.assert_array_equal(s, heads.scores(plain)[h])
        for docs in ([0], [5, 1, 300], list(range(0, len(texts), 7)), []):  # some documents only
            np.testing.assert_array_equal(heads.scores_of(fast, h, docs), s[docs])
            np.testing.assert_array_equal(heads.scores_of(plain, h, docs), s[docs])
    assert set(heads.scores(fast, ("engage",))) == {"engage"}


def test_buffer_separators_are_those_in_the_bytes() -> None:
    from vlmsafety.judges.features import MAX_BYTES, _buffer

    for texts in (["i can't", "", "sure, here", "no."], ["caf\u00e9 \u00e9" * 200, "i can't"], [],
                  ["x" * 700, "\u00e9" * 400], ["y" * 601, "ok"]):
        data, seps = _buffer(texts)
        np.testing.assert_array_equal(seps, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0))
        assert [data[a + 1:b] for a, b in pairwise(seps.tolist())] == [
            t.encode()[:MAX_BYTES] for t in texts]  # the fast ASCII path cuts as the bytes are cut


def test_a_separator_inside_a_text_reads_as_a_blank() -> None:
    from vlmsafety.judges.features import batch_features

    # normalise_text leaves no NUL; a caller's own normalised texts may hold one (was an IndexError)
    for texts in (["a\x00b c", "i can't"], ["i can't", "\x00\x00 no", "caf\u00e9\x00 ok"]):
        got = batch_features(texts, normalised=texts)
        blank = [t.replace("\x00", " ") for t in texts]
        want = batch_features(blank, normalised=blank)
        assert got.n_docs == len(texts)
        for name in ("rows", "cols", "vals", "flags", "keys"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


def test_round4_is_pythons_round() -> None:
    from vlmsafety.judges.refusal_lr3 import _round4

    halves = (np.arange(10_001) + 0.5) / 1e4  # the doubles nearest to the ties, and their neighbours
    x = np.concatenate((np.random.default_rng(0).random(100_000), halves, np.nextafter(halves, 0),
                        np.nextafter(halves, 1), np.arange(33) / 32))
    assert _round4(x) == [round(v, 4) for v in x.tolist()]


def test_batches_of_several_chunks_equal_one_by_one(shared_data: Path) -> None:
    from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge
    from vlmsafety.judges.devdata import read_dev_corpus
    from vlmsafety.judges.features import CHUNK

    judge = load_judge(DEFAULT_OFFLINE_JUDGE)
    texts: list[str | None] = list(read_dev_corpus("xstest-llama2new", shared_data).texts[:2 * CHUNK + 9])
    one_by_one = [judge.judge(t) for t in texts]
    assert judge.judge_many(texts) == one_by_one  # all English: labels written chunk by chunk
    mixed = texts[:CHUNK] + ["Lo siento, pero no puedo ayudarte con eso.", None, " "] + texts[CHUNK:]
    got = judge.judge_many(mixed)
    assert [v.label for v in got[CHUNK:CHUNK + 3]] == ["refusal", "unscored", "irrelevant"]
    assert got[:CHUNK] + got[CHUNK + 3:] == one_by_one


def test_typographic_marks_replaced_as_a_translation_table_would(shared_data: Path) -> None:
    import random

    from vlmsafety.judges import features
    from vlmsafety.judges.devdata import read_dev_corpus

    table = str.maketrans(dict(features._TRANSLATE))
    marks = "".join(c for c, _ in features._TRANSLATE)
    rng = random.Random(0)  # hand-made: every mark, runs of them, beside other non-ASCII text
    texts = ["".join(rng.choice(marks + "ab \u00e9\u4e2d'\"-") for _ in range(rng.randint(0, 40)))
             for _ in range(3000)]
    texts += [t for name in ("xstest-gpt4", "msts-en", "gptfuzz")
              for t in read_dev_corpus(name, shared_data).texts if not t.isascii()]
    for t in texts:  # normalise_text as first written, with the table
        plain = t[: 2 * features.MAX_BYTES].lower().translate(table)
        plain = features._CODE.sub(" code ", plain) if "`" in plain else plain
        plain = features._QUOTE.sub(' "quote" ', plain) if '"' in plain else plain
        plain = features._SYMPATHY.sub("sad", plain) if "sorry" in plain else plain
        assert features.normalise_text(t) == plain, t


def test_design_is_the_plain_one(shared_data: Path) -> None:
    """:func:`design` (its n-gram pass's buffer read by the VLM word gates, chunk by chunk) gives
    the entries of the n-grams, then the 2.x indicators, then the VLM indicators, each computed
    alone, in one call of several chunks and in small ones, with texts holding a NUL (which the n-gram
    pass blanks) and texts that are not ASCII."""
    from vlmsafety.judges.devdata import read_dev_corpus
    from vlmsafety.judges.features import N_FEATURES, RULE_SCALE, batch_features, rule_entries
    from vlmsafety.judges.refusal_lr import load_model
    from vlmsafety.judges.refusal_lr3 import DEFAULT_MODEL3, design
    from vlmsafety.judges.vlm_features import _indicators

    heads = load_model(DEFAULT_MODEL3).heads
    index = heads.index
    ts = read_dev_corpus("xstest-gpt4", shared_data)
    norm = [normalise_text(t) for t in ts.texts[:600]]
    extra = ["1) a\n\x001. b", "w\x00" * 45, "the image shows", "Could You Clarify?", "é could you clarify", ""]
    norm += extra  # (a NUL is no blank for \s and the word count, a blank is)
    prompts: list[str | None] = [p or None for p in ts.prompts[:600]] + [None] * len(extra)
    for size in (len(norm), 256, 7):
        for s in range(0, len(norm), size):
            tx, pr = norm[s:s + size], prompts[s:s + size]
            for ix in (index, None):
                f = batch_features(tx, normalised=tx, index=ix, rules=False)
                rr, rc = rule_entries(f.flags)
                x, withhold = _indicators(tx, pr)
                r, c = np.nonzero(x)
                d = design(tx, pr, ix)
                np.testing.assert_array_equal(d.rows, np.concatenate((f.rows, rr, r)))
                np.testing.assert_array_equal(d.cols, np.concatenate((f.cols, rc, c + N_FEATURES)))
                np.testing.assert_array_equal(d.vals, np.concatenate((f.vals, np.full(len(rr), RULE_SCALE), x[r, c])))
                np.testing.assert_array_equal(d.flags, f.flags)
                np.testing.assert_array_equal(d.vlm, x)
                assert d.withhold is not None and np.array_equal(d.withhold, withhold)
                assert (d.at is None) == (ix is None)
                if ix is not None and d.at is not None:
                    np.testing.assert_array_equal(d.at, ix[0][d.cols])
                # a few documents' scores (scores_of selects their entries)
                score = heads.scores(d, ("engage",))["engage"]
                for docs in ([0], [len(tx) - 1, 0, 3], [2, 2], list(range(0, len(tx), 3)), []):
                    docs = [i for i in docs if i < len(tx)]
                    np.testing.assert_array_equal(heads.scores_of(d, "engage", docs), score[docs])
