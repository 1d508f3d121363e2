"""What happened to the state since a checkpoint: the applies a state-affecting step would undo.

Restoring the state (terraform-state) or re-applying an old commit (full) undoes every apply after the
checkpoint, not only the one the responder has in mind. Before such a step the runbook lists those applies
(who, when, commit, result) from the shared checkpoint store, and compares the state's serial with the serial
the newest apply left. Which applies those are comes from the state versions each apply started from and
wrote (lineage, serial), not from the order of the checkpoint ids; an apply that wrote nothing (its plan went
stale under another apply) is never among them. A higher serial means the state was written by something the
toolkit has no record of (terraform by hand, a checkout whose checkpoints stayed local). Undoing more than the
checkpoint's own apply needs each of them named with `--also-undo` (a checkpoint id, or `unrecorded`):
explicit, and it cannot go stale silently (a new apply in between is a new id the flags do not name).
The toolkit's own state restores (terraform-state, and its --undo) write a new serial too: the serials their
journaled, completed writes recorded are known, so a state a restore left is not "unrecorded". The applies such a
restore undid are still listed (conservative: whether a restore undid them is not decided from the journal).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toolkit.clock import is_after, sort_key
from toolkit.errors import UsageError
from toolkit.records.checkpoints import Checkpoint, CheckpointStore
from toolkit.records.journal import JournalEntry
from toolkit.text import plain

if TYPE_CHECKING:
    from toolkit.rollback.base import RunContext, StepPlan

UNRECORDED = "unrecorded"
# The journal's names for a terraform-state restore's write of the state (S3 object, local file); the lock file's own
# PutObject is "s3:PutObject".
STATE_STEP = "terraform-state"
STATE_WRITE = "s3:PutObject state"
LOCAL_STATE_WRITE = "file:write"


def restored_serials(entries: Iterable[JournalEntry]) -> list[int]:
    """The serials the toolkit's own state restores (and undos) wrote, in journal order: completed writes only (an
    entry "started" or failed may not have written). A value that is no serial (an edited journal) is passed over:
    the serial check then stays conservative."""
    serials = []
    for entry in entries:
        if (entry.step != STATE_STEP or entry.event != "action" or entry.action not in (STATE_WRITE, LOCAL_STATE_WRITE)
                or entry.result != "ok" or not isinstance(entry.request, dict)):
            continue
        serial = entry.request.get("restored_serial")
        if type(serial) is int and serial >= 0:
            serials.append(serial)
    return serials


@dataclass(frozen=True)
class PastApply:
    checkpoint_id: str
    who: str
    when: str
    commit: str | None
    result: str
    summary: str
    tfvars_sha256: str | None = None

    def describe(self) -> str:
        """One line (the consent list of `--also-undo`): every field comes from an editable record, escaped."""
        commit = plain((self.commit or "unknown")[:12])
        summary = f": {plain(self.summary)}" if self.summary else ""
        return (f"{plain(self.checkpoint_id)}  {plain(self.when)}  by {plain(self.who)}  commit {commit}  "
                f"{plain(self.result)}{summary}")


@dataclass
class History:
    """The applies from the checkpoint's own (`undone`) to now, and any state change no checkpoint explains."""

    undone: PastApply | None
    later: list[PastApply] = field(default_factory=list)
    unrecorded: str | None = None     # why the state's serial says something else wrote it
    already: str | None = None        # the newest apply already applied the target configuration

    def lines(self) -> list[str]:
        lines = [f"undone: {self.undone.describe()}" if self.undone else
                 "the checkpoint's own apply never started: it changed nothing"]
        lines += [f"ALSO UNDONE: {item.describe()}" for item in self.later]
        if self.unrecorded:
            lines.append(f"ALSO UNDONE: {self.unrecorded}")
        if self.already:
            lines.append(self.already)
        return lines

    def names(self) -> list[str]:
        """What --also-undo must name."""
        return [item.checkpoint_id for item in self.later] + ([UNRECORDED] if self.unrecorded else [])


def _past(checkpoint: Checkpoint) -> PastApply | None:
    record = checkpoint.apply
    if record is None:
        return None
    result = checkpoint.result
    if checkpoint.wrote_state() is False and result != "success":
        result += " (wrote no state)"
    return PastApply(checkpoint.id, record.applied_by, record.started_at, checkpoint.git_commit, result,
                     record.summary, checkpoint.tfvars_sha256)


def undone_by(checkpoint: Checkpoint, other: Checkpoint) -> bool:
    """Whether putting back `checkpoint`'s state also undoes `other`'s apply: it wrote the state (or may have) from
    that state version or a later one of the same lineage. Decided from the state versions the applies record,
    not from the order of their ids; records without them fall back to that order."""
    if other.id == checkpoint.id or other.wrote_state() is False:
        return False
    start, started = checkpoint.started_from(), other.started_from()
    if start is not None and started is not None and start[0] == started[0]:
        return started[1] >= start[1]
    return is_after(other.id, checkpoint.id)


