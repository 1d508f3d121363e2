"""The history check reads only the runs made after its target checkpoint: a shared journal holds one object per
run, and reading years of them (one GET each) on every state step would slow a 3 a.m. rollback."""

from __future__ import annotations

from pathlib import Path

from toolkit.records.journal import Journal, JournalEntry

OLD, TARGET, NEW = ("20261201T000000.000000Z-00000001", "20261202T000000.000000Z-00000002",
                    "20261203T000000.000000Z-00000003")


class CountingRecords:
    """A shared (S3-like) record place in memory that counts its reads."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.reads: list[str] = []

    @property
    def location(self) -> str:
        return "s3://bucket/journal"

    def where(self, name: str) -> str:
        return f"{self.location}/{name}"

    def put(self, name: str, body: bytes) -> None:
        self.objects[name] = body

    def create(self, name: str, body: bytes) -> bool:
        if name in self.objects:
            return False
        self.objects[name] = body
        return True

    def get(self, name: str, limit: int = 16 << 20) -> bytes | None:
        self.reads.append(name)
        return self.objects.get(name)

    def names(self) -> list[str]:
        return sorted(self.objects)


def _entry(run_id: str) -> JournalEntry:
    return JournalEntry(time="t", run_id=run_id, environment="dev", who="a", event="run-start")


def test_a_shared_journal_reads_only_the_runs_after_the_record() -> None:
    records = CountingRecords()
    journal = Journal(records)  # type: ignore[arg-type]
    for run_id in (OLD, NEW, "not-an-id"):
        journal.write(_entry(run_id))
    records.reads.clear()
    assert [entry.run_id for entry in journal.read(after=TARGET)] == [NEW]
    assert records.reads == [f"{NEW}.jsonl"]
    assert {entry.run_id for entry in journal.read()} == {OLD, NEW}


def test_a_local_journal_keeps_the_runs_after_the_record(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for run_id in (OLD, NEW):
        journal.write(_entry(run_id))
    assert [entry.run_id for entry in journal.read(after=TARGET)] == [NEW]
