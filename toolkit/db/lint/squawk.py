"""squawk (PyPI squawk-cli): PostgreSQL's migration rules, run as one process per batch of files.

The toolkit takes squawk's rules as they are. It only leaves out the ones the runner itself covers:
the timeouts (the runner sets lock_timeout and statement_timeout on every migration; rules.py checks
where they are off), and the transaction rules (the loader refuses BEGIN/COMMIT in a transactional file;
rules.py checks concurrent statements inside one). Transactional files are linted with
`--assume-in-transaction`, no-transaction files without it, as the runner applies them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.db.lint.findings import Finding
from toolkit.errors import ToolkitError

SQUAWK_VERSION = "2.70.0"
# Every rule of squawk 2.70 (pinned in pyproject.toml): a waiver must name one of these or a toolkit rule.
# tests/db/test_lint.py checks squawk accepts each name, so a squawk upgrade that renames one fails there.
_RULE_NAMES = """
adding-field-with-default adding-foreign-key-constraint adding-not-nullable-field adding-required-field
adding-serial-primary-key-field ban-add-column ban-add-composite-attribute ban-add-enum-value
ban-alter-database-options ban-alter-domain-with-add-constraint ban-alter-extension ban-alter-function-options
ban-alter-generated-expression ban-alter-identity ban-alter-policy-condition ban-alter-policy-roles
ban-alter-role-options ban-alter-row-level-security ban-alter-sequence-values ban-alter-system-options
ban-alter-view-options ban-char-field ban-concurrent-index-creation-in-transaction
ban-create-domain-with-constraint ban-create-policy ban-detach-inheritance ban-disable-trigger ban-drop-column
ban-drop-constraint ban-drop-database ban-drop-default ban-drop-domain ban-drop-extension ban-drop-function
ban-drop-generated-expression ban-drop-index ban-drop-not-null ban-drop-policy ban-drop-schema
ban-drop-sequence ban-drop-table ban-drop-type ban-drop-view ban-new-write-restriction ban-replace-view-function
ban-replica-identity ban-revoke ban-set-default ban-set-schema ban-truncate-cascade ban-uncommitted-transaction
changing-column-type constraint-missing-not-valid disallowed-unique-constraint identifier-too-long
prefer-bigint-over-int prefer-bigint-over-smallint prefer-identity prefer-repack prefer-robust-stmts
prefer-text-field prefer-timestamp-tz renaming-column renaming-object renaming-table
require-concurrent-index-creation require-concurrent-index-deletion require-concurrent-partition-detach
require-concurrent-reindex require-enum-value-ordering require-lock-timeout require-statement-timeout
require-table-schema require-timeout-settings transaction-nesting
"""
SQUAWK_RULES = frozenset(_RULE_NAMES.split())
SYNTAX_ERROR = "syntax-error"
# Covered by the runner and rules.py (see the module docstring).
EXCLUDED = ("require-lock-timeout", "require-statement-timeout", "require-timeout-settings",
            "ban-concurrent-index-creation-in-transaction", "transaction-nesting", "ban-uncommitted-transaction")
# Squawk's rules that say a statement destroys data.
DATA_AT_RISK_RULES = frozenset({"ban-drop-column", "ban-drop-table", "ban-drop-schema", "ban-truncate-cascade",
                                "ban-drop-database"})
# The argument list of one squawk process stays well below the kernel's limit (ARG_MAX).
BATCH = 500
RULE_DOCS = "https://squawkhq.com/docs/"


class SquawkMissing(ToolkitError):
    """No squawk binary: a set-up problem, not a lint result."""


@dataclass(frozen=True)
class SquawkBatch:
    process: subprocess.Popen[bytes]
    files: tuple[Path, ...]


def find_squawk() -> str:
    """TOOLKIT_SQUAWK, else the squawk beside this Python (the venv's, from squawk-cli), else PATH."""
    configured = os.environ.get("TOOLKIT_SQUAWK")
    candidates = [configured] if configured else [str(Path(sys.executable).parent / "squawk"), "squawk"]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    where = f"TOOLKIT_SQUAWK={configured} is not an executable" if configured else "squawk is not installed"
    raise SquawkMissing(f"cannot lint migrations: {where}. Install it with `make setup` (PyPI squawk-cli=="
                        f"{SQUAWK_VERSION}, a dependency of the toolkit) or `pip install squawk-cli=="
                        f"{SQUAWK_VERSION}`, or point TOOLKIT_SQUAWK at the binary")


def start(files: Sequence[Path], *, in_transaction: bool, pg_version: str) -> list[SquawkBatch]:
    """Start squawk on `files` (in batches) without waiting: the toolkit's own rules run meanwhile."""
    if not files:
        return []
    binary = find_squawk()
    arguments = [binary, "--reporter", "json", f"--pg-version={pg_version}", f"--exclude={','.join(EXCLUDED)}",
                 "--assume-in-transaction" if in_transaction else "--no-assume-in-transaction"]
    batches = []
    for index in range(0, len(files), BATCH):
        chunk = tuple(files[index:index + BATCH])
        try:
            process = subprocess.Popen([*arguments, *map(str, chunk)], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        except OSError as error:
            raise SquawkMissing(f"cannot run squawk ({binary}): {error.strerror or error}") from error
        batches.append(SquawkBatch(process, chunk))
    return batches


def collect(batches: list[SquawkBatch]) -> list[Finding]:
    findings: list[Finding] = []
    for batch in batches:
        stdout, stderr = batch.process.communicate()
        # 0: clean; 1: findings. Anything else is squawk failing (a bad option, a crash).
        if batch.process.returncode not in (0, 1):
            raise ToolkitError(f"squawk failed (exit {batch.process.returncode}): "
                               f"{stderr.decode('utf-8', 'replace').strip()[:2000]}")
        try:
            violations = json.loads(stdout.decode("utf-8", "replace") or "[]")
        except json.JSONDecodeError as error:
            raise ToolkitError(f"squawk printed something that is not its JSON report: {error}") from error
        names = {str(path): path.name for path in batch.files}
        findings.extend(_finding(violation, names) for violation in violations)
    return findings


def stop(batches: list[SquawkBatch]) -> None:
    """End any squawk still running (an error elsewhere stopped the lint)."""
    for batch in batches:
        if batch.process.poll() is None:
            batch.process.kill()
        if batch.process.stdout is not None and not batch.process.stdout.closed:
            batch.process.communicate()  # reaps it and closes its pipes


def _finding(violation: dict[str, object], names: dict[str, str]) -> Finding:
    rule = str(violation.get("rule_name") or "")
    file = str(violation.get("file") or "")
    line = violation.get("line")
    # squawk counts lines from 0.
    number = line + 1 if isinstance(line, int) and not isinstance(line, bool) and line >= 0 else 1
    message = " ".join(str(violation.get("message") or "").split())
    help_text = " ".join(str(violation.get("help") or "").split())
    if rule == SYNTAX_ERROR:
        message = f"squawk cannot parse this statement: {message}"
        help_text = help_text or "fix the SQL (PostgreSQL would refuse it too); nothing else in the file is checked"
    else:
        help_text = f"{help_text} (see {RULE_DOCS}{rule})" if help_text else f"see {RULE_DOCS}{rule}"
    return Finding(script=names.get(file, Path(file).name), line=number, rule=rule, source="squawk",
                   message=message, safe_pattern=help_text, data_at_risk=rule in DATA_AT_RISK_RULES)


def accepts_rule(rule: str) -> bool:
    """Whether this squawk knows `rule` (for a name the list above lacks: squawk refuses unknown ones)."""
    try:
        completed = subprocess.run([find_squawk(), f"--exclude={rule}", "--reporter", "json", "--stdin-filepath",
                                    "x.sql"], input=b"", capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0


def version() -> str:
    try:
        completed = subprocess.run([find_squawk(), "--version"], capture_output=True, text=True, timeout=30,
                                   check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip().removeprefix("squawk ").strip()
