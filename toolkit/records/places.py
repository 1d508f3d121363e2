"""Where the toolkit's own records of an environment live: its checkpoints and its rollback journal.

- Local backend: the project's folder, as always (`.toolkit/envs/ENV/checkpoints/<id>.json`,
  `.toolkit/envs/ENV/journal.jsonl`).
- S3 backend: beside the state, in the state bucket under `<folder of the state key>/toolkit/`
  (`checkpoints/<id>.json`, `journal/<run id>.jsonl`), each object written with the backend's server-side
  encryption. The bucket must be versioned (the state restore needs its versions anyway), so a record that is
  rewritten (an apply's outcome) keeps its history. Every apply writes there wherever it runs, so a CI runner's
  checkpoints outlive the runner and every checkout of the project reads the same ones.

The storage itself (`Records`, on disk or in S3) is toolkit.records.store. `upload_local` moves the
checkpoints and journal a checkout kept locally before the shared store existed (idempotent). See docs/CHECKPOINTS.md.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from toolkit.aws import ClientFactory
from toolkit.config.backend import state_key, state_key_from_values
from toolkit.emulator import check_loopback
from toolkit.errors import ConfigError, UsageError
from toolkit.records.checkpoints import CheckpointStore
from toolkit.records.journal import Journal
from toolkit.records.store import LocalRecords, S3Records

if TYPE_CHECKING:
    from toolkit.config import EnvironmentConfig
    from toolkit.project import Project

SHARED_FOLDER = "toolkit"


@dataclass(frozen=True)
class SharedPlace:
    """Where an S3 environment's records live: read from the validated configuration (apply) or from the merged
    environment values alone (rollback, which starts without loading the schema)."""

    environment: str
    bucket: str
    state_key: str
    region: str
    endpoint_from_env: str | None = None
    encrypt: bool = True
    kms_key_id: str | None = None

    @property
    def prefix(self) -> str:
        """`<folder of the state key>/toolkit/`: e.g. `edu/prod/toolkit/` beside `edu/prod/terraform.tfstate`."""
        folder = posixpath.dirname(self.state_key)
        return f"{folder}/{SHARED_FOLDER}/" if folder else f"{SHARED_FOLDER}/"

    @cached_property
    def clients(self) -> ClientFactory:
        """One S3 client for all the place's records (checkpoints and journal: one client made, not one each), with
        its own call recorder: a rollback counts only the calls it makes on the infrastructure. A backend on an
        emulator (endpoint_from_env) whose variable is unset is refused: its records are never looked for in real
        AWS (a newcomer's `plan local` without an emulator asked for AWS credentials to read them there)."""
        endpoint = None
        if self.endpoint_from_env:
            endpoint = os.environ.get(self.endpoint_from_env, "").strip()
            if not endpoint:
                raise ConfigError(f"envs/{self.environment}.yaml: backend.endpoint_from_env names "
                                  f"{self.endpoint_from_env}, which is not set: export it (the emulator's URL), or "
                                  "for an emulator environment start one with `toolkit emulator up`; this "
                                  "environment's state and records are never looked for in real AWS")
            check_loopback(self.environment, f"backend.endpoint_from_env: {self.endpoint_from_env}", endpoint)
        return ClientFactory(region=self.region, endpoint_url=endpoint)

    def records(self, folder: str) -> S3Records:
        return S3Records(bucket=self.bucket, prefix=f"{self.prefix}{folder}/", clients=self.clients,
                         encrypt=self.encrypt, kms_key_id=self.kms_key_id)

    def folders(self) -> dict[str, list[str]]:
        """The names in each of the place's folders (checkpoints, journal), from one ListObjectsV2."""
        return S3Records(bucket=self.bucket, prefix=self.prefix, clients=self.clients).folders()


def shared_place(config: EnvironmentConfig) -> SharedPlace | None:
    """The place of a validated environment's records beside its S3 state; None for a local backend."""
    backend = config.settings.backend
    if backend.type != "s3":
        return None
    return SharedPlace(config.name, str(backend.bucket), state_key(config),
                       backend.region or config.settings.aws_region, backend.endpoint_from_env, backend.encrypt,
                       backend.kms_key_id)


def shared_place_from_values(environment: str, values: dict[str, Any], region: str) -> SharedPlace | None:
    """The same from the merged environment values (defaults + the environment's file), without the schema; the
    key follows toolkit.config.backend."""
    backend = values.get("backend")
    if not isinstance(backend, dict) or backend.get("type") != "s3" or not backend.get("bucket"):
        return None
    return SharedPlace(environment, str(backend["bucket"]), state_key_from_values(environment, values),
                       str(backend.get("region") or region), backend.get("endpoint_from_env"),
                       bool(backend.get("encrypt", True)), backend.get("kms_key_id"))


def local_checkpoint_store(project: Project, environment: str) -> CheckpointStore:
    return CheckpointStore(project.environment_data_dir(environment) / "checkpoints")


def local_journal(project: Project, environment: str) -> Journal:
    return Journal(LocalRecords(project.environment_data_dir(environment)))


def _place(config: EnvironmentConfig | SharedPlace | None) -> SharedPlace | None:
    return config if isinstance(config, SharedPlace) or config is None else shared_place(config)


def checkpoint_store_for(project: Project, config: EnvironmentConfig | SharedPlace | None,
                         environment: str | None = None) -> CheckpointStore:
    """The environment's checkpoints: beside the state for an S3 backend, else the project folder."""
    place = _place(config)
    if place is None:
        return local_checkpoint_store(project, environment or getattr(config, "name", ""))
    return CheckpointStore(place.records("checkpoints"))


def journal_for(project: Project, config: EnvironmentConfig | SharedPlace | None,
                environment: str | None = None) -> Journal:
    """The environment's rollback journal: beside the state for an S3 backend, else the project folder."""
    place = _place(config)
    if place is None:
        return local_journal(project, environment or getattr(config, "name", ""))
    return Journal(place.records("journal"))


def local_only(project: Project, place: EnvironmentConfig | SharedPlace | None,
               shared_ids: list[str] | None = None) -> str:
    """A hint naming the checkpoints this checkout keeps only locally for an S3 environment ("" when none)."""
    place = _place(place)
    if place is None:
        return ""
    name = place.environment
    shared = set(checkpoint_store_for(project, place).ids() if shared_ids is None else shared_ids)
    local = [item for item in local_checkpoint_store(project, name).ids() if item not in shared]
    if not local:
        return ""
    return (f"{len(local)} checkpoint(s) of {name} are only in this checkout "
            f"({project.environment_data_dir(name) / 'checkpoints'}), not beside the state: upload them with "
            f"`toolkit checkpoints {name} --upload-local`")


@dataclass
class UploadReport:
    destination: str
    uploaded: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    conflicting: list[str] = field(default_factory=list)   # same id, other content: the shared copy is kept
    journal_runs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)        # unreadable local records, with why: not uploaded


