"""`--format md`: the review as one GitHub pull-request comment.

A comment holds at most 65,536 characters. The summary line and the data-at-risk warnings are
always kept; everything else is laid out from the templates fragment by fragment under a
character budget, degrading from full attribute diffs to per-resource lines to per-module
counts, and a closing notice says how many changes were left out. Attribute diffs are parsed
from the plan only for the resources that end up shown.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from toolkit.plans.reader import ChangeRecord
from toolkit.review.analysis import ACTION_ORDER, ACTION_TITLES, DataWarning, Review, group_of, has_diff, reasons_of
from toolkit.review.diffs import AttributeDiff
from toolkit.text import md_cell, md_code, printable_lines

GITHUB_COMMENT_LIMIT = 65_536
# Room kept for the closing notice and for the hosting tool's own additions.
_RESERVE = 600
_MAX_ROWS_PER_RESOURCE = 40
# After this many diffs that did not fit, stop trying smaller ones (each attempt re-parses a change).
_MAX_DIFF_MISSES = 20
# Warnings take at most this share of the comment before they are grouped by resource type.
_WARNINGS_SHARE = 0.5
_ADDRESSES_PER_WARNING_GROUP = 10
_OPEN_MODULES_UP_TO = 30

_SYMBOLS = {
    "replace": "🔴",
    "delete": "🔴",
    "create": "🟢",
    "update": "🟡",
    "import": "🔵",
    "move": "🔵",
    "read": "⚪",
    "forget": "⚪",
}
_COUNT_WORDS = {
    "replace": "to replace",
    "delete": "to destroy",
    "create": "to add",
    "update": "to change",
    "import": "to import",
    "move": "moved",
    "read": "to read",
    "forget": "to forget",
}


def _size(text: str) -> int:
    """Characters GitHub counts, measured as UTF-8 bytes: never fewer, so the budget is safe."""
    return len(text.encode("utf-8", "surrogatepass"))


def _shown(value: Any) -> Any:
    # Every value a template prints: a terminal escape, a right-to-left override or a lone surrogate in an
    # address, a key or a value is shown escaped, never passed to the comment raw.
    return printable_lines(value) if isinstance(value, str) else value


def marker(environment: str) -> str:
    """The hidden line that lets a later run find (and update) this comment on the pull request."""
    return f"<!-- toolkit-review:{environment} -->"


def _cell(value: Any) -> str:
    return f"<code>{md_cell(value)}</code>"


def _module_name(module: str) -> str:
    return module or "root module"


@cache
def _templates() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("toolkit.review", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_shown,
    )
    environment.filters["code"] = md_code
    environment.filters["cell"] = _cell
    environment.filters["module_name"] = _module_name
    return environment.get_template("review.md.j2").module


@dataclass
class _WarningGroup:
    type: str
    verb: str
    data_at_risk: str
    recovery: str
    environment: str
    count: int = 0
    addresses: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.addresses)


@dataclass
class _ResourceSlot:
    record: ChangeRecord
    heading: str
    line: str
    diff: str = ""


@dataclass
class _ModuleSlot:
    module: str
    records: list[ChangeRecord]
    counts_line: str
    counts_text: str
    expanded: bool = False
    resources: list[_ResourceSlot] = field(default_factory=list)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


def render_markdown(review: Review, *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The review as Markdown no longer than `limit` characters (warnings and summary always in)."""
    templates = _templates()
    budget = _Budget(limit - _RESERVE)
    environment = review.environment

    # What AWS would reject comes first, right under the summary line (docs/CHECKS.md "rules").
    aws_rules = _aws_rules_section(review, limit)
    head = templates.header(review, marker(environment), _meta_line(review), aws_rules)
    warnings = ""
    if review.warnings:
        warnings = templates.warnings_full(review.warnings)
        if _size(warnings) > limit * _WARNINGS_SHARE:
            warnings = templates.warnings_grouped(len(review.warnings), _group_warnings(review.warnings, environment))
    cost = _cost_section(review)
    budget.left -= _size(head) + _size(warnings) + _size(cost)

    checks = ""
    if review.check_failures:
        checks = templates.checks(review.check_failures)
        if not budget.take(_size(checks)):
            checks = templates.checks(review.check_failures[:5])
            budget.left -= _size(checks)

    modules = [_module_slot(module, records) for module, records in review.modules()]
    changes_heading = templates.changes_heading(len(review.changes)) if review.changes else ""
    budget.left -= _size(changes_heading)
    listed_modules = _fit_module_counts(modules, budget)

    drift_floor = templates.drift_counts(len(review.drift)) if review.drift else ""
    outputs_floor = templates.outputs_counts(len(review.outputs)) if review.outputs else ""
    budget.left -= _size(drift_floor) + _size(outputs_floor)

    open_modules = len(review.changes) <= _OPEN_MODULES_UP_TO
    for slot in modules[:listed_modules]:
        if not _expand_module(slot, budget, templates, open_modules):
            break
    hidden_changes = sum(len(slot.records) - len(slot.resources) for slot in modules)

    outputs = outputs_floor
    if review.outputs:
        full_outputs = templates.outputs_table(review.outputs)
        if budget.take(_size(full_outputs) - _size(outputs_floor)):
            outputs = full_outputs

    drift_slots: list[_ResourceSlot] = []
    drift_section = drift_floor
    if review.drift:
        opening, closing = templates.drift_open(len(review.drift)), templates.module_close()
        if budget.take(_size(opening) + _size(closing) - _size(drift_floor)):
            for record in review.drift:
                line = templates.resource_line(_SYMBOLS.get(group_of(record), "•"), record.address, [])
                if not budget.take(_size(line)):
                    break
                drift_slots.append(_ResourceSlot(record, "", line))
            drift_section = None

    hidden_diffs = _attach_diffs(
        review,
        [resource for slot in modules for resource in slot.resources if has_diff(resource.record)],
        budget,
        templates,
    )
    hidden_diffs += _attach_diffs(review, drift_slots, budget, templates)
    hidden_drift = len(review.drift) - len(drift_slots) if drift_section is None else 0

    parts = [head, warnings, cost, checks, changes_heading]
    for slot in modules[:listed_modules]:
        parts.append(_module_text(slot, templates, open_modules) if slot.expanded else slot.counts_line)
    if listed_modules < len(modules):
        parts.append(templates.modules_more(sum(len(slot.records) for slot in modules[listed_modules:])))
    if drift_section is None:
        parts.append(templates.drift_open(len(review.drift)))
        for resource in drift_slots:
            parts.append(resource.line + resource.diff)
        if hidden_drift:
            parts.append(templates.drift_more(hidden_drift))
        parts.append(templates.module_close())
    else:
        parts.append(drift_section)
    parts.append(outputs)
    if hidden_changes or hidden_diffs or hidden_drift:
        parts.append(templates.notice(environment, hidden_changes + hidden_drift, hidden_diffs))
    return printable_lines("".join(parts))


