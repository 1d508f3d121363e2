"""The shared journal (one S3 object per run) costs one round trip per entry: the run is the object's only
writer, so an entry is one PutObject of the whole run, never a read first; every entry is still written at once,
in order (fewer round trips, not fewer records: B7)."""

from __future__ import annotations

import pytest

from tests.rollback.conftest import REGION, direct, reset_moto
from toolkit.aws import ClientFactory
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
    assert operations.count("GetBucketVersioning") == 1


def test_a_run_written_before_is_appended_to_not_replaced(records: S3Records) -> None:
    Journal(records).write(_entry("20261207T020000Z-beef", 0))
    later = Journal(records)  # another process continues the run (its object exists)
    later.write(_entry("20261207T020000Z-beef", 1))
    later.write(_entry("20261207T020000Z-beef", 2))
    assert _messages(records, "20261207T020000Z-beef") == ["entry 0", "entry 1", "entry 2"]
