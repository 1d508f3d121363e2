"""The shared journal (one S3 object per run) costs one round trip per write: the run is the object's only
writer, so a write is one PutObject of the whole run, never a read first; an entry not held is written at once,
in order (fewer round trips, not fewer records: B7). The versioning check rides on the first write's answer, and a
rollback run's checkpoints are listed and read once."""

from __future__ import annotations

import pytest

from tests.rollback.conftest import REGION, direct, reset_moto
from toolkit.aws import ClientFactory
from toolkit.errors import ToolkitError
from toolkit.records.checkpoints import Checkpoint, CheckpointStore
from toolkit.records.journal import Journal, JournalEntry
from toolkit.records.store import S3Records

BUCKET = "journal-round-trips"


def _entry(run_id: str, number: int) -> JournalEntry:
    return JournalEntry(time=f"2026-12-07T02:00:0{number}Z", run_id=run_id, environment="prod", who="oncall",
                        event="action", step="ecs-task-definition", action="ecs:UpdateService", result="ok",
                        message=f"entry {number}")


@pytest.fixture
def records(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Records:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_moto(moto_endpoint)
    s3 = direct("s3", moto_endpoint)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return S3Records(bucket=BUCKET, prefix="edu/prod/toolkit/journal/",
                     clients=ClientFactory(region=REGION, endpoint_url=moto_endpoint))


def _messages(records: S3Records, run_id: str) -> list[str]:
    """The run as a fresh reader finds it (its own client: the writer's call count stays its own)."""
    reader = S3Records(bucket=records.bucket, prefix=records.prefix,
                       clients=ClientFactory(region=REGION, endpoint_url=records.clients.endpoint_url))
    return [entry.message for entry in Journal(reader).read(run_id)]


def test_each_entry_is_one_put_and_each_put_holds_the_whole_run(records: S3Records) -> None:
    journal = Journal(records)
    for number in range(5):
        journal.write(_entry("20261207T020000Z-abcd", number))
        # Written at once: a crash after any entry leaves every entry so far in the bucket.
        assert _messages(records, "20261207T020000Z-abcd") == [f"entry {item}" for item in range(number + 1)]
    operations = [call.operation for call in records.clients.recorder.calls]
    assert operations.count("PutObject") == 5
    assert "GetObject" not in operations
    # The first entry creates the object; S3's answer (its VersionId) shows the bucket is versioned: no extra call.
    assert operations.count("GetBucketVersioning") == 0


def test_a_run_written_before_is_appended_to_not_replaced(records: S3Records) -> None:
    Journal(records).write(_entry("20261207T020000Z-beef", 0))
    later = Journal(records)  # another process continues the run (its object exists)
    later.write(_entry("20261207T020000Z-beef", 1))
    later.write(_entry("20261207T020000Z-beef", 2))
    assert _messages(records, "20261207T020000Z-beef") == ["entry 0", "entry 1", "entry 2"]


@pytest.mark.parametrize("versioning", [None, "Suspended"])
def test_a_new_record_in_a_bucket_without_versioning_is_refused(moto_endpoint: str, versioning: str | None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_moto(moto_endpoint)
    s3 = direct("s3", moto_endpoint)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioning:
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": versioning})
    records = S3Records(bucket=BUCKET, prefix="edu/prod/toolkit/journal/",
                        clients=ClientFactory(region=REGION, endpoint_url=moto_endpoint))
    with pytest.raises(ToolkitError, match=f"^s3://{BUCKET}: bucket versioning is not enabled"):
        Journal(records).write(_entry("20261207T020000Z-abcd", 0))
    # A rewrite is checked before it is made (it would overwrite a record with no version kept).
    with pytest.raises(ToolkitError, match="bucket versioning is not enabled"):
        records.put("20261207T020000Z-abcd.jsonl", b"{}\n")
    assert [call.operation for call in records.clients.recorder.calls][-1] == "GetBucketVersioning"


def test_a_remembering_store_lists_and_reads_once_and_sees_its_own_writes(records: S3Records) -> None:
    store = CheckpointStore(S3Records(bucket=records.bucket, prefix="edu/prod/toolkit/checkpoints/",
                                      clients=records.clients))
    for number in range(3):
        store.save(Checkpoint(id=f"20261207T02000{number}Z-abcd", environment="prod", created_at="x",
                              created_by="y"))
    remembering = CheckpointStore(store.records).remember()
    before = len(records.clients.recorder.calls)
    for _ in range(3):
        assert [item.id for item in remembering.readable()] == [f"20261207T02000{n}Z-abcd" for n in range(3)]
        assert remembering.newest_state_change().id == "20261207T020002Z-abcd"
    reads = [call.operation for call in records.clients.recorder.calls[before:]]
    assert reads == ["ListObjectsV2", "GetObject", "GetObject", "GetObject"], reads
    remembering.save(Checkpoint(id="20261207T020009Z-abcd", environment="prod", created_at="x", created_by="y"))
    assert remembering.latest().id == "20261207T020009Z-abcd"  # its own write, without a new listing
    assert store.latest().id == "20261207T020009Z-abcd"  # and in the bucket for everyone else
