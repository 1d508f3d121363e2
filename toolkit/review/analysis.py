"""Turn a parsed plan into what a reviewer reads: counts, warnings, grouped changes, masked diffs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from toolkit.plans.actions import action_of
from toolkit.plans.reader import ChangeRecord, PlanDocument
from toolkit.plans.stateful import risk_for
from toolkit.review import json_diff
from toolkit.review.diffs import AttributeDiff, format_path
from toolkit.review.drift_filter import meaningful
from toolkit.review.plan_risks import ObjectCount, plan_facts
from toolkit.secrets import looks_like_secret, mask_text

SENSITIVE = "(sensitive)"
UNKNOWN = "(known after apply)"
ABSENT = "null"
_PLACEHOLDERS = frozenset({SENSITIVE, UNKNOWN, ABSENT})

# The order action groups are shown in, most dangerous first.
ACTION_ORDER = ("replace", "delete", "create", "update", "import", "move", "read", "forget")
ACTION_TITLES = {
    "replace": "Replace",
    "delete": "Destroy",
    "create": "Create",
    "update": "Update in place",
    "import": "Import",
    "move": "Move",
    "read": "Read (data source)",
    "forget": "Forget (removed from state, not destroyed)",
    "no-op": "No change",
}

ACTION_REASONS = {
    "replace_because_tainted": "tainted (a previous apply failed, or `terraform taint`)",
    "replace_because_cannot_update": "an attribute cannot be updated in place",
    "replace_by_request": "replacement requested with `-replace`",
    "replace_by_triggers": "`replace_triggered_by` changed",
    "delete_because_no_resource_config": "removed from the configuration",
    "delete_because_no_module": "its module was removed from the configuration",
    "delete_because_wrong_repetition": "`count`/`for_each` was added or removed",
    "delete_because_count_index": "its `count` index is out of range",
    "delete_because_each_key": "its `for_each` key was removed",
    "delete_because_no_move_target": "the `moved` target does not exist",
    "read_because_config_unknown": "its configuration is known only after apply",
    "read_because_dependency_pending": "it depends on changes not applied yet",
    "read_because_check_nested": "it is nested in a `check` block",
}

# Secrets shorter than this are only hidden when a value equals them: hiding every "1"
# or "dev" inside longer values would make the review unreadable.
_MIN_CONTAINED_SECRET = 6
_MAX_VALUE_CHARS = 300
# Characters past the shown ones that are still scanned for secret shapes (a PEM block or URL cut in two).
_SCAN_MARGIN = 8192

_encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]
_encode_other = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def group_of(record: ChangeRecord) -> str:
    """The group a change is listed under; moves and imports without other changes get their own."""
    action = action_of(record.actions)
    if action == "no-op":
        if record.importing_id is not None:
            return "import"
        if record.previous_address and record.previous_address != record.address:
            return "move"
    return action


def reasons_of(record: ChangeRecord) -> list[str]:
    """Why this change happens, in words, for every kind of change."""
    reasons: list[str] = []
    if record.action_reason:
        reasons.append(ACTION_REASONS.get(record.action_reason, record.action_reason))
    if record.replace_paths:
        reasons.append(
            "forces replacement: " + ", ".join(f"`{format_path(path)}`" for path in record.replace_paths)
        )
    if record.previous_address and record.previous_address != record.address:
        reasons.append(f"moved from `{record.previous_address}`")
    if record.importing_id is not None:
        reasons.append(f"imported (id `{record.importing_id}`)" if record.importing_id else "imported")
    if record.deposed:
        reasons.append(f"deposed object `{record.deposed}`")
    return reasons


# No secret shape (scheme://u:p@h, a PEM header, a 40-character AWS key) fits in fewer characters.
_SHORTEST_SECRET_SHAPE = 8


class Redactor:
    """Hides values of root variables declared sensitive wherever they would be printed.

    Terraform marks values derived from sensitive variables itself; this is the second line of
    defence for providers or old Terraform versions that lose the mark.
    """

    # Longest value shown; None keeps values whole (diffs computed before the secrets are known).
    max_chars: int | None = _MAX_VALUE_CHARS

    def __init__(self, secrets: set[str]) -> None:
        self.exact = {secret for secret in secrets if secret}
        long_secrets = {secret for secret in self.exact if len(secret) >= _MIN_CONTAINED_SECRET}
        # Values are printed as JSON text, where a secret's quotes or backslashes appear escaped.
        long_secrets |= {_encode_string(secret)[1:-1] for secret in long_secrets}
        self.contained = sorted(long_secrets, key=len, reverse=True)

    @classmethod
    def for_plan(cls, plan: PlanDocument) -> Redactor:
        secrets: set[str] = set()
        for name in plan.sensitive_variable_names:
            variable = plan.variables.get(name)
            if isinstance(variable, dict):
                _collect_scalars(variable.get("value"), secrets)
        for default in plan.sensitive_variable_defaults:
            _collect_scalars(default, secrets)
        return cls(secrets)

    def finish(self, shown: str) -> str:
        """A value computed by a deferred redactor, made printable: secrets hidden, then shortened."""
        if shown in _PLACEHOLDERS:
            return shown
        shown = self.text(shown, _MAX_VALUE_CHARS)
        if len(shown) > _MAX_VALUE_CHARS:
            shown = shown[: _MAX_VALUE_CHARS - 1] + "…"
        return shown

    def path(self, path: str) -> str:
        """An attribute path with sensitive values hidden: paths into JSON strings (json_diff) hold the document's
        keys and item names, which are data."""
        for secret in self.contained:
            if secret in path:
                path = path.replace(secret, SENSITIVE)
        return path

    def text(self, shown: str, limit: int | None = None) -> str:
        """`shown` unless it is, quotes or contains a secret; secret-shaped parts masked (toolkit.secrets).

        With a `limit` (the caller shows at most that many characters), the secret shapes are looked for in the
        beginning only, with a wide margin: a multi-megabyte value is not scanned whole to show 300 characters.
        The sensitive values are always looked for in the whole value (a plain substring search)."""
        if self.exact:
            if shown in self.exact or (shown.startswith('"') and shown[1:-1] in self.exact):
                return SENSITIVE
            for secret in self.contained:
                if secret in shown:
                    return SENSITIVE
        if limit is not None and len(shown) > limit + _SCAN_MARGIN:
            shown = shown[: limit + _SCAN_MARGIN]
        if len(shown) >= _SHORTEST_SECRET_SHAPE and looks_like_secret(shown):
            shown = mask_text(shown)
        return shown


class DeferredRedactor(Redactor):
    """Keeps values whole and unredacted, for diffs computed while the plan is still being read
    (the sensitive variables are declared further down the file); Redactor.finish() completes them."""

    max_chars = None

    def __init__(self) -> None:
        super().__init__(set())


def _collect_scalars(value: Any, into: set[str]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _collect_scalars(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect_scalars(item, into)
    elif value is not None and not isinstance(value, bool):
        into.add(str(value))


def show_value(value: Any, redactor: Redactor) -> str:
    """A leaf value as the review prints it: JSON text, shortened, secrets hidden."""
    if isinstance(value, str):
        shown = _encode_string(value)
    elif value is None:
        shown = "null"
    elif value is True or value is False:
        shown = "true" if value else "false"
    else:
        shown = _encode_other(value)
    if redactor.max_chars is None:
        return shown
    shown = redactor.text(shown, redactor.max_chars)
    if len(shown) > redactor.max_chars:
        shown = shown[: redactor.max_chars - 1] + "…"
    return shown


def _child(mask: Any, key: str | int) -> Any:
    """The part of a sensitive/unknown mask for one key or index (False when it has none)."""
    mask_type = type(mask)
    if mask_type is dict:
        return mask.get(key, False)
    if mask_type is list and type(key) is int and key < len(mask):
        return mask[key]
    return False


# How every review format says that a plan is offline (toolkit.engine.offline).
OFFLINE_NOTICE = ("made by the engine against the stub AWS provider 6 with an empty state; computed values are "
                  "unknown and nothing was read from AWS; it can be reviewed, never applied")


class _Missing:
    """Marks a side where the attribute does not exist (not even null)."""


_MISSING = _Missing()
_CONTAINERS = (dict, list)


def attribute_diffs(change: dict[str, Any], redactor: Redactor) -> list[AttributeDiff]:
    """Changed attributes of one change object, flattened to paths, sensitive and unknown masked."""
    return list(
        _diff(
            change.get("before"),
            change.get("after"),
            change.get("before_sensitive", False),
            change.get("after_sensitive", False),
            change.get("after_unknown", False),
            (),
            redactor,
        )
    )


def _diff(
    before: Any,
    after: Any,
    before_sensitive: Any,
    after_sensitive: Any,
    after_unknown: Any,
    path: tuple[str | int, ...],
    redactor: Redactor,
) -> Iterator[AttributeDiff]:
    if after_unknown is True:
        if before_sensitive is True:
            yield AttributeDiff(format_path(path), SENSITIVE, UNKNOWN)
        elif before is not None and not isinstance(before, _Missing):
            yield AttributeDiff(format_path(path), _leaf(before, before_sensitive, redactor), UNKNOWN)
        else:
            yield AttributeDiff(format_path(path), ABSENT, UNKNOWN)
        return
    if before_sensitive is True or after_sensitive is True:
        if before != after or (before_sensitive is True) != (after_sensitive is True):
            yield AttributeDiff(
                format_path(path),
                SENSITIVE if before_sensitive is True else _leaf(before, before_sensitive, redactor),
                SENSITIVE if after_sensitive is True else _leaf(after, after_sensitive, redactor),
            )
        return
    before_value = None if isinstance(before, _Missing) else before
    after_value = None if isinstance(after, _Missing) else after
    if isinstance(before_value, dict | None) and isinstance(after_value, dict | None) and (
        isinstance(before_value, dict) or isinstance(after_value, dict)
    ):
        before_map = before_value or {}
        after_map = after_value or {}
        keys = list(before_map)
        keys.extend(key for key in after_map if key not in before_map)
        if isinstance(after_unknown, dict):
            keys.extend(key for key in after_unknown if key not in before_map and key not in after_map)
        unknown_map = after_unknown if type(after_unknown) is dict else {}
        for key in keys:
            before_child = before_map.get(key, _MISSING)
            after_child = after_map.get(key, _MISSING)
            unknown_child = unknown_map.get(key, False)
            # Most attributes of an update are unchanged: one C-level comparison skips them.
            if before_child == after_child and not unknown_child:
                before_mask = _child(before_sensitive, key)
                after_mask = _child(after_sensitive, key)
                if before_mask == after_mask:
                    continue
            else:
                before_mask = _child(before_sensitive, key)
                after_mask = _child(after_sensitive, key)
            # Fast path for the common row: two plain scalars, nothing masked or unknown.
            if (
                not unknown_child
                and before_mask is not True
                and after_mask is not True
                and type(before_child) not in _CONTAINERS
                and type(after_child) not in _CONTAINERS
            ):
                if before_child == after_child and type(before_child) is type(after_child):
                    continue
                if type(before_child) is str and type(after_child) is str:
                    structural = json_string_diffs(before_child, after_child, (*path, key), redactor)
                    if structural is not None:
                        yield from structural
                        continue
                yield AttributeDiff(
                    format_path((*path, key)),
                    "null" if before_child is _MISSING else show_value(before_child, redactor),
                    "null" if after_child is _MISSING else show_value(after_child, redactor),
                )
                continue
            yield from _diff(
                before_child, after_child, before_mask, after_mask, unknown_child, (*path, key), redactor
            )
        return
    if isinstance(before_value, list | None) and isinstance(after_value, list | None) and (
        isinstance(before_value, list) or isinstance(after_value, list)
    ):
        before_list = before_value or []
        after_list = after_value or []
        length = max(len(before_list), len(after_list))
        if isinstance(after_unknown, list):
            length = max(length, len(after_unknown))
        for index in range(length):
            before_child = before_list[index] if index < len(before_list) else _MISSING
            after_child = after_list[index] if index < len(after_list) else _MISSING
            unknown_child = _child(after_unknown, index)
            before_mask = _child(before_sensitive, index)
            after_mask = _child(after_sensitive, index)
            if not unknown_child and before_mask == after_mask and before_child == after_child:
                continue
            yield from _diff(
                before_child, after_child, before_mask, after_mask, unknown_child, (*path, index), redactor
            )
        return
    if before_value == after_value and type(before_value) is type(after_value):
        return
    if type(before_value) is str and type(after_value) is str:
        structural = json_string_diffs(before_value, after_value, path, redactor)
        if structural is not None:
            yield from structural
            return
    yield AttributeDiff(
        format_path(path),
        _leaf(before_value, before_sensitive, redactor),
        _leaf(after_value, after_sensitive, redactor),
    )


_JSON_OPENERS = ("{", "[")


def json_string_diffs(before: str, after: str, path: tuple[str | int, ...],
                      redactor: Redactor) -> list[AttributeDiff] | None:
    """Rows for a string attribute whose two sides are JSON documents (toolkit.review.json_diff), else None."""
    if before.lstrip()[:1] not in _JSON_OPENERS or after.lstrip()[:1] not in _JSON_OPENERS:
        return None
    found = json_diff.rows(before, after)
    if found is None:
        return None
    where = format_path(path)
    shown: list[AttributeDiff] = []
    for row in json_diff.limited(found):
        if isinstance(row, int):
            shown.append(AttributeDiff(f"{where}…", "…", f"{row} more differences in this JSON text not shown"))
            continue
        if row.secret:
            before_text = ABSENT if row.before is json_diff.MISSING else SENSITIVE
            after_text = ABSENT if row.after is json_diff.MISSING else SENSITIVE
        else:
            before_text = ABSENT if row.before is json_diff.MISSING else show_value(row.before, redactor)
            after_text = ABSENT if row.after is json_diff.MISSING else show_value(row.after, redactor)
        suffix = mask_text(row.suffix) if looks_like_secret(row.suffix) else row.suffix
        shown.append(AttributeDiff(redactor.path(where + suffix), before_text, after_text))
    return shown


def _leaf(value: Any, sensitive: Any, redactor: Redactor) -> str:
    if sensitive is True:
        return SENSITIVE
    if isinstance(sensitive, dict | list) and sensitive and isinstance(value, dict | list):
        return show_value(masked(value, sensitive, False), redactor)
    return show_value(value, redactor)


def masked(value: Any, sensitive: Any, unknown: Any) -> Any:
    """A copy of a (small) value with sensitive parts replaced by "(sensitive)", unknown by
    "(known after apply)". Used for outputs and whole values, never for big resources."""
    if sensitive is True:
        return SENSITIVE
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict):
        result = {key: masked(item, _child(sensitive, key), _child(unknown, key)) for key, item in value.items()}
        if isinstance(unknown, dict):
            for key, flag in unknown.items():
                if key not in result and flag is True:
                    result[key] = UNKNOWN
        return result
    if isinstance(value, list):
        return [masked(item, _child(sensitive, index), _child(unknown, index)) for index, item in enumerate(value)]
    return value


_DEFERRED = DeferredRedactor()


# -- the review ----------------------------------------------------------------------------


@dataclass
class Summary:
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    read: int = 0
    no_op: int = 0
    move: int = 0
    import_: int = 0
    forget: int = 0
    drift: int = 0
    output_changes: int = 0
    failed_checks: int = 0

    def line(self) -> str:
        """The one line a reviewer reads first."""
        return (
            f"Plan: {self.add} to add, {self.change} to change, "
            f"{self.replace} to replace, {self.destroy} to destroy."
        )

    def extras(self) -> str:
        """Everything else worth counting, or "" when there is nothing."""
        parts = []
        if self.import_:
            parts.append(f"{self.import_} to import")
        if self.move:
            parts.append(f"{self.move} moved")
        if self.forget:
            parts.append(f"{self.forget} to forget")
        if self.output_changes:
            parts.append(f"{self.output_changes} output{'s' if self.output_changes != 1 else ''} changing")
        if self.failed_checks:
            parts.append(f"{self.failed_checks} failed check{'s' if self.failed_checks != 1 else ''}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, int]:
        return {
            "add": self.add,
            "change": self.change,
            "replace": self.replace,
            "destroy": self.destroy,
            "import": self.import_,
            "move": self.move,
            "read": self.read,
            "forget": self.forget,
            "no_op": self.no_op,
            "drift": self.drift,
            "output_changes": self.output_changes,
            "failed_checks": self.failed_checks,
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.replace or self.destroy or self.import_ or self.move)


@dataclass(frozen=True)
class DataWarning:
    """A stateful resource being destroyed or replaced."""

    address: str
    module: str
    type: str
    action: str
    data_at_risk: str
    recovery: str
    reasons: tuple[str, ...]

    # What this plan does to it, read from its attributes (toolkit.review.plan_risks); "" when it says nothing.
    plan_does: str = ""

    @property
    def verb(self) -> str:
        return "REPLACED" if self.action == "replace" else "DESTROYED"

    def sentence(self) -> str:
        does = f" — this plan: {self.plan_does}" if self.plan_does else ""
        return f"{self.address} will be {self.verb}: {self.data_at_risk}{does} — recovery: {self.recovery}"


@dataclass(frozen=True)
class OutputChange:
    name: str
    action: str
    before: str
    after: str
    sensitive: bool


@dataclass(frozen=True)
class CheckFailure:
    address: str
    kind: str
    status: str
    problems: tuple[str, ...]


@dataclass
class Review:
    environment: str
    plan: PlanDocument
    summary: Summary
    warnings: list[DataWarning]
    changes: list[ChangeRecord]
    drift: list[ChangeRecord]
    outputs: list[OutputChange]
    check_failures: list[CheckFailure]
    redactor: Redactor
    metadata: dict[str, Any] = field(default_factory=dict)
    # The plan's monthly cost (toolkit/cost), or why it could not be estimated.
    cost: Any = None
    cost_problem: str = ""
    # The AWS apply-time rules' report (toolkit.awsrules.RulesReport): the review's first section.
    aws_rules: Any = None

    def cost_line(self) -> str:
        """One line for the summary: the monthly cost change, or why there is none."""
        if self.cost is not None:
            from toolkit.cost.render import summary_line

            return summary_line(self.cost)
        return f"Cost: not estimated ({self.cost_problem})" if self.cost_problem else ""

    def offline_notice(self) -> str:
        """How this offline plan was made: against an empty state, or against a base revision applied to the stub."""
        base = self.metadata.get("offline_base")
        if isinstance(base, dict) and base.get("environment_at_base") == "yes":
            commit = str(base.get("commit", ""))[:12]
            return (f"made by the engine against the stub AWS provider 6, starting from {base.get('how', 'the base')} "
                    f"({commit}) applied to a throw-away state: it shows what this change does to that base "
                    "(updates, destroys); computed values are the stub's and nothing was read from AWS; replacements "
                    "AWS would force show as updates; it can be reviewed, never applied")
        return OFFLINE_NOTICE

    @property
    def offline(self) -> bool:
        """An offline plan (toolkit plan --offline): stub providers, empty state, never applied."""
        return self.metadata.get("offline") is True

    def diffs(self, record: ChangeRecord) -> list[AttributeDiff]:
        """Attribute diffs of one change or drift entry: computed while reading, or parsed on demand."""
        if record.diffs is not None:
            finish, path = self.redactor.finish, self.redactor.path
            return [AttributeDiff(path(diff.path), finish(diff.before), finish(diff.after)) for diff in record.diffs]
        return attribute_diffs(self.plan.load_change(record), self.redactor)

    def modules(self) -> Iterator[tuple[str, list[ChangeRecord]]]:
        """Changes grouped by module (root first), in the order `changes` holds them."""
        current: str | None = None
        batch: list[ChangeRecord] = []
        for record in self.changes:
            if record.module != current:
                if batch:
                    yield current or "", batch
                current, batch = record.module, []
            batch.append(record)
        if batch:
            yield current or "", batch


def diffs_while_reading(key: str, entry: dict[str, Any], record: ChangeRecord) -> None:
    """read_plan hook: compute the diffs a full listing shows (updates, replaces, drift) from the entry
    already parsed, instead of reading it again later. Redaction happens when they are shown."""
    if key == "resource_drift" or has_diff(record):
        record.diffs = attribute_diffs(entry.get("change") or {}, _DEFERRED)


def has_diff(record: ChangeRecord) -> bool:
    """Whether an attribute diff is worth showing (in-place updates, replaces, drift)."""
    return group_of(record) in ("update", "replace")


def build_review(plan: PlanDocument, environment: str, metadata: dict[str, Any] | None = None,
                 object_count: ObjectCount | None = None) -> Review:
    """Everything the renderers need, computed in one pass over the compact change records.

    `object_count` tells how many objects a bucket holds now (toolkit.review.bucket_objects), for the warnings."""
    summary = Summary()
    warnings: list[DataWarning] = []
    shown: list[ChangeRecord] = []
    for record in plan.resource_changes:
        group = group_of(record)
        action = action_of(record.actions)
        if action == "create":
            summary.add += 1
        elif action == "update":
            summary.change += 1
        elif action == "replace":
            summary.replace += 1
        elif action == "delete":
            summary.destroy += 1
        elif action == "read":
            summary.read += 1
        elif action == "forget":
            summary.forget += 1
        else:
            summary.no_op += 1
        if record.importing_id is not None:
            summary.import_ += 1
        if record.previous_address and record.previous_address != record.address:
            summary.move += 1
        if group == "no-op":
            continue
        shown.append(record)
        if action in ("replace", "delete") and record.mode == "managed":
            risk = risk_for(record.type)
            if risk is not None:
                facts = plan_facts(record.type, plan.load_change(record), record.actions, object_count)
                warnings.append(
                    DataWarning(
                        address=record.address,
                        module=record.module,
                        type=record.type,
                        action=action,
                        data_at_risk=facts.data_at_risk or risk.data_at_risk,
                        recovery=(facts.recovery or risk.recovery).replace("{env}", environment).replace(
                            "{address}", record.address),
                        reasons=tuple(reasons_of(record)),
                        plan_does=facts.does,
                    )
                )
    order = {name: position for position, name in enumerate(ACTION_ORDER)}
    shown.sort(key=lambda record: (record.module, order.get(group_of(record), len(order)), record.address))
    warnings.sort(key=lambda warning: (warning.action != "delete", warning.module, warning.address))
    drift = [record for record in plan.resource_drift if _meaningful_drift(plan, record)]
    drift.sort(key=lambda record: (record.module, record.address))
    summary.drift = len(drift)
    redactor = Redactor.for_plan(plan)
    outputs = _output_changes(plan, redactor)
    summary.output_changes = len(outputs)
    failures = _check_failures(plan, redactor)
    summary.failed_checks = len(failures)
    return Review(
        environment=environment,
        plan=plan,
        summary=summary,
        warnings=warnings,
        changes=shown,
        drift=drift,
        outputs=outputs,
        check_failures=failures,
        redactor=redactor,
        metadata=metadata or {},
    )


def _meaningful_drift(plan: PlanDocument, record: ChangeRecord) -> bool:
    """Keep a drift entry only with an attribute left to show (toolkit.review.drift_filter), or when it is gone;
    its diffs are kept filtered, so every format shows the same rows."""
    action = action_of(record.actions)
    if action == "no-op":
        return False
    diffs = record.diffs if record.diffs is not None else attribute_diffs(plan.load_change(record), _DEFERRED)
    record.diffs = meaningful(record.type, diffs)
    return bool(record.diffs) or action == "delete"


def _output_changes(plan: PlanDocument, redactor: Redactor) -> list[OutputChange]:
    outputs: list[OutputChange] = []
    for name in sorted(plan.output_changes):
        change = plan.output_changes[name]
        if not isinstance(change, dict):
            continue
        action = action_of(tuple(change.get("actions") or ["no-op"]))
        if action == "no-op":
            continue
        before_sensitive = change.get("before_sensitive", False)
        after_sensitive = change.get("after_sensitive", False)
        after_unknown = change.get("after_unknown", False)
        before = (
            ABSENT
            if action == "create"
            else _shown_whole(change.get("before"), before_sensitive, False, redactor)
        )
        after = (
            ABSENT
            if action == "delete"
            else _shown_whole(change.get("after"), after_sensitive, after_unknown, redactor)
        )
        outputs.append(
            OutputChange(
                name=name,
                action=action,
                before=before,
                after=after,
                sensitive=_any_true(before_sensitive) or _any_true(after_sensitive),
            )
        )
    return outputs


def _any_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_any_true(item) for item in mask.values())
    if isinstance(mask, list):
        return any(_any_true(item) for item in mask)
    return False


def _shown_whole(value: Any, sensitive: Any, unknown: Any, redactor: Redactor) -> str:
    if sensitive is True:
        return SENSITIVE
    if unknown is True:
        return UNKNOWN
    if isinstance(value, str):
        return show_value(value, redactor)
    return show_value(masked(value, sensitive, unknown), redactor)


def _check_failures(plan: PlanDocument, redactor: Redactor) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    for check in plan.checks:
        if not isinstance(check, dict) or check.get("status") not in ("fail", "error"):
            continue
        address = check.get("address") or {}
        problems: list[str] = []
        for instance in check.get("instances") or []:
            if not isinstance(instance, dict) or instance.get("status") not in ("fail", "error"):
                continue
            where = (instance.get("address") or {}).get("to_display", "")
            for problem in instance.get("problems") or []:
                message = redactor.text(str((problem or {}).get("message", "")))
                problems.append(f"{where}: {message}" if where else message)
            if not instance.get("problems"):
                problems.append(f"{where}: {instance.get('status')}")
        failures.append(
            CheckFailure(
                address=str(address.get("to_display", "?")),
                kind=str(address.get("kind", "")),
                status=str(check.get("status")),
                problems=tuple(problems),
            )
        )
    return failures
