"""500 small generated migrations on one pinned connection, never a reconnect per file (the speed itself is a
benchmark row, bench/: a wall-clock bound here would fail by chance on a loaded machine)."""

from __future__ import annotations

import time

from toolkit.db.connection import open_connection
from toolkit.db.runner import migrate_directory

from .conftest import history

COUNT = 500


def test_500_small_migrations(postgres_database, tmp_path) -> None:
    folder = tmp_path / "generated"
    folder.mkdir()
    for version in range(1, COUNT + 1):
        (folder / f"{version:04d}_step.sql").write_text(
            f"CREATE TABLE step_{version} (id int PRIMARY KEY, note text);\n"
            f"INSERT INTO step_{version} VALUES ({version}, 'migration {version}');\n")
    connections: list[object] = []

    def counting_factory(target):
        connections.append(target)
        return open_connection(target)

    started = time.monotonic()
    result = migrate_directory(postgres_database.dsn, folder, connection_factory=counting_factory)
    elapsed = time.monotonic() - started
    print(f"\n{COUNT} migrations applied in {elapsed:.2f}s ({elapsed / COUNT * 1000:.1f} ms each)")
    assert len(result.applied) == COUNT
    assert len(connections) == 1
    assert len(history(postgres_database)) == COUNT
    again = time.monotonic()
    assert migrate_directory(postgres_database.dsn, folder).applied == []
    print(f"re-run with nothing pending (validates {COUNT} checksums): {time.monotonic() - again:.2f}s")
