"""The pieces every rollback step shares: its plan, its outcome and the context of a run.

A step first *plans*: it reads the current AWS values (its precondition) and lists the exact changes
(API action, resource, current → target). A dry run stops there. Executing acts on that plan, then
verifies with a fresh read. A plan with no changes is "nothing to do" and makes no changing call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from toolkit.aws import ClientFactory, call
from toolkit.clock import iso, utc_now
from toolkit.config.sources import EnvironmentFacts
from toolkit.errors import ToolkitError
from toolkit.project import Project
from toolkit.records.checkpoints import Checkpoint, CheckpointStore
from toolkit.records.journal import Journal, JournalEntry
from toolkit.rollback.waits import WaitPolicy

if TYPE_CHECKING:
    from toolkit.config import EnvironmentConfig


@dataclass
class Change:
    """One changing API call the step will make."""

    action: str                       # "ecs:UpdateService"
    resource: str                     # "cluster/service"
    current: str
    target: str


@dataclass
class StepPlan:
    step: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)        # waits, reboots, consequences
    already: list[str] = field(default_factory=list)      # targets already reached ("already at revision 3")
    manual: list[str] = field(default_factory=list)       # commands a person must run (no automation)
    data: dict[str, Any] = field(default_factory=dict)    # what planning read, for execute
    # Titled lists shown with the plan, before anything acts (the applies a restore undoes, the resources that
    # leave or come back into the state).
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    refusal: str | None = None                            # why the step must not run as asked (shown, then stops)

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.manual and not self.data.get("wait_only")


@dataclass
class StepOutcome:
    step: str
    result: str                       # done | nothing-to-do | manual | failed | skipped
    lines: list[str] = field(default_factory=list)
    duration_s: float = 0.0


@dataclass
class RollbackOptions:
    """Step-specific choices from the command line."""

    revision: str | None = None               # ecs-task-definition: a number or "previous"
    resume_scaling: bool = False              # autoscaling: resume instead of suspend
    reboot: bool = False                      # db-parameter-group: reboot instances with pending static changes
    snapshot: str | None = None               # db-restore: a named snapshot instead of the checkpoint's
    restore_time: str | None = None           # db-restore: point-in-time restore (ISO 8601 or "latest")
    wait_timeout_s: float | None = None       # overrides each step's default wait timeout
    poll_interval_s: float | None = None      # overrides each step's default poll interval
    allow_destroy: tuple[str, ...] = ()       # full: stateful resources the apply may destroy or replace
    also_undo: list[str] = field(default_factory=list)  # later applies a state-affecting step may undo too
    include: list[str] = field(default_factory=list)    # tier steps to run although no undone apply touched their part


@dataclass
class RunContext:
    project: Project
    facts: EnvironmentFacts                               # name, protection, region: enough to start
    checkpoint: Checkpoint
    clients: ClientFactory
    journal: Journal
    run_id: str
    who: str
    options: RollbackOptions
    execute: bool
    echo: Callable[[str], None] = print
    approve: str | None = None                            # --approve, passed on to the engine's apply guards
    confirm: Callable[[str], str | None] | None = None    # asks the responder (the apply guard's prompt)
    loaded: dict[str, Any] = field(default_factory=dict)  # the validated configuration, once loaded
    store: CheckpointStore | None = None                  # the environment's checkpoints (what happened since)
    heartbeat: Callable[[str], None] | None = None        # "still waiting" lines during long waits (every 30 s)

    @property
    def environment(self) -> str:
        return self.facts.name

    @property
    def config(self) -> EnvironmentConfig:
        """The validated configuration, loaded (schema and all) only by the steps that need more than the facts."""
        if "config" not in self.loaded:
            from toolkit.config import load_environment

            self.loaded["config"] = load_environment(self.project, self.facts.name)
        return self.loaded["config"]

    def wait_policy(self, timeout_s: float, interval_s: float) -> WaitPolicy:
        # A wait is where time passes (and Ctrl-C or a kill comes): what the journal holds is written first.
        return WaitPolicy(self.options.wait_timeout_s or timeout_s, self.options.poll_interval_s or interval_s,
                          heartbeat=self.heartbeat, before=self.journal.flush)

    def act(self, step: str, action: str, function: Callable[..., Any], summary: dict[str, Any],
            **request: Any) -> Any:
        """Make one changing call and journal it (what, sanitised request summary, result, duration). Everything
        held is written before the change is made: the run is on record before its first change, and each change
        before the next one. The call's "ok" goes out with the next write: before the next change, before a wait's
        first sleep, with a failure or at the run's end (SIGTERM and SIGHUP are handled like Ctrl-C, which flushes;
        only a SIGKILL right after a change can lose that one entry)."""
        self.journal.flush()
        started = time.monotonic()
        try:
            answer = call(action, function, **request)
        except ToolkitError as error:
            self.record(step=step, event="action", action=action, request=summary, result="error",
                        message=str(error), duration_s=time.monotonic() - started)
            raise
        except KeyboardInterrupt:
            # Ctrl-C, SIGTERM or SIGHUP during the call: AWS may or may not have made the change.
            self.record(step=step, event="action", action=action, request=summary, result="interrupted",
                        message="interrupted during the call: the change may have been made (a resume reads AWS "
                                "first)", duration_s=time.monotonic() - started)
            raise
        self.record(step=step, event="action", action=action, request=summary, result="ok",
                    duration_s=time.monotonic() - started, hold=True)
        return answer

    def record(self, *, hold: bool = False, **fields: Any) -> None:
        """Journal one entry; `hold` lets it wait for the next write (Journal.write): only for what may wait until
        the next change, wait or the run's end."""
        self.journal.write(JournalEntry(time=iso(utc_now()), run_id=self.run_id, environment=self.environment,
                                        who=self.who, checkpoint=self.checkpoint.id, **fields), hold=hold)


class StepCannotWork(ToolkitError):
    """A step failed in a way that running it again cannot change (no usable target): the report suggests the
    step that can work (`--step full`), not a resume."""


class Step:
    """A rollback step. Subclasses set the class attributes and implement plan/execute."""

    name: ClassVar[str]
    tier: ClassVar[str]
    title: ClassVar[str]
    # Whether a run of the tier includes the step (db-cutover is only ever run on its own).
    in_tier: ClassVar[bool] = True

    def plan(self, run: RunContext) -> StepPlan:
        raise NotImplementedError

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        """Act on the plan, verify, and return what was done (one line per resource)."""
        raise NotImplementedError
