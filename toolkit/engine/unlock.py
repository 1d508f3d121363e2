"""`toolkit unlock`: say who holds an environment's state lock and release it, only when confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolkit.engine.locking import LockInfo
from toolkit.engine.progress import Progress
from toolkit.engine.session import open_session
from toolkit.errors import GuardError, UsageError
from toolkit.project import Project

# Asks a yes/no question; None when there is no terminal to ask on.
Confirm = Callable[[str], bool | None]


@dataclass(frozen=True)
class UnlockOutcome:
    environment: str
    lock: LockInfo | None
    released: bool

    def message(self) -> str:
        if self.lock is None:
            return f"{self.environment}: the state is not locked; nothing to release"
        verb = "released" if self.released else "left in place"
        return f"{self.environment}: lock {self.lock.id} {verb}\n{self.lock.describe()}"


def unlock_environment(project: Project, environment: str, lock_id: str | None = None, *, yes: bool = False,
                       confirm: Confirm | None = None, progress: Progress | None = None) -> UnlockOutcome:
    """Find the holder (a refresh-less plan that takes the lock for an instant) and force-unlock it."""
    session = open_session(project, environment, progress)
    holder = session.terraform.probe_lock(var_file=session.workspace.render.tfvars_path)
    if holder is None:
        if lock_id:
            raise UsageError(f"{environment}: the state is not locked, so lock {lock_id} cannot be released")
        return UnlockOutcome(environment, None, False)
    if lock_id and lock_id != holder.id:
        raise UsageError(f"{environment}: lock {lock_id} is not the current lock; the state is locked by:\n"
                         f"{holder.describe()}")
    if not yes:
        question = (f"{environment}: the state is locked by:\n{holder.describe()}\nReleasing it while that "
                    f"{holder.operation_name} is still running can corrupt the state. Release it?")
        answer = confirm(question) if confirm else None
        if answer is None:
            raise GuardError(f"{environment}: the state is locked by:\n{holder.describe()}\n"
                             f"Releasing needs confirmation: re-run with `toolkit unlock {environment} {holder.id} "
                             "--yes` once you are sure that run is dead")
        if not answer:
            return UnlockOutcome(environment, holder, False)
    session.terraform.force_unlock(holder.id)
    return UnlockOutcome(environment, holder, True)
