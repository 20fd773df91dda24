"""Report sections for human labels: each headline's corrected rate beside the judge-only one,
and the judge's agreement with people on the labelled sample.

Example:
    >>> c = {"rate": 0.3, "ci_low": 0.2, "ci_high": 0.4, "n": 100, "n_human": 20,
    ...      "judge_rate": 0.5, "judge_ci_low": 0.4, "judge_ci_high": 0.6,
    ...      "human_rate": 0.25, "human_ci_low": 0.1, "human_ci_high": 0.45, "tuning": 0.5,
    ...      "method": "human-wilson"}
    >>> print(corrected_table({"rows": [{"model": "m", "corrected": c}]}).splitlines()[2])
    | m     | 0.500 [0.400, 0.600] | 0.300 [0.200, 0.400] | human-wilson | 0.250 [0.100, 0.450] |      20 | 100 |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vlmsafety.report.markdown import format_rate, markdown_table

__all__ = ["agreement_section", "corrected_table", "human_notes"]


def corrected_table(board: Mapping[str, Any]) -> str:
    """One leaderboard's rows: judge-only, corrected (PPI++) and human-only rates with n_human."""
    rows = []
    for r in board["rows"]:
        c = r["corrected"]
        rows.append([r["model"], format_rate(c["judge_rate"], c["judge_ci_low"], c["judge_ci_high"]),
                     format_rate(c["rate"], c["ci_low"], c["ci_high"]), c.get("method", "ppi++"),
                     format_rate(c["human_rate"], c["human_ci_low"], c["human_ci_high"]),
                     c["n_human"], c["n"]])
    return markdown_table(["model", "judge only", "corrected (PPI++, 95% CI)", "interval",
                           "human sample only", "n_human", "n"], rows, "llllrrr")


def human_notes(results: Mapping[str, Any]) -> list[str]:
    """What the human labels are and how the correction works, in a few lines."""
    h = results["human_labels"]
    return ["", ("Corrected rates: people labelled a random sample of items (their sampling "
            "probabilities and strata are in the label files); the correction adds to the judge's "
            "rate on every item the judge's error measured on that sample, power-tuned and "
            "weighted by the sampling probabilities (prediction-powered inference: Angelopoulos "
            "et al., Science 2023; PPI++, Angelopoulos, Duchi and Zrnic, 2024). Its interval holds "
            "whatever the judge's errors, for the rate people would give over these items; it "
            "cannot fix a sample that was not random."),
            "", ("Interval column: `ppi++` is the PPI++ interval; where its normal theory fails the "
            "rate falls back and says so: `ppi-mover` (fewer than 10 judge-human disagreements in "
            "the sample: the judge's rate plus its error, with a MOVER-Wilson interval of the "
            "error) or `human-wilson` (fewer than 5 positives or negatives among the labels: the "
            "human sample alone, Wilson score interval). Coverage of each: docs/human-labels.md."),
            "", (f"Human labels: {h['n_labels']} from {', '.join(h['annotators']) or 'nobody'} "
            f"({h['combined']}; {h['n_ties']} ties left out, {h['n_skipped']} skipped, "
            f"{h['n_retracted']} retracted) in {', '.join(h['files'])}.")]


def agreement_section(results: Mapping[str, Any]) -> list[str]:
    """Per model: the judge against people on the labelled items (confusion matrix, kappa)."""
    lines = ["", "## Judge against human labels", "",
             "Rows: the human label; columns: the judge's. Kappa: Cohen's, over all labels."]
    for name, info in results["models"].items():
        agree = (info.get("human") or {}).get("agreement")
        if not agree:
            continue
        used = [i for i, lab in enumerate(agree["labels"])
                if any(agree["confusion"][i]) or any(row[i] for row in agree["confusion"])]
        table = [[agree["labels"][i], *(agree["confusion"][i][j] for j in used)] for i in used]
        k, acc = agree["kappa"], agree["exact_agreement"]
        lines += ["", f"### {name}", "",
                  (f"{agree['n']} items; exact agreement "
                  f"{format_rate(acc['value'], acc['ci_low'], acc['ci_high'])}, kappa "
                  f"{format_rate(k['value'], k['ci_low'], k['ci_high'])}."), "",
                  markdown_table(["human \\ judge", *(agree["labels"][j] for j in used)], table)]
    return lines
