"""The terraform engine: per-environment staging and data dirs, plan, apply with guards, unlock.

Library entry points used by the CLI (toolkit/cli/plan.py, apply.py, unlock.py):
`plan_environment`, `plan_all`, `apply_environment`, `unlock_environment`. See docs/ENGINE.md.
"""

from toolkit.engine.apply import ApplyOutcome, apply_environment
from toolkit.engine.plan import PlanOutcome, plan_environment
from toolkit.engine.plan_all import PlanAllOutcome, PlanFailure, PlanSkipped, plan_all
from toolkit.engine.progress import Progress, SilentProgress, StreamProgress
from toolkit.engine.unlock import UnlockOutcome, unlock_environment

__all__ = [
    "ApplyOutcome",
    "PlanAllOutcome",
    "PlanFailure",
    "PlanOutcome",
    "PlanSkipped",
    "Progress",
    "SilentProgress",
    "StreamProgress",
    "UnlockOutcome",
    "apply_environment",
    "plan_all",
    "plan_environment",
    "unlock_environment",
]