def upload_local(project: Project, config: EnvironmentConfig) -> UploadReport:
    """Copy this checkout's local checkpoints and journal runs into the shared store; run again, it copies nothing.

    A checkpoint already there is left alone (the shared copy may hold a later outcome)."""
    if shared_place(config) is None:
        raise UsageError(f"{config.name} uses a local backend: its checkpoints already live in "
                         f"{project.environment_data_dir(config.name) / 'checkpoints'}; nothing to upload")
    local, shared = local_checkpoint_store(project, config.name), checkpoint_store_for(project, config)
    report = UploadReport(shared.location)
    present = set(shared.ids())
    for checkpoint_id in local.ids():
        body = local.records.get(f"{checkpoint_id}.json") or b""
        if local.read(checkpoint_id) is None:  # an unreadable file is not spread; the others still are
            continue
        if checkpoint_id not in present:
            shared.records.put(f"{checkpoint_id}.json", body)
            report.uploaded.append(checkpoint_id)
        elif shared.records.get(f"{checkpoint_id}.json") == body:
            report.already.append(checkpoint_id)
        else:
            report.conflicting.append(checkpoint_id)
    shared_journal = journal_for(project, config)
    known_runs = set(shared_journal.run_ids())
    local_runs = local_journal(project, config.name)
    for run_id, entries in local_runs.by_run().items():
        if run_id not in known_runs:
            shared_journal.write_run(run_id, entries)
            report.journal_runs.append(run_id)
    report.skipped = local.skipped_lines() + local_runs.skipped_lines()
    return report
