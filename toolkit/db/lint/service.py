"""Lint a migrations folder (or some of its files): squawk runs in the background while the toolkit's rules,
then the waivers, are applied file by file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.db.files import MIGRATION_NAME, SqlScript, load_migrations, read_script
from toolkit.db.lint import rules, squawk, waivers
from toolkit.db.lint.findings import Finding, LintReport
from toolkit.errors import MigrationError

# The runner's defaults (toolkit/config/model.py MigrationsSettings) when no environment says otherwise.
DEFAULT_LOCK_TIMEOUT_MS = 5_000
_ERROR_LINE = re.compile(r", line (?P<line>\d+): ")
INVALID_MIGRATION = "invalid-migration"


@dataclass(frozen=True)
class LintSettings:
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS  # migrations.statement_lock_timeout_ms
    pg_version: str = "15"


def known_rules() -> frozenset[str]:
    return squawk.SQUAWK_RULES | frozenset(rules.TOOLKIT_RULES)


def lint_directory(directory: Path, settings: LintSettings | None = None,
                   only: Sequence[str] | None = None) -> LintReport:
    """Every up migration of `directory` (or only the files named in `only`), never a down migration."""
    settings = settings or LintSettings()
    report = LintReport(directory=str(directory))
    try:
        migration_set = load_migrations(directory)
    except MigrationError as error:
        # One bad file must not hide the others' findings: read file by file below instead.
        if not directory.is_dir():
            raise
        folder_error = error
        paths = sorted(path for path in directory.iterdir()
                       if path.is_file() and path.suffix.lower() == ".sql" and not path.name.endswith(".down.sql"))
    else:
        folder_error = None
        paths = [migration.up.path for migration in migration_set.migrations]
    if only:
        wanted = {Path(name).name for name in only}
        unknown = sorted(wanted - {path.name for path in paths})
        if unknown:
            raise MigrationError(f"not up migrations of {directory}: {', '.join(unknown)}")
        paths = [path for path in paths if path.name in wanted]
    scripts: list[SqlScript] = []
    for path in paths:
        try:
            scripts.append(read_script(path))
        except MigrationError as error:
            report.files.append(path.name)
            report.findings.append(_invalid(path, error))
    if folder_error is not None and not report.findings:
        report.findings.append(Finding(script=directory.name, line=1, rule=INVALID_MIGRATION, source="toolkit",
                                       message=str(folder_error), safe_pattern="fix the folder first"))
    lint_scripts(scripts, settings, report)
    return report


def _invalid(path: Path, error: MigrationError) -> Finding:
    match = _ERROR_LINE.search(str(error))
    message = str(error).removeprefix(str(path)).lstrip(",: ")
    if match:
        message = str(error)[match.end():]
    return Finding(script=path.name, line=int(match.group("line")) if match else 1, rule=INVALID_MIGRATION,
                   source="toolkit", message=message, safe_pattern="the runner refuses this file as it is: fix it")


def lint_scripts(scripts: Sequence[SqlScript], settings: LintSettings, report: LintReport) -> LintReport:
    """Lint already-read scripts into `report` (db plan lints the pending ones this way)."""
    transactional = [script.path for script in scripts if script.transactional]
    outside = [script.path for script in scripts if not script.transactional]
    batches = (squawk.start(transactional, in_transaction=True, pg_version=settings.pg_version)
               + squawk.start(outside, in_transaction=False, pg_version=settings.pg_version))
    own: dict[str, list[Finding]] = {}
    texts: dict[str, str] = {}
    try:
        for script in scripts:
            texts[script.script] = script.sql()
            own[script.script] = list(rules.check(script, lock_timeout_ms=settings.lock_timeout_ms))
        from_squawk = squawk.collect(batches)
    finally:
        for batch in batches:
            if batch.process.poll() is None:
                batch.process.kill()
                batch.process.wait()
    for finding in from_squawk:
        own.setdefault(finding.script, []).append(finding)
    known = known_rules()
    for script in scripts:
        found = sorted(own.get(script.script, []), key=lambda finding: (finding.line, finding.rule))
        waiver_list, waiver_findings = waivers.read(script, texts[script.script], known)
        active, waived = waivers.apply(script, found, waiver_list)
        report.files.append(script.script)
        report.findings.extend(sorted(active + waiver_findings, key=lambda finding: (finding.line, finding.rule)))
        report.waived.extend(waived)
    report.files.sort(key=_version_order)
    return report


def _version_order(name: str) -> tuple[int, str]:
    match = MIGRATION_NAME.match(name)
    return (int(match.group("version")) if match else -1, name)
