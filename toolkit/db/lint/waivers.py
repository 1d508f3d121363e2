"""`-- toolkit:allow RULE[,RULE…] because REASON`: waive findings of one statement, with a reason on record.

A waiver is a real `--` comment (the splitter's lexer finds it: the same words inside a string or a
dollar-quoted body are not a waiver). It covers the statement it sits in, the statement it trails on the
same line, or else the next statement. A waiver without a reason is itself a finding; a rule name the
lint does not know is refused; a waiver that covers nothing is a finding (it would hide a future one).
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass

from toolkit.db.files import SqlScript
from toolkit.db.lint import squawk
from toolkit.db.lint.findings import Finding
from toolkit.db.splitter import Statement, line_comments
from toolkit.errors import MigrationError

_WAIVER = re.compile(r"^\s*toolkit:allow\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_RULES_AND_REASON = re.compile(
    r"^\s+(?P<rules>[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)(?:\s+because\b(?P<reason>.*))?$",
    re.IGNORECASE | re.DOTALL)
_SQUAWK_IGNORE = re.compile(r"^\s*squawk-ignore", re.IGNORECASE)
# Findings about the lint's own input: no waiver can hide them.
WAIVER_WITHOUT_REASON = "waiver-without-reason"
UNUSED_WAIVER = "unused-waiver"
BARE_SQUAWK_IGNORE = "bare-squawk-ignore"
UNWAIVABLE = frozenset({"syntax-error", "invalid-migration", WAIVER_WITHOUT_REASON, UNUSED_WAIVER,
                        BARE_SQUAWK_IGNORE})
MIN_REASON_WORDS = 2
DATA_AT_RISK = "data-at-risk"


@dataclass
class Waiver:
    line: int
    rules: tuple[str, ...]
    reason: str
    statement: int  # index into the script's statements
    used: bool = False


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _statement_for(text: str, statements: tuple[Statement, ...], offset: int) -> int | None:
    """The statement a comment at `offset` belongs to (see the module docstring)."""
    starts = [statement.offset for statement in statements]
    index = bisect.bisect_right(starts, offset) - 1
    if index >= 0:
        previous = statements[index]
        end = previous.offset + len(previous.sql)
        # Inside it, or after its end on the same line (`DROP TABLE x; -- toolkit:allow …`).
        if offset <= end or "\n" not in text[end:offset]:
            return index
    return index + 1 if index + 1 < len(statements) else None


def _continuation(text: str, comments: list[tuple[int, str]], position: int) -> list[str]:
    """The comment lines right below a waiver (each alone on its line) continue its reason."""
    lines: list[str] = []
    offset, comment = comments[position]
    for next_offset, next_comment in comments[position + 1:]:
        between = text[offset + 2 + len(comment):next_offset]
        if between.count("\n") != 1 or between.strip() or next_comment.strip().lower().startswith(
                ("toolkit:", "squawk-ignore")):
            break
        lines.append(next_comment.strip())
        offset, comment = next_offset, next_comment
    return lines


def read(script: SqlScript, text: str, known: frozenset[str]) -> tuple[list[Waiver], list[Finding]]:
    """The file's waivers, and the findings about malformed ones. Raises MigrationError on an unknown rule."""
    waivers: list[Waiver] = []
    findings: list[Finding] = []
    comments = line_comments(text)
    for position, (offset, comment) in enumerate(comments):
        line = _line(text, offset)
        if _SQUAWK_IGNORE.match(comment):
            findings.append(Finding(
                script.script, line, BARE_SQUAWK_IGNORE, "toolkit",
                "a squawk-ignore comment silences squawk with no reason on record",
                "write '-- toolkit:allow RULE because …' above the statement instead"))
            continue
        match = _WAIVER.match(comment)
        if not match:
            continue
        parsed = _RULES_AND_REASON.match(match.group("rest"))
        if not parsed:
            raise MigrationError(f"{script.path}, line {line}: a waiver names the rule it allows: "
                                 "'-- toolkit:allow RULE because REASON'")
        rules = tuple(rule.strip().lower() for rule in parsed.group("rules").split(","))
        for rule in rules:
            if rule in UNWAIVABLE:
                raise MigrationError(f"{script.path}, line {line}: '{rule}' cannot be waived: fix what it reports")
            if rule not in known and not (re.fullmatch(r"[a-z0-9-]+", rule) and squawk.accepts_rule(rule)):
                close = difflib.get_close_matches(rule, sorted(known), n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else " (`toolkit db lint --rules` lists them)"
                raise MigrationError(f"{script.path}, line {line}: waiver for unknown rule '{rule}'{hint}")
        reason = " ".join([(parsed.group("reason") or ""), *_continuation(text, comments, position)]).split()
        reason = " ".join(reason)
        statement = _statement_for(text, script.statements, offset)
        if len(reason.split()) < MIN_REASON_WORDS:
            findings.append(Finding(
                script.script, line, WAIVER_WITHOUT_REASON, "toolkit",
                f"the waiver for {', '.join(rules)} gives no reason, so it waives nothing",
                "say why it is safe: '-- toolkit:allow RULE because the table is empty in every environment'"))
            continue
        if statement is None:
            findings.append(Finding(script.script, line, UNUSED_WAIVER, "toolkit",
                                    f"the waiver for {', '.join(rules)} is after the last statement",
                                    "put it above the statement it waives"))
            continue
        waivers.append(Waiver(line=line, rules=rules, reason=reason, statement=statement))
    return waivers, findings


def _covers(waiver: Waiver, finding: Finding) -> bool:
    # `data-at-risk` also covers squawk's rules for the same destructive statement (ban-drop-table, …).
    return finding.rule in waiver.rules or (finding.data_at_risk and DATA_AT_RISK in waiver.rules)


def apply(script: SqlScript, findings: list[Finding], waivers: list[Waiver]) -> tuple[list[Finding], list[Finding]]:
    """(active, waived): each finding a waiver of its statement and rule covers moves to waived."""
    if not waivers:
        return findings, []
    starts = [statement.line for statement in script.statements]
    by_statement: dict[int, list[Waiver]] = {}
    for waiver in waivers:
        by_statement.setdefault(waiver.statement, []).append(waiver)
    active: list[Finding] = []
    waived: list[Finding] = []
    for finding in findings:
        index = bisect.bisect_right(starts, finding.line) - 1
        cover = next((waiver for waiver in by_statement.get(index, ()) if _covers(waiver, finding)), None)
        if cover is None or finding.rule in UNWAIVABLE:
            active.append(finding)
            continue
        cover.used = True
        waived.append(Finding(**(finding.to_dict() | {"waived_because": cover.reason})))
    for waiver in waivers:
        if not waiver.used:
            active.append(Finding(script.script, waiver.line, UNUSED_WAIVER, "toolkit",
                                  f"the waiver for {', '.join(waiver.rules)} covers no finding of the statement "
                                  f"at line {script.statements[waiver.statement].line}",
                                  "remove it (a stale waiver would hide a future finding) or move it above the "
                                  "statement it means"))
    return active, waived