# The AWS rules' section takes at most this share of the comment (it groups and then drops addresses to fit).
_AWS_RULES_SHARE = 0.25


def _aws_rules_section(review: Review, limit: int) -> str:
    """The first section after the summary: what AWS would refuse at apply time (toolkit.awsrules)."""
    if review.aws_rules is None:
        return ""
    from toolkit.awsrules.render import markdown_section

    return markdown_section(review.aws_rules, int(limit * _AWS_RULES_SHARE))


# The cost section lists at most this many changes and unpriced items: it stays a few KB in any plan.
_COST_TOP = 5


def _cost_section(review: Review) -> str:
    """The one-line cost change and, when there is an estimate, the top changes and the budget status."""
    if review.cost is None:
        return f"\n{review.cost_line()}\n" if review.cost_line() else ""
    from toolkit.cost.render import markdown_section

    return markdown_section(review.cost, top=_COST_TOP)


def _meta_line(review: Review) -> str:
    plan = review.plan
    parts = []
    if plan.terraform_version:
        parts.append(f"Terraform {plan.terraform_version}")
    parts.append(f"plan JSON format {plan.format_version}")
    metadata = review.metadata
    if isinstance(metadata.get("plan_id"), str):
        parts.append(f"plan {metadata['plan_id']}")
    if isinstance(metadata.get("created_at"), str):
        parts.append(f"planned at {metadata['created_at']}")
    if isinstance(metadata.get("git_commit"), str):
        parts.append(f"commit {metadata['git_commit'][:12]}")
    return html.escape(", ".join(parts), quote=False)


