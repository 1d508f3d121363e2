"""`toolkit db lint`: squawk's rules plus the runner's own, with reasoned waivers (see docs/MIGRATIONS.md)."""

from toolkit.db.lint.findings import Finding, LintReport
from toolkit.db.lint.service import LintSettings, lint_directory, lint_scripts

__all__ = ["Finding", "LintReport", "LintSettings", "lint_directory", "lint_scripts"]
