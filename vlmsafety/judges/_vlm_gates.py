"""Word gates of the VLM indicators (:mod:`vlmsafety.judges.vlm_features`), for a chunk of texts
at once with numpy (no Python loop over words).

Every match of a gated pattern contains one of its gate phrases: a word, two adjacent words or
three (words are runs of ASCII word characters, ``[A-Za-z0-9_]``, as ``\\w`` reads an ASCII text;
anything between two words is skipped); the two opening patterns start with one of their words
(the text's first word). The exact pattern runs only where its gate passes, from where its first
gate phrase can start (:data:`BEFORE`), and on every text that is not ASCII.
``tests/judges/test_vlm_features.py`` checks that each gate is a necessary condition, on written
texts and on the corpora.

How a word is read: its first 8 bytes (longer words that share them are read as one: a gate then
passes more often, never less). The words of the one- and two-word phrases get small numbers
(one hash lookup per word), pairs are looked up by their two numbers in a dense table; a
three-word phrase is a pair that needs a third word, read by its first 3 bytes (the pattern's
third word starts with them: ``"could you provide"`` also passes ``"could you prove"``), checked
only after the few pairs that need one.

Example:
    >>> gates, spaces, since, items = word_gates(["could you clarify?", "you could not"], 160)
    >>> bool(gates[0] & GATE_BIT["vlm:question_back"]), bool(gates[1] & GATE_BIT["vlm:question_back"])
    (True, False)
    >>> spaces.tolist()
    [2, 2]
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

_THE = ("the", "this")
_NOUNS = ("image", "picture", "photo", "photograph", "screenshot", "sign", "text")
_VERB1 = ("determine", "tell", "say", "know", "be", "confirm", "identify")  # _VERB's first words
_ASK1 = ("please", "provide", "clarify", "give", "share", "tell", "explain", "specify",
         "elaborate", "describe", "let")  # the word after "could you" in vlm:question_back
PHRASE_GATES: dict[str, tuple[str, ...]] = {
    "vlm:describe": tuple(f"{a} {b}" for a in _THE for b in _NOUNS),
    "vlm:question_back": (
        *(f"{a} you {b}" for a in ("could", "can", "would") for b in _ASK1),
        *(f"what {a} you" for a in ("do", "did", "are")), "more context", "more information",
        "more details", "not sure what", "not sure i", "not sure how", "if you could",
        "if you can"),
    "vlm:uncertain": (
        "m not sure", "am not sure", "m not certain", "am not certain", "don t know",
        "do not know", "it depends", "unclear",
        *(f"{a} to {b}" for a in ("impossible", "possible", "difficult", "hard", "unable")
          for b in _VERB1),
        *(f"{a} {b}" for a in ("cannot", "can t") for b in _VERB1)),
    "vlm:considerations": (  # "it's" is read as the words "it" and "s"
        *(f"{a} {b} to" for a in ("s", "is") for b in ("important", "crucial", "essential",
                                                       "advisable", "best", "wise")),
        "good idea to",
        *(f"{a} {b}" for a in ("consider", "considering") for b in ("the", "your", "whether", "how")),
        "prioritise", "prioritize", "be mindful"),
    "vlm:should_not": (
        "should not", "shouldn", "must not", "not recommended", "not advisable", "never a good",
        "never advisable", "never safe", "is illegal", "are illegal", "against the law"),
    "rule:withhold": (  # the split rules' pattern _split_gates._WITHHOLD (not an indicator)
        "won t", "will not", "can t", "i cannot", "not going", "without going", "without providing",
        "without giving", "omit", "leave out", "not include", "t include", "for safety"),
}
"""Per gated pattern: the phrases (one, two or three words) one of which each match contains.
A third word stands for the words that start with its first 3 letters (one or two letters: that
word alone), so the pattern's word there must start with it, or be it when it is shorter."""
BEFORE = {"vlm:question_back": 0, "vlm:uncertain": 4, "vlm:considerations": 15,
          "vlm:should_not": 0}
