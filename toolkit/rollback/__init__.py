"""Rollback runbooks for incident responders: `toolkit rollback ENV --tier …|--step …` (see docs/ROLLBACK.md)."""

from toolkit.rollback.base import RollbackOptions
from toolkit.rollback.runbook import (
    STEPS,
    TIERS,
    RollbackFailed,
    RollbackRequest,
    RollbackResult,
    list_checkpoints,
    read_journal,
    run_rollback,
)

__all__ = ["STEPS", "TIERS", "RollbackFailed", "RollbackOptions", "RollbackRequest", "RollbackResult",
           "list_checkpoints", "read_journal", "run_rollback"]