def _order(checkpoint: Checkpoint) -> tuple[int, tuple[object, ...]]:
    started = checkpoint.started_from()
    return (started[1] if started else -1), sort_key(checkpoint.id)


def history_since(store: CheckpointStore, checkpoint: Checkpoint, current_serial: int | None,
                  target: tuple[str | None, str | None] | None = None, restored: Iterable[int] = ()) -> History:
    """The applies that wrote the state since `checkpoint`'s state (each record in `store` read), in the order they
    wrote it, and the serial check. `target` is the (commit, tfvars sha256) a step re-applies: when the newest apply
    applied exactly that, it undoes nothing. `restored`: the serials the toolkit's own restores wrote
    (restored_serials of the journal); a current serial equal to the newest of them, written after the newest
    apply, is accounted for."""
    # An unreadable record is skipped (named by the caller from store.skipped); if it wrote the state, the serial
    # check below still says something the toolkit cannot account for did.
    others = list(store.readable([item for item in store.ids() if item != checkpoint.id]))
    writers = sorted((other for other in others if undone_by(checkpoint, other)), key=_order)
    later = [past for past in map(_past, writers) if past is not None]
    history = History(_past(checkpoint), later)
    if target and later and later[-1].result == "success" and (later[-1].commit, later[-1].tfvars_sha256) == target:
        history.already = (f"the newest apply ({later[-1].checkpoint_id}) already applied that configuration "
                           f"(commit {(target[0] or 'unknown')[:12]}): running the step again undoes no apply")
        history.later = []
    if current_serial is None:
        return history
    known = _known_serial(checkpoint, writers)
    if known is None:
        return history  # an apply with no recorded end serial (older record, interrupted): nothing to compare
    serial, since = known
    newest = max(restored, default=None)
    if newest is not None and newest > serial and current_serial == newest:
        return history  # the toolkit's own restore wrote it (the applies it undid are still listed: conservative)
    if current_serial > serial:
        history.unrecorded = (f"the state's serial is {current_serial}, but it was {serial} {since}: something "
                              "the toolkit has no checkpoint for wrote the state since (terraform run by hand, "
                              "or an apply whose checkpoints stayed in another checkout)")
    return history


def _known_serial(checkpoint: Checkpoint, writers: list[Checkpoint]) -> tuple[int, str] | None:
    """The newest serial the recorded applies account for, and since when; None when one of them cannot say."""
    known: tuple[int, str] | None = None
    if checkpoint.state is not None:
        known = (checkpoint.state.serial, f"when checkpoint {checkpoint.id} was taken")
    for item in ([checkpoint] if checkpoint.wrote_state() is not False else []) + writers:
        record = item.apply
        if record is None:
            continue
        if record.state_serial_after is None:
            return None
        if known is None or record.state_serial_after >= known[0]:
            known = (record.state_serial_after, f"after the apply of checkpoint {item.id}")
    return known


def refusal(history: History, also_undo: list[str], environment: str, checkpoint_id: str, step: str) -> str | None:
    """Why the step must not run as asked, or None. Names in --also-undo that are not later applies are a usage
    error (a typo must not pass as consent)."""
    wanted = history.names()
    unknown = [name for name in also_undo if name not in wanted]
    if unknown:
        listed = ", ".join(wanted) or "none"
        raise UsageError(f"--also-undo {', '.join(unknown)}: not an apply after checkpoint {checkpoint_id} "
                         f"(the applies after it: {listed})")
    missing = [name for name in wanted if name not in also_undo]
    if not missing:
        return None
    flags = " ".join(f"--also-undo {name}" for name in missing)
    return (f"{step} would also undo {len(missing)} apply/applies after checkpoint {checkpoint_id} (listed above), "
            f"not only the checkpoint's own: nothing was changed. If that is intended, name each: {flags}; or roll "
            f"back to a newer checkpoint (`toolkit checkpoints {environment}`)")


def check_history(run: RunContext, plan: StepPlan, current_serial: int | None,
                  target: tuple[str | None, str | None] | None = None) -> None:
    """List what the step undoes in its plan, and refuse (plan.refusal) when it undoes unnamed later applies."""
    if run.store is None:
        return
    # Read anew, not from the run's start: an apply made since (during a long restore, or while the protected
    # environment's prompt waited) must be listed and named, never silently undone.
    store = run.store.fresh()
    # Only a restore made after the target checkpoint can explain the serial now: older runs are not read.
    restored = restored_serials(run.journal.read(after=run.checkpoint.id))
    history = history_since(store, run.checkpoint, current_serial, target, restored)
    plan.sections.insert(0, (f"applies this undoes (checkpoints in {store.location}; state serial now "
                             f"{current_serial if current_serial is not None else 'unknown'})", history.lines()))
    if store.skipped:
        plan.sections.insert(1, ("unreadable checkpoint records, skipped (if one of them wrote the state, the serial "
                                 "check above names it as unrecorded)", store.skipped_lines()))
    plan.refusal = refusal(history, run.options.also_undo, run.environment, run.checkpoint.id, plan.step)