"""Per indicator searched from its first gate phrase: how many characters before its gate phrase
a match can start at most ("it is always a good idea to": 15 before "good idea to"; "not possible
to say": 4 before "possible to say"; every match of ``vlm:question_back`` and ``vlm:should_not``
starts with its phrase). A match that started more than that before the text's
first phrase would hold an earlier phrase, so the search from there finds what the search from the
start finds (the look-behinds and ``\b`` still see the characters before)."""
FIRST_GATES: dict[str, tuple[str, ...]] = {
    "vlm:rebut_open": ("no", "absolutely", "definitely", "you", "please", "do", "don", "i", "it",
                       "that", "this"),
    "vlm:comply_open": ("yes", "sure", "certainly", "of", "absolutely", "great", "here", "to",
                        "that", "this"),
}
"""Per opening pattern: the words one of which its match starts with (after non-word characters)."""
GATE_BIT = {name: 1 << k for k, name in enumerate((*PHRASE_GATES, *FIRST_GATES))}
"""The bit of each gate in :func:`word_gates`' answer."""
ALL_GATES = (1 << len(GATE_BIT)) - 1

_W_CLASS = np.zeros(256, dtype=bool)
_W_CLASS[[ord(c) for c in string.ascii_letters + string.digits + "_"]] = True
_W_BYTES = bytes(_W_CLASS.view(np.uint8))
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_MIX = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1
_THIRD = 0xFFFFFF  # a third word: its first 3 bytes
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[c for c in range(128) if chr(c).isspace()]] = True  # \s of an ASCII text
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[[ord(c) for c in string.digits]] = True


def _word_key(word: str) -> int:
    """A word's key: its first 8 bytes, little-endian."""
    return int.from_bytes(word.encode("ascii")[:8], "little")


def _perfect_hash(keys: list[int]) -> tuple[int, int]:
    """The smallest table (its ``shift``: bucket = ``key * mix mod 2**64 >> shift``) and a
    multiplier (``mix``, odd) that put no two keys in one bucket: a small table stays in cache."""
    for shift in range(64 - 10, 40, -1):
        for i in range(64):
            mix = _MIX * (2 * i + 1) & _M64
            if len({(k * mix & _M64) >> shift for k in keys}) == len(keys):
                return shift, mix
    raise AssertionError("no table without collisions")  # pragma: no cover


