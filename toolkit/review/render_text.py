"""`--format text`: the whole review for a terminal, colored unless told otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from toolkit.review.analysis import ACTION_TITLES, Review, group_of, has_diff, reasons_of

_COLORS = {
    "red": "\033[31m",
    "green": "\033[32m",
    "yellow": "\033[33m",
    "cyan": "\033[36m",
    "bold": "\033[1m",
    "dim": "\033[2m",
}
_RESET = "\033[0m"

_SYMBOLS = {
    "replace": ("-/+", "red"),
    "delete": ("-", "red"),
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "import": ("<-", "cyan"),
    "move": ("->", "cyan"),
    "read": ("<=", "cyan"),
    "forget": ("x", "yellow"),
}


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        return "".join(_COLORS[style] for style in styles) + text + _RESET


def write_text(review: Review, out: TextIO, *, color: bool) -> None:
    """Write the full review (every change, every diff) to `out`."""
    for line in _lines(review, _Painter(color)):
        out.write(line)
        out.write("\n")


def _lines(review: Review, paint: _Painter) -> Iterator[str]:
    plan = review.plan
    summary = review.summary
    version = f"terraform {plan.terraform_version}, " if plan.terraform_version else ""
    yield paint(f"Plan review: {review.environment}", "bold") + paint(
        f" ({version}plan format {plan.format_version})", "dim"
    )
    if review.offline:
        yield paint(f"OFFLINE PLAN: {review.offline_notice()}.", "yellow", "bold")
    yield paint(summary.line(), "bold")
    if summary.extras():
        yield f"Also: {summary.extras()}."
    if plan.errored:
        yield paint("The plan run ERRORED: this plan is incomplete and cannot be applied.", "red", "bold")
    if review.warnings:
        yield ""
        yield paint(f"DATA AT RISK ({len(review.warnings)})", "red", "bold")
        for warning in review.warnings:
            yield "  " + paint(f"! {warning.address} will be {warning.verb}", "red", "bold") + (
                f": {warning.data_at_risk} — recovery: {warning.recovery}"
            )
            if warning.plan_does:
                yield f"      this plan: {warning.plan_does}"
            for reason in warning.reasons:
                yield f"      why: {reason}"
    if review.cost_line():
        yield ""
        yield review.cost_line()
        if review.cost is not None and review.cost.budget_status in ("over", "at-risk"):
            yield paint(review.cost.budget_sentence(), "red", "bold")
    if review.check_failures:
        yield ""
        yield paint(f"FAILED CHECKS ({len(review.check_failures)})", "red", "bold")
        for failure in review.check_failures:
            yield "  " + paint(f"✗ {failure.address} ({failure.status})", "red")
            for problem in failure.problems:
                yield f"      {problem}"
    if not summary.has_changes and not review.changes:
        yield ""
        yield "No changes. The infrastructure matches the configuration."
    for module, records in review.modules():
        yield ""
        yield paint(module or "root module", "bold")
        current_group = None
        for record in records:
            group = group_of(record)
            if group != current_group:
                current_group = group
                yield "  " + paint(ACTION_TITLES.get(group, group), "bold")
            symbol, color = _SYMBOLS.get(group, ("?", "dim"))
            reasons = reasons_of(record)
            yield "    " + paint(f"{symbol} {record.address}", color) + (
                paint(f" — {'; '.join(reasons)}", "dim") if reasons else ""
            )
            if has_diff(record):
                for diff in review.diffs(record):
                    yield f"        {diff.path}: {diff.before} → {diff.after}"
    if review.drift:
        yield ""
        yield paint(f"CHANGED OUTSIDE TERRAFORM ({len(review.drift)})", "yellow", "bold")
        for record in review.drift:
            symbol, color = _SYMBOLS.get(group_of(record), ("?", "dim"))
            yield "  " + paint(f"{symbol} {record.address}", color)
            for diff in review.diffs(record):
                yield f"        {diff.path}: {diff.before} → {diff.after}"
    if review.outputs:
        yield ""
        yield paint(f"OUTPUTS ({len(review.outputs)} changing)", "bold")
        for output in review.outputs:
            symbol, color = _SYMBOLS.get(output.action, ("?", "dim"))
            yield "  " + paint(f"{symbol} {output.name}", color) + f": {output.before} → {output.after}"
