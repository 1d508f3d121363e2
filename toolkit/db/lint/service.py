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
    if directory.exists() and not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} is not a folder (it is a file)")
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    paths = sorted(path for path in directory.iterdir()
                   if path.is_file() and path.suffix.lower() == ".sql" and not path.name.lower().endswith(".down.sql"))
    if only:
        wanted = {Path(name).name for name in only}
        unknown = sorted(wanted - {path.name for path in paths})
        if unknown:
            raise MigrationError(f"not up migrations of {directory}: {', '.join(unknown)}")
        paths = [path for path in paths if path.name in wanted]
    # squawk starts at once, on every file as a transactional one: it runs while Python reads and checks the
    # files; the few no-transaction files are linted again without --assume-in-transaction (lint_scripts).
    early = squawk.start(paths, in_transaction=True, pg_version=settings.pg_version)
    try:
        scripts = _read(directory, paths, report)
        return lint_scripts(scripts, settings, report, early=early)
    finally:
        squawk.stop(early)


def _read(directory: Path, paths: list[Path], report: LintReport) -> list[SqlScript]:
    try:
        by_path = {migration.up.path: migration.up for migration in load_migrations(directory).migrations}
    except MigrationError as error:
        # One bad file must not hide the others' findings: read them one by one instead.
        scripts: list[SqlScript] = []
        for path in paths:
            try:
                scripts.append(read_script(path))
            except MigrationError as file_error:
                report.files.append(path.name)
                report.findings.append(_invalid(path, file_error))
        if not report.findings:
            report.findings.append(Finding(script=directory.name, line=1, rule=INVALID_MIGRATION, source="toolkit",
                                           message=str(error), safe_pattern="fix the folder first"))
        return scripts
    return [by_path[path] for path in paths if path in by_path]


def _invalid(path: Path, error: MigrationError) -> Finding:
    match = _ERROR_LINE.search(str(error))
    message = str(error).removeprefix(str(path)).lstrip(",: ")
    if match:
        message = str(error)[match.end():]
    return Finding(script=path.name, line=int(match.group("line")) if match else 1, rule=INVALID_MIGRATION,
                   source="toolkit", message=message, safe_pattern="the runner refuses this file as it is: fix it")


def lint_scripts(scripts: Sequence[SqlScript], settings: LintSettings, report: LintReport, *,
                 early: list[squawk.SquawkBatch] | None = None) -> LintReport:
    """Lint already-read scripts into `report` (db plan lints the pending ones this way). `early`: squawk
    already started on these files as transactional ones."""
    outside = [script.path for script in scripts if not script.transactional]
    if early is None:
        early = squawk.start([script.path for script in scripts], in_transaction=True,
                             pg_version=settings.pg_version)
    late = squawk.start(outside, in_transaction=False, pg_version=settings.pg_version)
    own: dict[str, list[Finding]] = {}
    try:
        for script in scripts:
            own[script.script] = list(rules.check(script, lock_timeout_ms=settings.lock_timeout_ms))
        # The early run read the no-transaction files as transactional ones: their findings come from `late`.
        no_transaction = {path.name for path in outside}
        from_squawk = [finding for finding in squawk.collect(early) if finding.script not in no_transaction]
        from_squawk += squawk.collect(late)
    finally:
        squawk.stop(early + late)
    for finding in from_squawk:
        own.setdefault(finding.script, []).append(finding)
    known = known_rules()
    for script in scripts:
        found = sorted(own.get(script.script, []), key=lambda finding: (finding.line, finding.rule))
        if script.lint_comments:
            waiver_list, waiver_findings = waivers.read(script, script.sql(), known)
        else:
            waiver_list, waiver_findings = [], []
        active, waived = waivers.apply(script, found, waiver_list)
        report.files.append(script.script)
        report.findings.extend(sorted(active + waiver_findings, key=lambda finding: (finding.line, finding.rule)))
        report.waived.extend(waived)
    report.files.sort(key=_version_order)
    return report


def _version_order(name: str) -> tuple[int, str]:
    match = MIGRATION_NAME.match(name)
    return (int(match.group("version")) if match else -1, name)
