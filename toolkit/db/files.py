"""The migrations folder: `NNN_description.sql` files, optional `.down.sql` files and the skip manifest.

Loading validates the whole folder before anything touches a database: a bad name, a duplicate
version, an empty file, an unknown `-- toolkit:` directive, a transaction statement inside a
transactional migration or a bad skip manifest entry is an error naming the file (and line).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.db.splitter import SplitError, Statement, line_comments, split_statements
from toolkit.errors import MigrationError

SKIP_MANIFEST = "skip.txt"
MIGRATION_NAME = re.compile(r"(?P<version>[0-9]+)_(?P<description>[A-Za-z0-9][A-Za-z0-9_\-]*)(?P<down>\.down)?\.sql\Z")
DIRECTIVE = re.compile(r"^[ \t]*--[ \t]*toolkit:(?P<name>[A-Za-z_\-]+)(?P<value>[^\n]*)$", re.MULTILINE)
# `-- toolkit:lock-timeout 10s` / `-- toolkit:statement-timeout 30m`: this file's own limits (0 = none).
TIMEOUT_DIRECTIVES = frozenset({"lock-timeout", "statement-timeout"})
# `-- toolkit:allow RULE because …` waives one lint finding (toolkit/db/lint/waivers.py checks it).
WAIVER_DIRECTIVE = "allow"
KNOWN_DIRECTIVES = frozenset({"no-transaction", WAIVER_DIRECTIVE, *TIMEOUT_DIRECTIVES})
# Statements that would end the migration's own transaction half-way.
TRANSACTION_CONTROL = re.compile(
    r"^(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK(?!\s+TO\b)|ABORT|PREPARE\s+TRANSACTION)\b",
    re.IGNORECASE,
)
SKIP_LINE = re.compile(r"^(?P<version>\d+)\s*:\s*(?P<reason>.*?)\s*$")
# A session-wide SET (not SET LOCAL / SET TRANSACTION / SET CONSTRAINTS): it would outlive the migration's
# transaction, so the runner resets the session before the next file (see runner._clean_session).
SESSION_SET = re.compile(r"^SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)", re.IGNORECASE)
MAX_VERSION = 2**63 - 1
LINT_COMMENT = re.compile(r"toolkit:allow|squawk-ignore", re.IGNORECASE)
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SqlScript:
    """One .sql file, read and split."""

    path: Path
    version: int
    description: str
    checksum: str
    statements: tuple[Statement, ...]
    transactional: bool
    # This file's own `-- toolkit:lock-timeout` / `-- toolkit:statement-timeout` (milliseconds), else None.
    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None
    # Whether the file holds a lint waiver or a squawk-ignore comment (the lint reads the text again only then).
    lint_comments: bool = False
    # Things that run but probably do not do what the author meant (shown before anything runs).
    warnings: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        return self.path.name

    def sql(self) -> str:
        # utf-8-sig: a byte-order mark is not SQL (read_script strips it the same way).
        return self.path.read_text(encoding="utf-8-sig")


@dataclass(frozen=True)
class Migration:
    """A version: its up script, its optional down script, and a skip reason from the manifest."""

    up: SqlScript
    down: SqlScript | None = None
    skip_reason: str | None = None

    @property
    def version(self) -> int:
        return self.up.version

    @property
    def script(self) -> str:
        return self.up.script

    @property
    def description(self) -> str:
        return self.up.description


@dataclass(frozen=True)
class MigrationSet:
    """Every migration of a folder, ordered by version."""

    directory: Path
    migrations: tuple[Migration, ...] = field(default_factory=tuple)

    def by_version(self) -> dict[int, Migration]:
        return {migration.version: migration for migration in self.migrations}

    @property
    def runnable(self) -> tuple[Migration, ...]:
        return tuple(migration for migration in self.migrations if migration.skip_reason is None)


def checksum_of(raw: bytes) -> str:
    """SHA-256 of the file with line endings normalised and a UTF-8 byte-order mark dropped, so a git
    autocrlf checkout or an editor that adds a BOM keeps the checksum (the SQL is the same)."""
    return hashlib.sha256(raw.removeprefix(UTF8_BOM).replace(b"\r\n", b"\n")).hexdigest()


def format_version(version: int) -> str:
    return f"{version:03d}"


def mask_sql(sql: str) -> str:
    # Imported on use: only an error or a warning quotes a statement (the lint loads this module on every run).
    from toolkit.db.masking import mask_sql as mask

    return mask(sql)


def read_script(path: Path) -> SqlScript:
    """Read, checksum and split one file; MigrationError names the file on any problem."""
    match = MIGRATION_NAME.match(path.name)
    if not match:
        raise MigrationError(f"{path}: bad migration file name: expected NNN_description.sql "
                             "or NNN_description.down.sql (digits, underscore, letters/digits/_/-)")
    if int(match.group("version")) > MAX_VERSION:
        # The history table's version is a bigint: such a file would run, then fail writing its history row.
        raise MigrationError(f"{path}: version {match.group('version')} is too large: the history table "
                             f"stores versions up to {MAX_VERSION} (PostgreSQL bigint)")
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MigrationError(f"{path}: UTF-16 text (a Windows editor's \"Unicode\"): save it as UTF-8")
    try:
        # A BOM (Windows editors add one) is not SQL: left in, it hides a first-line `-- toolkit:` directive
        # and turns the first statement into a syntax error.
        text = raw.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        offset = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
        raise MigrationError(f"{path}: not UTF-8 text (byte {error.start + offset})") from error
    try:
        statements = split_statements(text)
    except SplitError as error:
        raise MigrationError(f"{path}, line {error.line}: {error}") from error
    directives: list[str] = []
    timeouts: dict[str, int] = {}
    for directive in _real_directives(text, statements):
        name, value = directive.group("name"), directive.group("value").strip()
        line = text.count("\n", 0, directive.start()) + 1
        if name not in KNOWN_DIRECTIVES:
            raise MigrationError(f"{path}, line {line}: unknown directive '-- toolkit:{name}' "
                                 f"(known: {', '.join(sorted(KNOWN_DIRECTIVES))})")
        if name in TIMEOUT_DIRECTIVES:
            if name in timeouts:
                raise MigrationError(f"{path}, line {line}: '-- toolkit:{name}' is given twice")
            timeouts[name] = _timeout_ms(path, line, name, value)
        elif name == "no-transaction" and value:
            raise MigrationError(f"{path}, line {line}: '-- toolkit:no-transaction' takes no value "
                                 f"(found {value!r})")
        directives.append(name)
    if not statements:
        raise MigrationError(f"{path}: empty migration: the file holds no SQL statement")
    transactional = "no-transaction" not in directives
    warnings: list[str] = []
    if transactional:
        for statement in statements:
            if TRANSACTION_CONTROL.match(statement.sql):
                raise MigrationError(
                    f"{path}, line {statement.line}: '{mask_sql(statement.first_line)}' controls the transaction; "
                    "each migration already runs in its own transaction: remove it "
                    "(or declare '-- toolkit:no-transaction' for statements that cannot run in one)"
                )
            # Outside a transaction SET LOCAL does nothing, so a no-transaction file rightly uses SET.
            if SESSION_SET.match(statement.sql):
                warnings.append(
                    f"{path.name}, line {statement.line}: '{mask_sql(statement.first_line)}' changes the whole "
                    "session, not just this migration: the runner resets the session before the next file, so it ends "
                    "with this one; write SET LOCAL to scope it to this migration's transaction")
    return SqlScript(path=path, version=int(match.group("version")), description=match.group("description"),
                     checksum=checksum_of(raw), statements=tuple(statements), transactional=transactional,
                     lock_timeout_ms=timeouts.get("lock-timeout"), lint_comments=bool(LINT_COMMENT.search(text)),
                     statement_timeout_ms=timeouts.get("statement-timeout"), warnings=tuple(warnings))


def _real_directives(text: str, statements: list[Statement]) -> list[re.Match[str]]:
    """The directive lines that are real comments: one inside a statement may be a line of a string or a
    dollar-quoted body (`SELECT '\n-- toolkit:no-transaction\n'` must not change how the file runs)."""
    matches = list(DIRECTIVE.finditer(text))
    if not matches:
        return []
    starts = [statement.offset for statement in statements]
    comments: set[int] | None = None
    real = []
    for match in matches:
        index = bisect.bisect_right(starts, match.start()) - 1
        inside = index >= 0 and match.start() < statements[index].offset + len(statements[index].sql)
        if inside:
            if comments is None:  # rare: only then lex the file for its comments
                comments = {offset for offset, _ in line_comments(text)}
            if match.start() + match.group(0).index("--") not in comments:
                continue
        real.append(match)
    return real


def _timeout_ms(path: Path, line: int, name: str, value: str) -> int:
    from toolkit.duration import parse_duration
    from toolkit.errors import UsageError

    try:
        milliseconds = round(parse_duration(value, option=f"-- toolkit:{name}").seconds * 1000)
    except UsageError as error:
        raise MigrationError(f"{path}, line {line}: {error} (0 = no limit)") from None
    if milliseconds > 2**31 - 1:
        raise MigrationError(f"{path}, line {line}: '-- toolkit:{name} {value}' is more than PostgreSQL "
                             "accepts (about 24 days)")
    return milliseconds


def read_skip_manifest(directory: Path) -> dict[int, str]:
    """`VERSION: reason` lines from skip.txt ('#' comments and blank lines allowed)."""
    path = directory / SKIP_MANIFEST
    if not path.is_file():
        return {}
    skips: dict[int, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        match = SKIP_LINE.match(stripped)
        if not match or not match.group("reason"):
            raise MigrationError(f"{path}, line {number}: expected 'VERSION: reason' "
                                 "(for example '009: duplicates 008')")
        version = int(match.group("version"))
        if version in skips:
            raise MigrationError(f"{path}, line {number}: version {format_version(version)} is listed twice")
        skips[version] = match.group("reason")
    return skips


def load_migrations(directory: Path) -> MigrationSet:
    """Read and validate a migrations folder (gaps between versions are allowed)."""
    if directory.exists() and not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} is not a folder (it is a file): pass the folder "
                             "that holds the NNN_description.sql files")
    if not directory.is_dir():
        raise MigrationError(f"migrations folder {directory} does not exist")
    ups: dict[int, SqlScript] = {}
    downs: dict[int, SqlScript] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".sql":
            continue
        script = read_script(path)
        target = downs if path.name.endswith(".down.sql") else ups
        if script.version in target:
            raise MigrationError(f"{path}: duplicate version {format_version(script.version)}: "
                                 f"{target[script.version].script} has the same version")
        target[script.version] = script
    for version, down in sorted(downs.items()):
        if version not in ups:
            raise MigrationError(f"{down.path}: down migration without an up migration "
                                 f"(no {format_version(version)}_*.sql)")
        if down.description != ups[version].description:
            raise MigrationError(f"{down.path}: down migration name does not match its up migration "
                                 f"{ups[version].script}")
    skips = read_skip_manifest(directory)
    for version in sorted(skips):
        if version not in ups:
            raise MigrationError(f"{directory / SKIP_MANIFEST}: version {format_version(version)} "
                                 "has no migration file")
    migrations = tuple(
        Migration(up=ups[version], down=downs.get(version), skip_reason=skips.get(version))
        for version in sorted(ups)
    )
    return MigrationSet(directory=directory, migrations=migrations)