def _tables() -> tuple[int, int, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The word numbers' hash table (shift, multiplier, key and number by bucket)
    and the gate tables by word number: ``one`` (a word's gate bits), ``first`` (as a text's first
    word), ``two`` and ``need`` (a pair's gate bits, and the row of ``combo`` its third word is
    looked up in), ``combo`` (sorted: third word's 3 bytes << 8 | row) and ``combo_bits``."""
    phrases = [(name, ph.split()) for name, phs in PHRASE_GATES.items() for ph in phs]
    words = sorted({_word_key(w) for _, ws in phrases for w in ws[:2]}
                   | {_word_key(w) for ws in FIRST_GATES.values() for w in ws})
    number = {k: i + 1 for i, k in enumerate(words)}
    n = len(words) + 1
    assert n <= 256, "word numbers are uint8"
    shift, mix = _perfect_hash(words)
    key_of = np.zeros(1 << (64 - shift), dtype=np.uint64)
    number_of = np.zeros(1 << (64 - shift), dtype=np.uint8)
    for k in words:
        bucket = (k * mix & _M64) >> shift
        key_of[bucket], number_of[bucket] = k, number[k]
    t = {"one": np.zeros(n, np.uint8), "first": np.zeros(n, np.uint8),
         "two": np.zeros(n * n, np.uint8), "need": np.zeros(n * n, np.uint8)}
    combos: dict[int, int] = {}
    for name, ws in phrases:
        ids = [number[_word_key(w)] for w in ws[:2]]
        if len(ws) == 1:
            t["one"][ids[0]] |= GATE_BIT[name]
        elif len(ws) == 2:
            t["two"][ids[0] * n + ids[1]] |= GATE_BIT[name]
        else:
            pair = ids[0] * n + ids[1]
            if not t["need"][pair]:
                t["need"][pair] = int(t["need"].max()) + 1
            third = (_word_key(ws[2]) & _THIRD) << 8 | int(t["need"][pair])
            combos[third] = combos.get(third, 0) | GATE_BIT[name]
    for name, firsts in FIRST_GATES.items():
        for w in firsts:
            t["first"][number[_word_key(w)]] |= GATE_BIT[name]
    t["combo"] = np.array(sorted(combos), dtype=np.uint64)
    t["combo_bits"] = np.array([combos[c] for c in sorted(combos)], dtype=np.uint8)
    assert t["need"].max() < 256, "rows of combo are 8 bits"
    return shift, mix, key_of, number_of, t


_SHIFT, _MIXED, _KEY_OF, _NUMBER_OF, _T = _tables()
_N_WORDS = len(_T["one"])


def _numbers(keys: np.ndarray) -> np.ndarray:
    """Each key's word number (0: a word of no gate phrase)."""
    bucket = keys * np.uint64(_MIXED)
    bucket >>= np.uint64(_SHIFT)
    bucket = bucket.view(np.intp)  # < 2**23: the same numbers
    numbers = _NUMBER_OF.take(bucket)
    numbers *= _KEY_OF.take(bucket) == keys
    return numbers


def _phrase_bits(keys: np.ndarray) -> np.ndarray:
    """Per word, the bits of the gate phrases that start there."""
    numbers = _numbers(keys)
    bits = _T["one"].take(numbers)
    if len(keys) < 2:
        return bits
    pair = numbers[:-1].astype(np.intp)
    pair *= _N_WORDS
    pair += numbers[1:]
    bits[:-1] |= _T["two"].take(pair)
    row = _T["need"].take(pair)
    need = np.flatnonzero(row[:-1])  # a pair that needs a third word (and has one)
    if len(need):
        third = (keys[need + 2] & np.uint64(_THIRD)) << np.uint64(8)
        third |= row[need].astype(np.uint64)
        at = np.minimum(np.searchsorted(_T["combo"], third), len(_T["combo"]) - 1)
        found = _T["combo"][at] == third
        bits[need[found]] |= _T["combo_bits"][at[found]]
    return bits


def _search_from(bits: np.ndarray, doc: np.ndarray, where: np.ndarray, n: int
                 ) -> dict[str, list[int]]:
    """Per indicator of :data:`BEFORE`, per text, where its search can start: its first phrase
    less :data:`BEFORE` (0 without one); ``bits``, ``doc`` and ``where`` (in its text) of each
    phrase, in order."""
    since: dict[str, list[int]] = {}
    for name, before in BEFORE.items():
        at = np.flatnonzero(bits & GATE_BIT[name])
        d = doc[at]
        first = np.ones(len(d), dtype=bool)
        first[1:] = d[1:] != d[:-1]
        start = np.zeros(n, dtype=np.int64)
        start[d[first]] = np.maximum(where[at[first]] - before, 0)
        since[name] = start.tolist()
    return since


def _advance(buf: np.ndarray, at: np.ndarray, over: np.ndarray) -> np.ndarray:
    """From each position, the first one on whose byte is not in ``over`` (a table by byte)."""
    at = at.copy()
    moving = np.flatnonzero(over[buf[at]])
    while len(moving):
        at[moving] += 1
        moving = moving[over[buf[at[moving]]]]
    return at


def _list_items(buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    r"""Per text of the buffer, its list items: the matches of ``(?:^|\n)\s*(?:\d+[.)]|step
    \d)``, which do not overlap, so each is a run of blanks that starts the text or holds a line
    break (one match however many breaks it holds), then an item just after it."""
    after = _advance(buf, np.concatenate((starts, np.flatnonzero(buf == 10))), _BLANK)
    digit = _DIGIT[buf[after]]
    end = _advance(buf, after[digit], _DIGIT)  # after the item's digits: "." or ")"
    numbered = after[digit][(buf[end] == 46) | (buf[end] == 41)]
    step = after[buf[after] == ord("s")]
    step = step[(buf[step + 1] == ord("t")) & (buf[step + 2] == ord("e"))
                & (buf[step + 3] == ord("p")) & (buf[step + 4] == 32) & _DIGIT[buf[step + 5]]]
    found = np.sort(np.concatenate((numbered, step)))
    first = np.ones(len(found), dtype=bool)  # a run with two line breaks: one item
    first[1:] = found[1:] != found[:-1]
    found = found[first]
    return np.bincount(np.searchsorted(starts, found, side="right") - 1, minlength=len(starts))


class WordGates(NamedTuple):
    """What :func:`word_gates` reads from a chunk of texts, per text."""

    gates: np.ndarray
    """The bits (:data:`GATE_BIT`) of the gates that pass (all of them when the text is not
    ASCII: its words are not read here)."""
    spaces: np.ndarray
    """Its number of blanks (-1 when not ASCII)."""
    since: dict[str, list[int]]
    """Per indicator of :data:`BEFORE`, where its search can start (0 when not ASCII)."""
    items: np.ndarray
    """Its list items (``vlm:steps``' matches; -1 when not ASCII)."""


def word_gates(texts: Sequence[str], opening: int, shared: tuple[bytes, np.ndarray] | None = None
               ) -> WordGates:
    """The gates, blanks, search starts and list items of a chunk of texts (:class:`WordGates`);
    the opening patterns' gates read the first word of the first ``opening`` characters.

    ``shared``: the n-gram pass's buffer of these texts (``features._buffer``, which must not
    have blanked a NUL, and read as many bytes as the texts have characters), read instead of
    building one: each text's bytes between two NULs. Its texts that are not ASCII are read as
    such by their bytes (their words only make their neighbours' gates pass more often, as any
    two adjacent texts' words do)."""
    n = len(texts)
    if shared is None:
        ascii_ = [t.isascii() for t in texts]
        lengths = np.array([len(t) if a else 0 for t, a in zip(texts, ascii_)], dtype=np.int64)
        starts = np.zeros(n, dtype=np.int64)  # where each text starts in the buffer
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
        starts += 1
        data = "\x00".join(["", *(t if a else "" for t, a in zip(texts, ascii_)), "\x00" * 8]
                            ).encode("ascii")
        other = ~np.array(ascii_, dtype=bool)
    else:
        data, seps = shared[0] + bytes(8), shared[1]  # (the 8-byte reads' padding)
        starts, lengths = seps[:-1] + 1, np.diff(seps) - 1
        other = np.zeros(n, dtype=bool)
        if not data.isascii():  # the texts whose bytes read are not (a text's first bytes may be)
            for i in np.flatnonzero(~np.fromiter(map(str.isascii, texts), bool, n)).tolist():
                other[i] = not data[seps[i] + 1:seps[i + 1]].isascii()
    buf = np.frombuffer(data, dtype=np.uint8)
    word = np.frombuffer(data.translate(_W_BYTES), dtype=np.bool_)  # bytes.translate: one C pass
    change = np.empty(len(word), dtype=bool)  # at each position: a word starts or ends there
    change[0] = False
    np.not_equal(word[1:], word[:-1], out=change[1:])
    edge = np.flatnonzero(change)  # word starts and ends, alternating
    begin = edge[0::2]
    size = edge[1::2] - begin
    # a word's key: its first 8 bytes (an unaligned 8-byte read, masked to the word)
    eight = np.ndarray((len(buf) - 7,), dtype="<u8", buffer=data, strides=(1,))
    keys = eight.take(begin) & _KEEP.take(np.minimum(size, 8))  # (take: a lighter gather)
    # phrases across two texts (the last words of one, the first of the next) only make a gate
    # pass more often
    bits = _phrase_bits(keys)
    at = np.flatnonzero(bits)
    gates = np.zeros(n, dtype=np.int64)
    doc = np.searchsorted(starts, begin[at], side="right") - 1
    bits = bits[at].astype(np.int64)
    np.bitwise_or.at(gates, doc, bits)
    since = _search_from(bits, doc, begin[at] - starts[doc], n)
    # the first word of each text, and whether it runs past the opening (then it may be cut there)
    first = np.minimum(np.searchsorted(begin, starts), max(len(begin) - 1, 0))
    if len(begin):
        inside = begin[first] < starts + lengths
        fb = _T["first"].take(_numbers(keys[first])).astype(np.int64)
        fb |= np.where(begin[first] + size[first] > starts + opening, ALL_GATES, 0)
        gates |= np.where(inside, fb, 0) & (GATE_BIT["vlm:rebut_open"] | GATE_BIT["vlm:comply_open"])
    # per text, from the separator before it to the next: its spaces
    spaces = np.add.reduceat((buf == 32).view(np.uint8), starts - 1, dtype=np.int64)
    gates[other] = ALL_GATES
    spaces[other] = -1
    items = _list_items(buf, starts)
    items[other] = -1
    for name in BEFORE:
        for i in np.flatnonzero(other).tolist():
            since[name][i] = 0
    return WordGates(gates, spaces, since, items)
