"""The migrations section of a pull-request review: the migration files a change adds, edits or deletes,
their lint findings (data at risk first), and edits to files already merged (whose checksum then no longer
matches the history of any database that applied them). Sized to share the one review comment."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.db.files import MIGRATION_NAME
from toolkit.errors import UsageError

SECTION_LIMIT = 12_000


@dataclass
class MigrationChanges:
    directory: Path
    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.edited or self.deleted)


def changed_migrations(directory: Path, base: str, root: Path) -> MigrationChanges:
    """`git diff --name-status BASE` (with the work tree) limited to the migrations folder."""
    try:
        relative = directory.resolve().relative_to(root.resolve())
    except ValueError:
        relative = directory
    try:
        completed = subprocess.run(["git", "-C", str(root), "diff", "--name-status", "--no-renames", base, "--",
                                    str(relative)], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"cannot compare migrations with {base}: {error}") from error
    if completed.returncode != 0:
        raise UsageError(f"cannot compare migrations with {base!r}: {completed.stderr.strip() or 'git diff failed'} "
                         "(in CI, check out with fetch-depth: 0)")
    # New files not yet committed (a local review before the commit) count as added.
    untracked = subprocess.run(["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "--",
                                str(relative)], capture_output=True, text=True, timeout=60, check=False)
    lines = completed.stdout.splitlines() + [f"A\t{path}" for path in untracked.stdout.splitlines()]
    changes = MigrationChanges(directory=directory)
    for line in lines:
        status, _, path = line.partition("\t")
        name = Path(path).name
        if not MIGRATION_NAME.match(name):
            continue
        {"A": changes.added, "D": changes.deleted}.get(status[:1], changes.edited).append(name)
    return changes


def _escape(text: str) -> str:
    from toolkit.text import plain

    return plain(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def migrations_markdown(changes: MigrationChanges, report: object | None, *, limit: int = SECTION_LIMIT) -> str:
    """The section as Markdown, at most `limit` characters (findings beyond it are counted, not shown)."""
    lines = ["", "### Database migrations", ""]
    for label, names in (("added", changes.added), ("edited", changes.edited), ("deleted", changes.deleted)):
        if names:
            lines.append(f"- **{label}:** " + ", ".join(f"`{_escape(name)}`" for name in names))
    already = [name for name in changes.edited + changes.deleted if not name.endswith(".down.sql")]
    if already:
        named = ", ".join(f"`{_escape(name)}`" for name in already)
        lines += ["", f"> [!WARNING]\n> **Changed after it was merged:** {named}. "
                  "A database that applied it keeps the old checksum: `toolkit db verify` and `toolkit db migrate` "
                  "will refuse it there. Add a new migration instead of editing an applied one."]
    if report is not None:
        findings = sorted(report.findings, key=lambda finding: (not finding.data_at_risk, finding.script,
                                                                  finding.line))
        at_risk = [finding for finding in report.findings if finding.data_at_risk]
        if at_risk:
            lines += ["", "> [!CAUTION]\n> **Data at risk:** " + "; ".join(
                f"`{finding.where}` {_escape(finding.message.split(':')[0])}" for finding in at_risk[:20])
                + (f"; and {len(at_risk) - 20} more" if len(at_risk) > 20 else "")]
        verdict = ("no findings" if report.ok else f"{len(report.findings)} finding(s)")
        lines += ["", f"`toolkit db lint`: {len(report.files)} file(s), {verdict}, {len(report.waived)} waived."]
        if findings:
            lines += ["", "| where | rule | why | safe pattern |", "|---|---|---|---|"]
        footer_room = 200
        size = sum(len(line) + 1 for line in lines)
        for shown, finding in enumerate(findings):
            risk = " (data at risk)" if finding.data_at_risk else ""
            row = (f"| `{finding.where}` | `{finding.rule}`{risk} | {_escape(finding.message)} | "
                   f"{_escape(finding.safe_pattern)} |")
            if size + len(row) + 1 > limit - footer_room:
                lines.append(f"\n{len(findings) - shown} more finding(s) not shown: run `toolkit db lint` locally.")
                break
            lines.append(row)
            size += len(row) + 1
        if report.waived:
            waived = "; ".join(f"`{finding.where}` {finding.rule}: {_escape(finding.waived_because or '')}"
                               for finding in report.waived)
            text = f"\n<details><summary>Waived ({len(report.waived)})</summary>\n\n{waived}\n</details>"
            if size + len(text) < limit:
                lines.append(text)
    return "\n".join(lines)[:limit] + "\n"


def migrations_text(changes: MigrationChanges, report: object | None) -> str:
    from toolkit.db.lint.text import format_lint

    lines = ["", "Database migrations:"]
    for label, names in (("added", changes.added), ("edited", changes.edited), ("deleted", changes.deleted)):
        if names:
            lines.append(f"  {label}: {', '.join(names)}")
    already = [name for name in changes.edited + changes.deleted if not name.endswith(".down.sql")]
    if already:
        lines.append(f"  Warning: changed after it was merged: {', '.join(already)} (an applied file's checksum no "
                     "longer matches history; add a new migration instead)")
    if report is not None:
        lines.append(format_lint(report))
    return "\n".join(lines) + "\n"


def review_section(environment: str, base: str, *, markdown: bool, limit: int = SECTION_LIMIT) -> str:
    """The section for ENV's migrations folder compared with `base`; "" when the change touches no migration."""
    from toolkit.db.lint import lint_directory
    from toolkit.db.lint.targets import lint_settings_for
    from toolkit.project import Project

    directory, settings = lint_settings_for(environment)
    assert directory is not None
    changes = changed_migrations(directory, base, Project.discover().root)
    if not changes.any:
        return ""
    up_files = [name for name in changes.added + changes.edited if not name.endswith(".down.sql")]
    report = lint_directory(directory, settings, up_files) if up_files else None
    return migrations_markdown(changes, report, limit=limit) if markdown else migrations_text(changes, report)
