"""The runner's own lint rules: what only a tool that knows how the runner applies a file can check.

squawk (toolkit/db/lint/squawk.py) checks each statement's locks and compatibility; these rules add what
depends on the runner: a `-- toolkit:no-transaction` file runs statement by statement, a transactional
file runs in one transaction, and the runner's lock_timeout (envs, or the file's own directive) applies.
Every check reads the statement with strings, identifiers and comments blanked (splitter.code_only), so
words inside them never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from toolkit.db.files import SqlScript
from toolkit.db.lint.findings import Finding
from toolkit.db.splitter import Statement, code_only


@dataclass(frozen=True)
class Rule:
    name: str
    why: str
    safe_pattern: str


NO_TRANSACTION_MIXED = Rule(
    "no-transaction-mixed",
    "runs on its own in a '-- toolkit:no-transaction' file: if a later statement fails, this one stays "
    "committed but the file is not recorded in history, so the next run repeats it on a half-migrated schema",
    "keep a no-transaction file to the statements that cannot run in a transaction (CREATE/DROP INDEX "
    "CONCURRENTLY …, each with IF [NOT] EXISTS); move this statement to its own transactional migration")
CONCURRENTLY_IN_TRANSACTION = Rule(
    "concurrently-in-transaction",
    "cannot run inside a transaction block: PostgreSQL refuses it (25001) and the migration fails",
    "put it in its own file whose first line is '-- toolkit:no-transaction' (write CREATE INDEX CONCURRENTLY "
    "IF NOT EXISTS / DROP INDEX CONCURRENTLY IF EXISTS so a re-run is safe)")
LOCK_TIMEOUT_MISSING = Rule(
    "lock-timeout-missing",
    "takes a strong table lock with no lock_timeout: while it waits behind one long query every other query "
    "on the table queues behind it, and the application stalls",
    "set migrations.statement_lock_timeout_ms in envs (the runner's default is 5s), '-- toolkit:lock-timeout 5s' "
    "in the file, or SET LOCAL lock_timeout = '5s' before the statement; retry when it times out")
DATA_AT_RISK = Rule(
    "data-at-risk",
    "destroys data that no down migration can bring back",
    "back the data up (or copy it to an archive table) first, make sure no running code still reads it, "
    "then waive with '-- toolkit:allow data-at-risk because …'; for DELETE/UPDATE add the WHERE you mean")

TOOLKIT_RULES = {rule.name: rule for rule in (NO_TRANSACTION_MIXED, CONCURRENTLY_IN_TRANSACTION,
                                               LOCK_TIMEOUT_MISSING, DATA_AT_RISK)}

_FLAGS = re.IGNORECASE | re.DOTALL
# Statements PostgreSQL refuses inside a transaction block.
_CONCURRENTLY = re.compile(
    r"^\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY"
    r"|REINDEX\b(?:\s*\([^)]*\))?\s+\w+\s+CONCURRENTLY"
    r"|ALTER\s+TABLE\b.*\bDETACH\s+PARTITION\b.*\bCONCURRENTLY)\b", _FLAGS)
_OTHER_NON_TRANSACTIONAL = re.compile(
    r"^\s*(?:VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+SYSTEM|CREATE\s+TABLESPACE|DROP\s+TABLESPACE"
    r"|CLUSTER\s*$)\b", _FLAGS)
# Statements that change nothing themselves (session settings, reads): fine anywhere.
_NEUTRAL = re.compile(r"^\s*(?:SET|RESET|SHOW|SELECT|COMMENT|ANALYZE|EXPLAIN)\b", _FLAGS)
_BEGIN = re.compile(r"^\s*(?:BEGIN|START\s+TRANSACTION)\b", _FLAGS)
_END = re.compile(r"^\s*(?:COMMIT|END|ROLLBACK(?!\s+TO\b)|ABORT)\b", _FLAGS)
# Statements that take a lock which blocks reads or writes of a table (SHARE or stronger).
_STRONG_LOCK = re.compile(
    r"^\s*(?:ALTER\s+(?:TABLE|INDEX|MATERIALIZED\s+VIEW|VIEW|SEQUENCE|TRIGGER)"
    r"|DROP\s+(?:TABLE|INDEX(?!\s+CONCURRENTLY)|TRIGGER|RULE|MATERIALIZED\s+VIEW|VIEW|SEQUENCE|POLICY)"
    r"|TRUNCATE|LOCK|CLUSTER|VACUUM\b[^;]*\bFULL|REINDEX(?![^;]*\bCONCURRENTLY)"
    r"|CREATE\s+(?:UNIQUE\s+)?INDEX(?!\s+CONCURRENTLY)"
    r"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?(?:TRIGGER|RULE)|CREATE\s+POLICY|ALTER\s+POLICY"
    r"|REFRESH\s+MATERIALIZED\s+VIEW(?!\s+CONCURRENTLY))\b", _FLAGS)
_SET_LOCK_TIMEOUT = re.compile(
    r"^\s*(?:SET\s+(?:LOCAL\s+|SESSION\s+)?lock_timeout\s*(?:=|TO)\s*(?P<value>.+?)|RESET\s+lock_timeout"
    r"|RESET\s+ALL)\s*$", _FLAGS)
_SET_CONFIG_LOCK_TIMEOUT = re.compile(r"set_config\s*\(\s*'lock_timeout'\s*,\s*'(?P<value>[^']*)'", _FLAGS)
_DURATION = re.compile(r"^'?\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>us|ms|s|min|h|d)?\s*'?$", re.IGNORECASE)
_UNIT_MS = {None: 1.0, "us": 0.001, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}

_DROP_DATA = re.compile(r"\b(?P<what>DROP\s+(?:TABLE|SCHEMA)|TRUNCATE)\b", _FLAGS)
_DROP_COLUMN = re.compile(
    r"(?:\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?[\w.$]+\s*\*?|,)\s*DROP\s+(?:COLUMN\s+)?"
    r"(?!CONSTRAINT\b|DEFAULT\b|NOT\b|IDENTITY\b|EXPRESSION\b)(?:IF\s+EXISTS\s+)?(?P<column>[\w$]+)", _FLAGS)
_CASCADE_DROP = re.compile(r"^\s*DROP\b.*\bCASCADE\s*$", _FLAGS)
_DELETE_OR_UPDATE = re.compile(
    r"\b(?:DELETE\s+FROM|UPDATE\s+(?:ONLY\s+)?(?!SET\b)[\w.$]+\s*\*?(?:\s+(?:AS\s+)?(?!SET\b)[\w$]+)?\s+SET)\b", _FLAGS)
_WORD_OR_PAREN = re.compile(r"[()]|;|\bWHERE\b", re.IGNORECASE)
_ALWAYS_TRUE = re.compile(r"\s*(?:TRUE|1\s*=\s*1|\(\s*TRUE\s*\))\s*(?:RETURNING\b|$)", re.IGNORECASE)
_DEFINES_CODE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|RULE)\b", re.IGNORECASE)
_DESTRUCTIVE_WORD = re.compile(r"\b(?:DROP|DELETE|UPDATE|TRUNCATE)\b", re.IGNORECASE)
_DO_BODY = re.compile(r"^\s*DO\b(?:\s+LANGUAGE\s+\w+)?\s*(?P<tag>\$\w*\$)(?P<body>.*?)(?P=tag)", _FLAGS)


def _milliseconds(value: str) -> float | None:
    """A lock_timeout value as PostgreSQL reads it (a bare number is milliseconds); None if not a number."""
    match = _DURATION.match(value.strip())
    if not match:
        return None
    return float(match.group("number")) * _UNIT_MS[match.group("unit") and match.group("unit").lower()]


def check(script: SqlScript, *, lock_timeout_ms: int) -> Iterator[Finding]:
    """Every finding of the runner's rules in one file. `lock_timeout_ms`: what the runner sets (envs)."""
    codes = [code_only(statement.sql) for statement in script.statements]
    if script.transactional:
        yield from _concurrently(script, codes, everywhere=True)
    else:
        yield from _concurrently(script, codes, everywhere=False)
        yield from _mixed(script, codes)
    yield from _lock_timeouts(script, codes, lock_timeout_ms)
    for statement, code in zip(script.statements, codes, strict=True):
        yield from _data_at_risk(script, statement, code)


