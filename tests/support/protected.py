"""What a protected environment must set (toolkit/config/model.py `_protected_environment_rules`), for fixtures
that make a protected environment of the sandbox root: one place, so a new rule changes one file."""

from __future__ import annotations

from typing import Any

PROTECTED_DATABASE = {"multi_az": True, "deletion_protection": True, "backup_retention_days": 7}
PROTECTED_SETTINGS: dict[str, Any] = {
    "database": PROTECTED_DATABASE,
    "backup": {"enabled": True, "retention_days": 30},
    "audit": {"cloudtrail": True},
    "domain": {"name": "sandbox.example.com"},
}
