"""`--format json`: a stable schema for machines, written change by change.

Schema (version 1): `summary` counts, `summary_line`, `cost_line` and `cost` (toolkit/cost; null when
not estimated), `rejected_by_aws` (the AWS apply-time rules: findings with rule, address, severity, message,
waived), `warnings`, `changes` (address, module, type,
actions, reasons, attribute diffs for updates and replaces), `drift`, `outputs`, `failed_checks`.
Attribute values are shown the way the review prints them: JSON text of the value (`"a"`, `3`,
`null`), or the bare placeholders `(sensitive)` / `(known after apply)`, which are not valid JSON
text and so never collide with a real value.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from toolkit.plans.actions import action_of
from toolkit.plans.reader import ChangeRecord
from toolkit.review.analysis import Review, group_of, has_diff, reasons_of
from toolkit.review.diffs import format_path

SCHEMA_VERSION = 1

_plain_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Lone surrogates (`"\ud800"` in a plan value) cannot be written as UTF-8, and bidirectional overrides reorder
# what a terminal shows: both go out as JSON escapes (the same string to any JSON reader).
_ESCAPED_IN_JSON = re.compile("[\ud800-\udfff\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _encode(value: Any) -> str:
    text = _plain_encode(value)
    return _ESCAPED_IN_JSON.sub(lambda match: f"\\u{ord(match[0]):04x}", text) if not text.isascii() else text


def _cost(review: Review) -> dict[str, Any] | None:
    if review.cost is None:
        return None
    from toolkit.cost.render import report_json

    document = report_json(review.cost, resources=False)
    document["top_changes"] = [{"address": cost.address, "action": cost.action,
                                "delta_usd": [round(cost.delta_low, 2), round(cost.delta_high, 2)]}
                               for cost in review.cost.top_changes(10)]
    return document


def write_json(review: Review, out: TextIO) -> None:
    """Write the review as one JSON document to `out`."""
    plan = review.plan
    head = {
        "schema_version": SCHEMA_VERSION,
        "environment": review.environment,
        "source": str(plan.source),
        "terraform_version": plan.terraform_version,
        "format_version": plan.format_version,
        "errored": plan.errored,
        "offline": review.offline,
        **({"offline_notice": f"offline plan: {review.offline_notice()}",
            "offline_base": review.metadata.get("offline_base")} if review.offline else {}),
        "summary_line": review.summary.line(),
        "cost_line": review.cost_line(),
        "cost": _cost(review),
        "summary": review.summary.as_dict(),
        # toolkit.awsrules: what AWS would refuse at apply time (null when the rules did not run).
        "rejected_by_aws": review.aws_rules.as_dict() if review.aws_rules is not None else None,
        "warnings": [
            {
                "address": warning.address,
                "module": warning.module,
                "type": warning.type,
                "action": warning.action,
                "data_at_risk": warning.data_at_risk,
                "recovery": warning.recovery,
                "reasons": list(warning.reasons),
                "plan_does": warning.plan_does,
                "message": warning.sentence(),
            }
            for warning in review.warnings
        ],
        "failed_checks": [
            {"address": failure.address, "kind": failure.kind, "status": failure.status,
             "problems": list(failure.problems)}
            for failure in review.check_failures
        ],
        "outputs": [
            {"name": output.name, "action": output.action, "before": output.before, "after": output.after,
             "sensitive": output.sensitive}
            for output in review.outputs
        ],
    }
    # The head goes out first and the (possibly huge) change lists are appended element by
    # element, so the whole document never exists in memory.
    out.write(_encode(head)[:-1])
    _write_records(review, review.changes, "changes", out, diff_when=has_diff)
    _write_records(review, review.drift, "drift", out, diff_when=lambda _record: True)
    out.write("}\n")


def _write_records(review: Review, records: list[ChangeRecord], key: str, out: TextIO, diff_when) -> None:
    out.write(f',"{key}":[')
    first = True
    for record in records:
        entry = _entry(record)
        if diff_when(record):
            entry["attributes"] = [
                {"path": diff.path, "before": diff.before, "after": diff.after} for diff in review.diffs(record)
            ]
        out.write(_encode(entry) if first else "," + _encode(entry))
        first = False
    out.write("]")


def _entry(record: ChangeRecord) -> dict[str, Any]:
    return {
        "address": record.address,
        "module": record.module,
        "mode": record.mode,
        "type": record.type,
        "name": record.name,
        "action": action_of(record.actions),
        "group": group_of(record),
        "actions": list(record.actions),
        "action_reason": record.action_reason,
        "replace_paths": [format_path(path) for path in record.replace_paths],
        "previous_address": record.previous_address,
        "importing_id": record.importing_id,
        "deposed": record.deposed,
        "reasons": reasons_of(record),
    }