def _finding(script: SqlScript, statement: Statement, rule: Rule, what: str, *, line: int | None = None,
             data_at_risk: bool = False) -> Finding:
    return Finding(script=script.script, line=line or statement.line, rule=rule.name, source="toolkit",
                   message=f"{what}: {rule.why}", safe_pattern=rule.safe_pattern, data_at_risk=data_at_risk)


def _quote(statement: Statement, limit: int = 70) -> str:
    from toolkit.db.masking import mask_sql

    first = " ".join(mask_sql(statement.first_line).split())
    return f"'{first[:limit]}…'" if len(first) > limit else f"'{first}'"


def _inside_explicit_transaction(codes: list[str]) -> list[bool]:
    """For a no-transaction file: which statements run inside the file's own BEGIN … COMMIT."""
    inside, result = False, []
    for code in codes:
        if _BEGIN.match(code) and not re.match(r"^\s*BEGIN\s+ATOMIC\b", code, re.IGNORECASE):
            result.append(False)
            inside = True
        elif _END.match(code):
            result.append(False)
            inside = False
        else:
            result.append(inside)
    return result


def _concurrently(script: SqlScript, codes: list[str], *, everywhere: bool) -> Iterator[Finding]:
    inside = [True] * len(codes) if everywhere else _inside_explicit_transaction(codes)
    for statement, code, in_transaction in zip(script.statements, codes, inside, strict=True):
        if in_transaction and (_CONCURRENTLY.match(code) or _OTHER_NON_TRANSACTIONAL.match(code)):
            where = ("in a transactional migration (every file runs in one transaction unless it declares "
                     "'-- toolkit:no-transaction')" if everywhere else "between the file's own BEGIN and COMMIT")
            yield _finding(script, statement, CONCURRENTLY_IN_TRANSACTION, f"{_quote(statement)} {where}")


