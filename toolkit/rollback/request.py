"""What every part of a rollback shares: the request, its result, and where the environment's records are
(read from the merged values alone: the rollback path loads no schema)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from toolkit.aws import error_code
from toolkit.clock import sort_ids
from toolkit.config.sources import EnvironmentFacts, read_facts
from toolkit.emulator_server import find_running_emulator
from toolkit.errors import ConfigError, ToolkitError
from toolkit.project import Project
from toolkit.records.checkpoints import CheckpointStore
from toolkit.records.journal import Journal
from toolkit.records.places import SharedPlace, checkpoint_store_for, shared_place_from_values
from toolkit.records.places import journal_for as shared_journal_for
from toolkit.rollback.base import RollbackOptions, StepOutcome


@dataclass
class RollbackRequest:
    environment: str
    tier: str | None = None
    step: str | None = None
    checkpoint_id: str | None = None
    execute: bool = False
    approve: str | None = None
    output_format: str = "text"
    region: str | None = None
    endpoint_url: str | None = None
    resume_from: str | None = None
    options: RollbackOptions = field(default_factory=RollbackOptions)
    undo_run: str | None = None       # --undo RUN_ID: put back the state that run's terraform-state step replaced


@dataclass
class RollbackResult:
    run_id: str
    environment: str
    checkpoint: str
    executed: bool
    outcomes: list[StepOutcome]
    api_calls: int
    changing_calls: int
    elapsed_s: float
    budget_s: float


@dataclass
class EnvironmentRecords:
    """An environment's facts and records as one run reads them: its files read once, one S3 client for its
    checkpoints and journal, and each checkpoint listed and read once (CheckpointStore.remember)."""

    facts: EnvironmentFacts
    place: SharedPlace | None
    store: CheckpointStore
    journal: Journal
    # The journal's run ids as listed with the checkpoints (one_listing), else None: ask the journal.
    listed_run_ids: list[str] | None = None

    def run_ids(self) -> list[str]:
        return self.journal.run_ids() if self.listed_run_ids is None else self.listed_run_ids


def environment_records(project: Project, environment: str, *, one_listing: bool = False) -> EnvironmentRecords:
    """`one_listing`: list the checkpoints and the journal's runs of an S3 place in one ListObjectsV2 of its prefix
    (a rollback run needs both names before it starts)."""
    facts = read_facts(project, environment)
    place = _place_of(project, facts)
    store = checkpoint_store_for(project, place, facts.name)
    journal = shared_journal_for(project, place, facts.name)
    if place is None or not one_listing:
        return EnvironmentRecords(facts, place, store.remember(), journal)
    try:
        folders = place.folders()
    except ToolkitError as error:
        if error_code(error.__cause__) != "AccessDenied":
            raise
        # A role allowed to list only checkpoints/ and journal/ (s3:prefix): the two listings it may make.
        return EnvironmentRecords(facts, place, store.remember(), journal)
    run_ids = sort_ids(name[:-6] for name in folders.get("journal", []) if name.endswith(".jsonl"))
    return EnvironmentRecords(facts, place, store.remember(folders.get("checkpoints", [])), journal, run_ids)


def shared_place(project: Project, environment: str) -> SharedPlace | None:
    """Where the environment keeps its records beside an S3 state (None: a local backend, the project folder),
    from the merged values alone: the rollback path loads no schema."""
    return _place_of(project, read_facts(project, environment))


def _place_of(project: Project, facts: EnvironmentFacts) -> SharedPlace | None:
    _use_the_running_emulator(project, facts)
    return shared_place_from_values(facts.name, facts.values, facts.aws_region)


def _use_the_running_emulator(project: Project, facts: EnvironmentFacts) -> None:
    """An emulator environment's records and services are on its emulator: the one `toolkit emulator up` started
    when its variable is unset (as plan and apply find it), and never real AWS when none is running."""
    emulator = facts.values.get("emulator")
    variable = emulator.get("endpoint_from_env") if isinstance(emulator, dict) else None
    if not isinstance(variable, str) or not variable:
        return
    find_running_emulator(project, variable)
    if not os.environ.get(variable):
        raise ConfigError(f"envs/{facts.name}.yaml is an emulator environment and no emulator is running: start it "
                          f"(`toolkit emulator up`) or set {variable}; its checkpoints and services are never looked "
                          "for in real AWS")


def checkpoint_store(project: Project, environment: str) -> CheckpointStore:
    """The environment's checkpoints: beside its S3 state, or in the project folder."""
    return checkpoint_store_for(project, shared_place(project, environment), environment)


def journal_for(project: Project, environment: str) -> Journal:
    """The environment's rollback journal: beside its S3 state, or in the project folder."""
    return shared_journal_for(project, shared_place(project, environment), environment)