def _group_warnings(warnings: list[DataWarning], environment: str) -> list[_WarningGroup]:
    groups: dict[tuple[str, str], _WarningGroup] = {}
    for warning in warnings:
        key = (warning.type, warning.verb)
        group = groups.get(key)
        if group is None:
            recovery = warning.recovery.replace(warning.address, "ADDRESS")
            group = groups[key] = _WarningGroup(
                warning.type, warning.verb, warning.data_at_risk, recovery, environment
            )
        group.count += 1
        if len(group.addresses) < _ADDRESSES_PER_WARNING_GROUP:
            group.addresses.append(warning.address)
    return list(groups.values())


def _counts_text(records: list[ChangeRecord]) -> str:
    counts = Counter(group_of(record) for record in records)
    return ", ".join(
        f"{counts[group]} {_COUNT_WORDS[group]}" for group in ACTION_ORDER if counts.get(group)
    )


def _module_slot(module: str, records: list[ChangeRecord]) -> _ModuleSlot:
    counts = _counts_text(records)
    return _ModuleSlot(module, records, _templates().module_counts(module, counts), counts)


def _fit_module_counts(modules: list[_ModuleSlot], budget: _Budget) -> int:
    """How many modules get at least their counts line; the rest are summed in one line."""
    for position, slot in enumerate(modules):
        if not budget.take(_size(slot.counts_line)):
            return position
    return len(modules)


def _expand_module(slot: _ModuleSlot, budget: _Budget, templates: Any, open_module: bool) -> bool:
    """Replace the module's counts line by its resource lines, as many as fit; False if not all did."""
    frame = _size(templates.module_open(slot.module, slot.counts_text, open_module)) + _size(
        templates.module_close()
    )
    more_line = _size(templates.module_more(len(slot.records)))
    if not budget.take(frame + more_line - _size(slot.counts_line)):
        return False
    slot.expanded = True
    current_group = None
    for record in slot.records:
        group = group_of(record)
        heading = ""
        if group != current_group:
            heading = templates.group_heading(ACTION_TITLES.get(group, group))
        line = templates.resource_line(_SYMBOLS.get(group, "•"), record.address, reasons_of(record))
        if not budget.take(_size(heading) + _size(line)):
            return False
        current_group = group
        slot.resources.append(_ResourceSlot(record, heading, line))
    budget.left += more_line
    return True


def _attach_diffs(review: Review, resources: list[_ResourceSlot], budget: _Budget, templates: Any) -> int:
    """Give shown resources their attribute tables while they fit; return how many went without."""
    misses = 0
    for position, resource in enumerate(resources):
        diffs: list[AttributeDiff] = review.diffs(resource.record)
        if not diffs:
            continue
        shown = diffs[:_MAX_ROWS_PER_RESOURCE]
        table = templates.attribute_table(shown, len(diffs) - len(shown))
        if budget.take(_size(table)):
            resource.diff = table
            continue
        misses += 1
        if misses >= _MAX_DIFF_MISSES:
            return misses + sum(1 for rest in resources[position + 1 :] if not rest.diff)
    return misses


def _module_text(slot: _ModuleSlot, templates: Any, open_module: bool) -> str:
    parts = [templates.module_open(slot.module, slot.counts_text, open_module)]
    for resource in slot.resources:
        parts.append(resource.heading + resource.line + resource.diff)
    if len(slot.resources) < len(slot.records):
        parts.append(templates.module_more(len(slot.records) - len(slot.resources)))
    parts.append(templates.module_close())
    return "".join(parts)