def _mixed(script: SqlScript, codes: list[str]) -> Iterator[Finding]:
    inside = _inside_explicit_transaction(codes)
    acting = [index for index, code in enumerate(codes)
              if not _NEUTRAL.match(code) and not _BEGIN.match(code) and not _END.match(code)
              and not inside[index]]
    if len(acting) < 2:
        return  # a single statement is atomic on its own
    for index in acting:
        code = codes[index]
        if _CONCURRENTLY.match(code) or _OTHER_NON_TRANSACTIONAL.match(code):
            continue
        statement = script.statements[index]
        yield _finding(script, statement, NO_TRANSACTION_MIXED, _quote(statement))


def _lock_timeouts(script: SqlScript, codes: list[str], runner_ms: int) -> Iterator[Finding]:
    effective = float(script.lock_timeout_ms if script.lock_timeout_ms is not None else runner_ms)
    for statement, code in zip(script.statements, codes, strict=True):
        setting = _SET_LOCK_TIMEOUT.match(code)
        if setting:
            # The value is a string literal, which code_only blanked: read it from the statement itself.
            raw = _SET_LOCK_TIMEOUT.match(statement.sql)
            value = raw.group("value") if raw and raw.group("value") else None
            if value is None:
                effective = 0.0  # RESET: back to the server's default, which is no timeout
            elif value.strip().upper() != "DEFAULT":
                parsed = _milliseconds(value)
                effective = parsed if parsed is not None else effective
            continue
        configured = _SET_CONFIG_LOCK_TIMEOUT.search(statement.sql)
        if configured and _NEUTRAL.match(code):
            parsed = _milliseconds(configured.group("value"))
            effective = parsed if parsed is not None else effective
            continue
        if effective <= 0 and _STRONG_LOCK.match(code):
            source = ("its '-- toolkit:lock-timeout 0'" if script.lock_timeout_ms == 0
                      else "a SET lock_timeout of 0" if script.lock_timeout_ms is None and runner_ms > 0
                      else "migrations.statement_lock_timeout_ms = 0")
            yield _finding(script, statement, LOCK_TIMEOUT_MISSING, f"{_quote(statement)} (lock_timeout is off: "
                           f"{source})")


def _data_at_risk(script: SqlScript, statement: Statement, code: str) -> Iterator[Finding]:
    if _DEFINES_CODE.match(code):
        return  # a function, procedure or rule body runs later, when called, not as part of the migration
    do_block = _DO_BODY.match(statement.sql)
    if do_block:
        # A DO block runs its body now: check it too, strings included (EXECUTE 'DROP TABLE …').
        body = do_block.group("body")
        offset = do_block.start("body")
        for what, position in _destructive(body, blank=False):
            yield _finding(script, statement, DATA_AT_RISK, f"{what} inside a DO block",
                           line=statement.line_of(offset + position + 1), data_at_risk=True)
        return
    if not _DESTRUCTIVE_WORD.search(code):
        return
    for what, position in _destructive(code, blank=True):
        yield _finding(script, statement, DATA_AT_RISK, what, line=statement.line_of(position + 1),
                       data_at_risk=True)
    if _CASCADE_DROP.match(code) and not _DROP_DATA.match(code):
        yield _finding(script, statement, DATA_AT_RISK, f"{_quote(statement)} with CASCADE also drops every "
                       "object that depends on it (columns of that type, tables, views)", data_at_risk=True)


def _destructive(text: str, *, blank: bool) -> Iterator[tuple[str, int]]:
    """(description, position) of each destructive piece of `text`: SQL already blanked (blank=True), or a DO
    body, whose code is blanked here and whose strings are searched too (dynamic SQL: EXECUTE 'DROP …')."""
    code = text if blank else code_only(text)
    found: set[int] = set()
    for match in _DROP_DATA.finditer(code):
        found.add(match.start())
        yield " ".join(match.group("what").upper().split()), match.start()
    for match in _DROP_COLUMN.finditer(code):
        found.add(match.start())
        yield f"DROP COLUMN {match.group('column')}", match.start()
    for match in _DELETE_OR_UPDATE.finditer(code):
        if not _has_where(code, match.end()):
            yield f"{match.group(0).split()[0].upper()} without WHERE (every row)", match.start()
    if not blank:
        for pattern in (_DROP_DATA, _DROP_COLUMN):
            for match in pattern.finditer(text):
                if match.start() not in found:
                    words = " ".join(match.group(0).upper().split()[:3])
                    yield f"{words} in dynamic SQL", match.start()


def _has_where(code: str, start: int) -> bool:
    """Whether a WHERE follows at the same parenthesis depth before the statement (or its group) ends."""
    depth = 0
    for token in _WORD_OR_PAREN.finditer(code, start):
        text = token.group(0)
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth < 0:
                return False
        elif text == ";":
            if depth == 0:
                return False
        elif depth == 0:
            return not _ALWAYS_TRUE.match(code, token.end())
    return False
