"""Triage: what the last apply changed, which steps undo exactly that, and which a tier may skip.

A bare `toolkit rollback ENV` reads the checkpoints only (no AWS call): the apply after the default target
checkpoint (and any apply after it that wrote the state), what its plan changed (`ApplyRecord.changes`: counts
by action, resources, images before → after), whether the database and the cache were touched, and the steps
to run, each as a command. A tier run uses the same reading to skip the steps whose part no undone apply
touched (`db-parameter-group`, `cache-disable`, `db-restore`), says so, and names `--include STEP` to force
one. When what an apply changed is unknown (recorded by an older toolkit) nothing is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.records.checkpoints import AppliedChanges, ChangedResource, Checkpoint, CheckpointStore
from toolkit.rollback.history import undone_by

# Steps a tier runs only when an undone apply touched their part: step → (part, what "untouched" means).
SKIPPABLE: dict[str, tuple[str, str]] = {
    "db-parameter-group": ("database parameters", "changed no database parameter group"),
    "cache-disable": ("cache", "changed no cache resource"),
    "db-restore": ("database", "deleted or replaced no database instance or cluster (an update in place is undone "
                   "by `full`, without a restore)"),
}
DATA_LOSING = ("delete", "replace")
# Resources whose delete or replace loses no data: an Aurora cluster instance is compute, the data is the cluster's
# storage (replacing the writer or a reader fails over; `full` puts the old one back without a restore).
NO_DATA_OF_THEIR_OWN = ("aws_rds_cluster_instance",)
SHOWN_RESOURCES = 12


@dataclass
class Undone:
    """The applies a rollback to `checkpoint` undoes (its own, then later ones that wrote the state)."""

    checkpoint: Checkpoint
    applies: list[Checkpoint] = field(default_factory=list)

    @property
    def known(self) -> bool:
        """Whether every undone apply recorded what it changed, in full (a truncated or inconsistent list cannot say
        a part was left alone)."""
        return bool(self.applies) and all(item.apply is not None and item.apply.changes is not None
                                          and item.apply.changes.complete for item in self.applies)

    def later(self) -> list[str]:
        """The undone applies after the checkpoint's own: `full` (and `--tier long`) undo them only when each is
        named with --also-undo."""
        return [item.id for item in self.applies if item.id != self.checkpoint.id]

    def touched(self, part: str) -> list[ChangedResource]:
        return [resource for item in self.applies if item.apply and item.apply.changes
                for resource in item.apply.changes.touched(part)]

    def commits(self) -> list[str]:
        """The commits the undone applies applied, newest first (a rollback's own apply is not a commit to revert)."""
        found: list[str] = []
        for item in reversed(self.applies):
            if item.git_commit and item.rollback_of is None and item.git_commit not in found:
                found.append(item.git_commit)
        return found


def undone_applies(store: CheckpointStore, checkpoint: Checkpoint) -> Undone:
    others = [item for item in store.readable() if item.id != checkpoint.id and undone_by(checkpoint, item)]
    own = [checkpoint] if checkpoint.apply is not None and checkpoint.wrote_state() is not False else []
    return Undone(checkpoint, own + others)


def skip_reason(step: str, undone: Undone) -> str | None:
    """Why a tier run may leave `step` out (None: run it)."""
    if step not in SKIPPABLE or not undone.known:
        return None
    part, untouched = SKIPPABLE[step]
    touched = undone.touched(part)
    if step == "db-restore":
        touched = [item for item in touched if item.action in DATA_LOSING and item.type not in NO_DATA_OF_THEIR_OWN]
    if touched:
        return None
    which = "the apply undone" if len(undone.applies) == 1 else f"none of the {len(undone.applies)} applies undone"
    return f"{which} (checkpoint {undone.checkpoint.id}{' and later' if len(undone.applies) > 1 else ''}) {untouched}"


@dataclass
class Recommendation:
    steps: list[tuple[str, str]] = field(default_factory=list)      # (step, why)
    skipped: list[tuple[str, str]] = field(default_factory=list)    # (step, why not)
    commands: list[str] = field(default_factory=list)


def recommend(environment: str, undone: Undone) -> Recommendation:
    """The steps that undo what the undone applies changed, in the order to run them, as commands."""
    advice = Recommendation()
    target = f"--to {undone.checkpoint.id}"
    if not undone.applies:
        advice.commands.append(f"toolkit checkpoints {environment}")
        return advice
    if not undone.known:
        advice.steps.append(("ecs-task-definition", "what the apply changed was not recorded in full (an older "
                             "toolkit, more changes than kept, or an edited record): the fast tier first"))
        advice.steps.append(("autoscaling", "freezes the desired count while the rollback runs"))
        advice.steps.append(("full", "then re-apply the configuration live at the checkpoint"))
        consent = "".join(f" --also-undo {name}" for name in undone.later())
        # Each command first as the dry run (what it would change), then executing: the first line pasted at 3 a.m.
        # changes nothing.
        advice.commands += [f"toolkit rollback {environment} --tier immediate {target}",
                            f"toolkit rollback {environment} --tier immediate {target} --yes",
                            f"toolkit rollback {environment} --step full {target}{consent}",
                            f"toolkit rollback {environment} --step full {target}{consent} --yes"]
        return advice
    compute = undone.touched("compute")
    images = [image for item in undone.applies if item.apply and item.apply.changes
              for image in item.apply.changes.images]
    others = [resource for item in undone.applies if item.apply and item.apply.changes
              for resource in item.apply.changes.resources
              # The autoscaling step only suspends scaling: its changes need `full`. An emulator's echo-only update
              # is terraform re-sending what moto never echoes back, not a change to undo.
              if resource not in compute and not resource.emulator_echo]
    deregistered = [address for item in undone.applies if item.apply and item.apply.changes
                    for address in item.apply.changes.deregistered]
    if (compute or images) and not deregistered:
        advice.steps.append(("ecs-task-definition", "the apply changed the service's task definition"
                             + (" (images)" if images else "") + ": back to the checkpoint's revision in minutes"))
        advice.steps.append(("autoscaling", "freezes the desired count while the rollback runs (resume it after)"))
        advice.commands += [f"toolkit rollback {environment} --tier immediate {target}",
                            f"toolkit rollback {environment} --tier immediate {target} --yes"]
    for step in ("db-parameter-group", "cache-disable"):
        if skip_reason(step, undone) is None:
            why = ("the apply changed a database parameter group: back to the checkpoint's values"
                   if step == "db-parameter-group" else
                   "the apply changed the cache: switch the application off Redis until it is healthy")
            advice.steps.append((step, why))
            advice.commands += [f"toolkit rollback {environment} --step {step} {target}",
                                f"toolkit rollback {environment} --step {step} {target} --yes"]
    restore = skip_reason("db-restore", undone) is None
    if restore:
        advice.steps.append(("db-restore", "the apply deleted or replaced a database: restore the checkpoint's "
                             "snapshot (up to an hour), then cut over"))
    if deregistered:
        # The revision to go back to is INACTIVE: the fast tier would fail; re-applying the old configuration works.
        advice.steps.append(("full", "the apply deregistered the old task definition revision ("
                             + ", ".join(deregistered) + " has no skip_destroy): ECS cannot deploy it again, so "
                             "ecs-task-definition cannot go back; re-apply the configuration live at the checkpoint"))
    elif others or restore or (compute and not images):
        advice.steps.append(("full", "re-apply the configuration live at the checkpoint (undoes the other changes "
                             "in AWS and in the state)"))
    if any(step == "full" for step, _ in advice.steps):
        how = "--tier long" if restore else "--step full"
        # The applies after the checkpoint's are listed above: named, so the printed command runs as shown.
        consent = "".join(f" --also-undo {name}" for name in undone.later())
        advice.commands += [f"toolkit rollback {environment} {how} {target}{consent}",
                            f"toolkit rollback {environment} {how} {target}{consent} --yes"]
    for step, (_, _untouched) in SKIPPABLE.items():
        reason = skip_reason(step, undone)
        if reason:
            advice.skipped.append((step, reason))
    if not advice.steps:
        advice.commands.append(f"toolkit rollback {environment} --tier immediate {target}")
    return advice


def describe_apply(checkpoint: Checkpoint) -> list[str]:
    """Lines on one undone apply: who, when, commit, result, what it changed and its images."""
    record = checkpoint.apply
    commit = (checkpoint.git_commit or "no commit")[:12]
    if record is None:
        return [f"checkpoint {checkpoint.id}: never applied"]
    lines = [f"checkpoint {checkpoint.id}: applied {record.started_at} by {record.applied_by}, commit {commit}, "
             f"{checkpoint.result}" + (f" ({record.summary})" if record.summary else "")]
    if checkpoint.rollback_of:
        lines.append(f"  (a rollback: `--step full` back to the configuration of checkpoint {checkpoint.rollback_of})")
    if record.deployment:
        lines.append(f"  deployment: {record.deployment}")
    changes = record.changes
    if changes is None:
        lines.append("  what it changed was not recorded (an older toolkit)")
        return lines
    if not changes.complete:
        lines.append(f"  only {len(changes.resources)} of {sum(changes.counts.values())} changes are listed: no step "
                     "is skipped for a part that looks untouched")
    if checkpoint.result == "success":
        lines.append(f"  changed: {changes.text()} (create, update, delete, replace)")
    else:
        # The record is the plan's: an apply that stopped half-way did part of it (the steps undo all of it).
        lines.append(f"  planned: {changes.text()} (create, update, delete, replace); the apply "
                     f"{checkpoint.result}, so only part of it may have happened")
    for resource in changes.resources[:SHOWN_RESOURCES]:
        echo = "  (the emulator's echo gap only: not a change of the configuration)" if resource.emulator_echo else ""
        lines.append(f"    {resource.action:<8} {resource.address}{echo}")
    if len(changes.resources) > SHOWN_RESOURCES:
        lines.append(f"    … and {len(changes.resources) - SHOWN_RESOURCES} more (`toolkit checkpoints ENV --json`)")
    for image in changes.images:
        lines.append(f"  image {image.container}: {image.before or '(none)'} → {image.after or '(removed)'}")
    for address in changes.deregistered:
        lines.append(f"  old revision deregistered (no skip_destroy): {address}")
    return lines


def touched_line(undone: Undone, part: str, label: str) -> str:
    if not undone.known:
        return f"{label}: unknown (not recorded)"
    touched = undone.touched(part)
    if not touched:
        return f"{label}: not touched"
    return f"{label}: TOUCHED (" + ", ".join(f"{item.action} {item.address}" for item in touched[:4]) + \
        (", …" if len(touched) > 4 else "") + ")"


def triage_lines(environment: str, undone: Undone, advice: Recommendation, notes: list[str]) -> list[str]:
    lines = [f"Rollback triage for {environment} (read from the checkpoints; nothing is changed, no AWS call)"]
    lines += [f"  {note}" for note in notes]
    if not undone.applies:
        lines.append(f"  checkpoint {undone.checkpoint.id}: its apply changed nothing: there is nothing to undo")
    else:
        lines.append(f"What a rollback to checkpoint {undone.checkpoint.id} undoes:")
        for item in undone.applies:
            lines += [f"  {line}" for line in describe_apply(item)]
        for part, label in (("database", "database"), ("database parameters", "database parameters"),
                            ("cache", "cache")):
            lines.append(f"  {touched_line(undone, part, label)}")
    if advice.steps:
        lines.append("Recommended steps:")
        lines += [f"  {index}. {step}: {why}" for index, (step, why) in enumerate(advice.steps, start=1)]
    for step, why in advice.skipped:
        lines.append(f"Skipped {step}: {why}; a tier run skips it too (add --include {step} to run it anyway)")
    lines.append("Run (a command without --yes is a dry run that shows every change):")
    lines += [f"  {command}" for command in advice.commands]
    return lines


def triage_document(environment: str, undone: Undone, advice: Recommendation, notes: list[str]) -> dict[str, Any]:
    from dataclasses import asdict

    def changes(item: Checkpoint) -> dict[str, Any] | None:
        record: AppliedChanges | None = item.apply.changes if item.apply else None
        return asdict(record) if record else None

    return {
        "environment": environment, "checkpoint": undone.checkpoint.id, "notes": notes,
        "undone": [{"checkpoint": item.id, "commit": item.git_commit, "result": item.result,
                    "applied_by": item.apply.applied_by if item.apply else None,
                    "started_at": item.apply.started_at if item.apply else None,
                    "summary": item.apply.summary if item.apply else None,
                    "deployment": item.apply.deployment if item.apply else None,
                    "rollback_of": item.rollback_of, "changes": changes(item)} for item in undone.applies],
        "touched": {part: (bool(undone.touched(part)) if undone.known else None)
                    for part in ("compute", "autoscaling", "database", "database parameters", "cache")},
        "recommended": [{"step": step, "why": why} for step, why in advice.steps],
        "skipped": [{"step": step, "why": why, "force": f"--include {step}"} for step, why in advice.skipped],
        "commands": advice.commands,
    }
