"""B6: `toolkit db migrate` of generated migrations into an empty database, against a psql shell loop.

Both sides start from a fresh database each repetition. The baseline is what a team writes without a
runner: one `psql -1 -f` per file (its own transaction) plus one `psql -c` for the history row. It
computes no checksum and takes no lock, so it does less than the toolkit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import Measurement, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

BASELINE_LOOP = r"""
set -euo pipefail
psql -q -X -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS schema_history (version integer PRIMARY KEY,
  description text NOT NULL, script text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
for file in "$MIGRATIONS"/*.sql; do
  script=$(basename "$file")
  version=${script%%_*}
  description=${script#*_}; description=${description%.sql}
  psql -q -X -1 -v ON_ERROR_STOP=1 -f "$file"
  psql -q -X -v ON_ERROR_STOP=1 -c "INSERT INTO schema_history (version, description, script)
    VALUES ($((10#$version)), '$description', '$script')"
done
"""


def write_migrations(folder: Path, count: int) -> None:
    """`count` small migrations NNN_create_table_N.sql: a CREATE TABLE and an INSERT each."""
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(count)))
    for number in range(1, count + 1):
        table = f"bench_table_{number}"
        (folder / f"{number:0{width}d}_create_{table}.sql").write_text(
            f"-- Migration {number}: a table and its first row.\n"
            f"CREATE TABLE {table} (id bigserial PRIMARY KEY, name text NOT NULL, "
            f"created_at timestamptz NOT NULL DEFAULT now());\n"
            f"INSERT INTO {table} (name) VALUES ('row {number}');\n",
            encoding="utf-8")


@contextlib.contextmanager
def postgres_server() -> Iterator[Any]:
    """The test suite's PostgreSQL helper (initdb on a free port; as the postgres user when root)."""
    try:
        from tests.support.postgres import PostgresServer, _server_account, find_postgres_bin_dir, free_port
    except ImportError as error:
        raise NotMeasured(f"tests/support/postgres.py cannot be imported: {error}") from None
    if shutil.which("psql") is None:
        raise NotMeasured("psql is not on PATH (the baseline needs it)")
    try:
        bin_dir = find_postgres_bin_dir()
    except RuntimeError as error:
        raise NotMeasured(str(error)) from None
    # Not under work_dir: when root, the server runs as `postgres`, which cannot enter a private temp folder.
    base_dir = Path(tempfile.mkdtemp(prefix="toolkit-bench-pg-"))
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=free_port(), run_as=_server_account())
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        with contextlib.suppress(RuntimeError):
            server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


def run(settings: Settings) -> list[Row]:
    toolkit = venv_executable("toolkit")
    migrations = settings.work_dir / "migrations"
    write_migrations(migrations, settings.migrations)
    # Outside any project: `--dsn` and `--dir` make `toolkit db` standalone, with no environment file.
    outside_project = settings.work_dir / "outside-project"
    outside_project.mkdir(exist_ok=True)
    with postgres_server() as server:
        current: dict[str, str] = {}

        def fresh_database(_: str) -> None:
            if "name" in current:
                server.drop_database(current["name"])
            current["name"] = server.create_database("bench")

        environment = {key: value for key, value in os.environ.items() if key != "TOOLKIT_PROJECT_DIR"}

        def toolkit_run() -> Measurement:
            measurement = run_measured([toolkit, "db", "migrate", "bench", "--dsn", server.dsn(current["name"]),
                                        "--dir", str(migrations), "--json"], env=environment, cwd=outside_project)
            _expect_history(server, current["name"], "toolkit_schema_history", settings.migrations)
            return measurement

        def baseline_run() -> Measurement:
            variables = dict(environment, PGHOST=server.host, PGPORT=str(server.port), PGUSER=server.superuser,
                             PGPASSWORD=server.password, PGDATABASE=current["name"], MIGRATIONS=str(migrations))
            measurement = run_measured(["bash", "-c", BASELINE_LOOP], env=variables, cwd=outside_project)
            _expect_history(server, current["name"], "schema_history", settings.migrations)
            return measurement

        samples = interleaved({"toolkit": toolkit_run, "baseline": baseline_run}, settings.migration_repetitions,
                              prepare=fresh_database)
        server.drop_database(current["name"])
    return [Row(id="B6", what=f"`toolkit db migrate` of {settings.migrations} generated migrations, empty database",
                baseline="bash loop: `psql -1 -f FILE` + history `INSERT` per file", goal="≤ 0.5×",
                toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=0.5,
                repetitions=settings.migration_repetitions,
                notes=["fresh database per run; both sides checked: one history row per file",
                       f"toolkit peak RSS {samples['toolkit'].peak_rss_max_kib / 1024:.0f} MiB"])]


def _expect_history(server: Any, database: str, table: str, expected: int) -> None:
    connection = server.connect(database)
    try:
        found = int(connection.run(f"SELECT count(*) FROM {table}")[0][0])
    finally:
        connection.close()
    if found != expected:
        raise RuntimeError(f"{table} has {found} rows after the run, expected {expected}")
