"""`toolkit plan --all`: every environment (or the given ones) planned concurrently, online or offline."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from toolkit.config import list_environments, load_environment
from toolkit.engine.offline import plan_offline
from toolkit.engine.plan import DEFAULT_LOCK_TIMEOUT, PlanOutcome, plan_environment
from toolkit.engine.progress import Progress
from toolkit.errors import ToolkitError, UsageError
from toolkit.project import Project
from toolkit.secrets import mask_text

MAX_PARALLEL_PLANS = 4


@dataclass(frozen=True)
class PlanFailure:
    environment: str
    message: str
    exit_code: int = 1


@dataclass(frozen=True)
class PlanSkipped:
    """An emulator-only environment whose endpoint variable is not set (e.g. the sandbox without moto)."""

    environment: str
    reason: str
    exit_code: int = 0


PlanAllResult = PlanOutcome | PlanFailure | PlanSkipped


@dataclass(frozen=True)
class PlanAllOutcome:
    results: list[PlanAllResult]

    @property
    def exit_code(self) -> int:
        """1 if any environment failed, else 2 if any has changes, else 0."""
        return max((result.exit_code for result in self.results), key=lambda code: {0: 0, 2: 1, 1: 2}[code],
                   default=0)


def plan_all(project: Project, environments: list[str] | None = None, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
             progress: Progress | None = None, offline: bool = False) -> PlanAllOutcome:
    """Plan every environment (or the given ones) concurrently; each has its own data dir and state.

    Without an explicit list, environments that need an emulator endpoint which is not set are skipped;
    offline, every emulator-only environment is (its root targets the emulator, not the stub providers).
    """
    names = environments or list_environments(project)
    if not names:
        raise UsageError(f"no environments in {project.envs_dir}")

    def plan_one(name: str) -> PlanAllResult:
        try:
            config = load_environment(project, name)
            if offline:
                if environments is None and config.settings.backend.endpoint_from_env:
                    return PlanSkipped(name, "an emulator-only environment (offline plans are for the real root)")

                return plan_offline(project, name, progress=progress)
            endpoint_variable = config.missing_endpoint_variable()
            if environments is None and endpoint_variable:
                return PlanSkipped(name, f"{endpoint_variable} is not set (an emulator-only environment: "
                                         f"`make demo` runs it)")
            return plan_environment(project, name, lock_timeout=lock_timeout, progress=progress)
        except ToolkitError as error:
            # Printed and written (--json, the summary) outside the CLI error handler: masked here.
            return PlanFailure(name, mask_text(str(error)))

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_PLANS, len(names))) as pool:
        return PlanAllOutcome(list(pool.map(plan_one, names)))
