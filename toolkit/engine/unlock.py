"""`toolkit unlock`: say who holds an environment's state lock and release it, only when confirmed.

The lock is read and released directly (toolkit.state.lock), of the kind the environment pins: the S3 lock
file, the DynamoDB item, or both. A lock that a live run on this machine may hold is refused without --force.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.config import load_environment
from toolkit.errors import GuardError, LockError
from toolkit.project import Project
from toolkit.state.local_runs import LocalRun, runs_of
from toolkit.state.lock import HeldLock, LocalStateLock, state_lock_for

# Asks a yes/no question; None when there is no terminal to ask on.
Confirm = Callable[[str], bool | None]


@dataclass(frozen=True)
class UnlockOutcome:
    environment: str
    lock: HeldLock | None
    released: tuple[str, ...] = ()

    def message(self) -> str:
        if self.lock is None:
            return f"{self.environment}: the state is not locked; nothing to release"
        if not self.released:
            return f"{self.environment}: lock {self.lock.info.id} left in place\n{self.lock.describe()}"
        return (f"{self.environment}: lock {self.lock.info.id} released ({', '.join(self.released)})\n"
                f"{self.lock.info.describe()}")


def lock_argument(holder: HeldLock) -> str:
    """The lock ID as a shell word safe to paste: an unreadable lock's `(unreadable)`, or whatever an edited lock
    file names as its ID (`$(…)`, `;`), must not become shell syntax in the command the operator copies."""
    return shlex.quote(holder.info.id)


def live_holders(holder: HeldLock, runs: list[LocalRun]) -> list[LocalRun]:
    """The live local runs that may hold this lock: the toolkit's own by lock ID; a terraform run of this
    environment on the machine the lock names (terraform's lock info carries no process id)."""
    exact = [run for run in runs if run.lock_id == holder.info.id]
    if exact:
        return exact
    return [run for run in runs if run.lock_id is None and run.host == holder.info.host]


def unlock_environment(project: Project, environment: str, lock_id: str | None = None, *, yes: bool = False,
                       force: bool = False, confirm: Confirm | None = None,
                       warn: Callable[[str], None] = lambda message: None) -> UnlockOutcome:
    """Show the holder of ENV's lock and release it after confirmation (never a live local run's, unless forced)."""
    config = load_environment(project, environment)
    lock = state_lock_for(project, config)
    holders = lock.inspect()
    if not holders:
        if lock_id:
            raise LockError(f"{environment}: the state is not locked ({lock.describe_kind()}), so lock {lock_id} "
                             "cannot be released")
        return UnlockOutcome(environment, None)
    if lock_id:
        matching = [holder for holder in holders if holder.info.id == lock_id]
        if not matching:
            raise LockError(f"{environment}: lock {lock_id} is not the current lock; the state is locked by:\n"
                             + "\n".join(holder.describe() for holder in holders))
        holder = matching[0]
    elif len(holders) > 1:
        raise LockError(f"{environment}: the state holds {len(holders)} different locks:\n"
                         + "\n".join(holder.describe() for holder in holders)
                         + f"\nRelease them one at a time: `toolkit unlock {environment} LOCK_ID`")
    else:
        holder = holders[0]
    if isinstance(lock, LocalStateLock):
        raise GuardError(f"{environment}: the state is locked by:\n{holder.describe()}\nA local state's lock is "
                         "terraform's file lock: it belongs to the running process and ends with it, so there is "
                         "nothing to release; stop that run instead (Ctrl-C lets terraform save the state)")
    skipped: list[str] = []
    live = live_holders(holder, runs_of(project, environment).live(skipped))
    for record in skipped:
        warn(f"skipped the run record {record}")
    if live and not force:
        raise GuardError(f"{environment}: the state is locked by:\n{holder.describe()}\nA run on this machine that "
                         f"may hold it is still running: {', '.join(run.describe() for run in live)}. Releasing it "
                         "would let another run write the state at the same time: wait for it or stop it "
                         "(Ctrl-C lets terraform release the lock). "
                         f"`toolkit unlock {environment} {lock_argument(holder)} --force` releases it anyway")
    if not yes:
        question = (f"{environment}: the state is locked by:\n{holder.describe()}\nReleasing it while that "
                    f"{holder.info.operation_name} is still running can corrupt the state. Release it?")
        answer = confirm(question) if confirm else None
        if answer is None:
            raise GuardError(f"{environment}: the state is locked by:\n{holder.describe()}\n"
                             f"Releasing needs confirmation: re-run with `toolkit unlock {environment} "
                             f"{lock_argument(holder)} --yes` once you are sure that run is dead")
        if not answer:
            return UnlockOutcome(environment, holder)
    released = lock.release(holder.info.id)
    return UnlockOutcome(environment, holder, tuple(released))
