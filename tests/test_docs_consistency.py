"""The docs and the CLI help agree with the code: one home for the default judge, no reST in help.

The default judge is named in one place, docs/judges.md "The default judge"; every other page
links there, and every ``--help`` prints it from ``DEFAULT_OFFLINE_JUDGE`` (issue 21 item 7).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from vlmsafety.cli import build_parser
from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE, available_judges
from vlmsafety.specs import benchmarks, get_spec

REPO = Path(__file__).resolve().parents[1]
HOME = REPO / "docs" / "judges.md"
HOME_SECTION = "## The default judge"

_BASES = sorted({n.split("@", 1)[0] for n in available_judges()} | {"keyword", "refusal-lr"},
                key=len, reverse=True)
_NAME = r"(?P<name>(?:" + "|".join(map(re.escape, _BASES)) + r")(?:@[\w.+<>-]*[\w>])?)"
# Ways prose and help text say "X is the default judge".
_CLAIMS = [re.compile(p, re.IGNORECASE) for p in (
    r"\bdefault(?: offline)? judge(?:,| is|:| =| \()\s*(?:today |now )?" + _NAME,
    _NAME + r"\s*\((?:the |today's |the current )?default(?:\)|;|,| judge)",
    r"DEFAULT_OFFLINE_JUDGE\s*(?:,|\()?\s*(?:is|=|stays|becomes|today|now)\s+" + _NAME,
    _NAME + r",?\s+(?:is|stays|becomes|remains)\s+(?:still\s+)?(?:the\s+)?default\b",
    r"\bdefault[:=]?\s+" + _NAME + r"(?![\w-])",
    _NAME + r"\s*=\s*[^;()=]{0,40}?,\s*default\b",
)]
_REST = re.compile(r"``|:(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj):`")


def default_claims(text: str) -> list[str]:
    """The judge names ``text`` states to be the default (markdown emphasis and code removed)."""
    flat = re.sub(r"\s+", " ", re.sub(r"[`*]", "", text))
    return [m.group("name") for rx in _CLAIMS for m in rx.finditer(flat)]


def is_default(name: str) -> bool:
    """Whether ``name`` denotes DEFAULT_OFFLINE_JUDGE (bare base, version, or placeholder hash)."""
    name = re.sub(r"\+<[^>]*>$", "", name)
    return (name == DEFAULT_OFFLINE_JUDGE or DEFAULT_OFFLINE_JUDGE.startswith(name + "+")
            or name == DEFAULT_OFFLINE_JUDGE.split("@", 1)[0])


@pytest.fixture
def help_texts(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``--help`` of the command and of every subcommand, nested ones included, unwrapped (a
    name wrapped at its hyphen would hide from the checks)."""
    monkeypatch.setenv("COLUMNS", "10000")
    out: dict[str, str] = {}

    def walk(parser: argparse.ArgumentParser) -> None:
        out[parser.prog] = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    walk(child)

    walk(build_parser())
    return out


def doc_pages() -> list[Path]:
    pages = [REPO / "README.md", REPO / "ARCHITECTURE.md", REPO / "PERFORMANCE.md",
             *sorted((REPO / "docs").rglob("*.md")), *sorted((REPO / "perf").glob("*.md")),
             *sorted((REPO / "metrics").glob("*/README.md"))]
    return [p for p in pages if p.is_file()]


@pytest.mark.parametrize(("text", "named"), [
    ("| `keyword` (default) | the offline rules |", ["keyword"]),
    ("`DEFAULT_OFFLINE_JUDGE` (today `keyword@1.0.0`) is the default", ["keyword@1.0.0"]),
    ("--judge NAME  a registered judge (keyword = offline rules, latest version, default; chat)",
     ["keyword"]),
    ("The default offline judge is `refusal-lr@2.0.0` (a small model).", ["refusal-lr@2.0.0"]),
    ("chat (default refusal-lr@2.0.0+90c68109)", ["refusal-lr@2.0.0+90c68109"]),
    ("So `DEFAULT_OFFLINE_JUDGE` stays `keyword@1.0.0`; ...", ["keyword@1.0.0"]),
    ("(With `keyword@1.0.0`, the previous default: 5 of 8 inside)", []),
    ("rubric of the chat judge (default: dual)", []),
])
def test_the_claim_finder_finds_what_it_must(text: str, named: list[str]) -> None:
    assert default_claims(text) == named


def test_is_default_accepts_only_the_codes_default() -> None:
    base, version = DEFAULT_OFFLINE_JUDGE.split("@", 1)
    assert is_default(DEFAULT_OFFLINE_JUDGE) and is_default(base)
    assert is_default(f"{base}@{version.split('+')[0]}+<sha8>")
    assert not is_default("keyword@1.0.0") and not is_default("keyword")


def test_the_default_judge_has_one_home_in_the_docs() -> None:
    text = HOME.read_text(encoding="utf-8")
    assert HOME_SECTION in text
    section = text.split(HOME_SECTION, 1)[1].split("\n## ", 1)[0]
    claims = default_claims(section)
    assert claims and all(map(is_default, claims)), claims
    for page in doc_pages():
        body = page.read_text(encoding="utf-8")
        if page == HOME:
            body = body.replace(section, "")
        wrong = [n for n in default_claims(body) if not is_default(n)]
        assert not wrong, f"{page.relative_to(REPO)} names {wrong} as the default judge"
        assert not default_claims(body), (
            f"{page.relative_to(REPO)} names the default judge; link to docs/judges.md"
            "#the-default-judge instead")


def test_help_names_the_default_judge_of_the_code_and_has_no_rest_markup(
        help_texts: dict[str, str]) -> None:
    texts = help_texts
    assert {"vlmsafety", "vlmsafety evaluate", "vlmsafety build dual"} <= set(texts)
    named = 0
    for prog, text in texts.items():
        claims = default_claims(text)
        assert all(map(is_default, claims)), f"`{prog} --help` names {claims} as the default judge"
        named += len(claims)
        found = _REST.search(text)
        assert found is None, f"`{prog} --help` shows reST markup: {text[found.start() - 40:][:80]!r}"
    assert named >= 3  # judge, judge-eval and evaluate print it


def test_readme_and_cli_name_every_registered_benchmark(help_texts: dict[str, str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    top = help_texts["vlmsafety"]
    for name in benchmarks():
        title = get_spec(name).title
        assert f"**{title}**" in readme, f"README.md has no paragraph on {title}"
        assert title in re.sub(r"\s+", " ", top), f"`vlmsafety --help` does not name {title}"
