"""Helpers for the migration tests: migration folders in tmp_path, runners, the moto environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresDatabase
from toolkit.db.connection import parse_dsn
from toolkit.db.files import load_migrations
from toolkit.db.runner import MigrationRunner, RunnerOptions

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples" / "migrations"


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """make_folder({"001_a.sql": "…"}) writes the files into a fresh folder and returns it."""
    counter = iter(range(1000))

    def make(files: dict[str, str], name: str | None = None) -> Path:
        folder = tmp_path / (name or f"migrations{next(counter)}")
        folder.mkdir(exist_ok=True)
        for file_name, text in files.items():
            (folder / file_name).write_text(text, encoding="utf-8")
        return folder

    return make


def make_runner(database: PostgresDatabase, folder: Path, **options: object) -> MigrationRunner:
    return MigrationRunner(parse_dsn(database.dsn), load_migrations(folder), RunnerOptions(**options))


def history(database: PostgresDatabase, table: str = "public.toolkit_schema_history") -> list[list[object]]:
    """(version, script, kind, success) rows in version order; [] when the table does not exist."""
    if not database.query("SELECT to_regclass(:name) IS NOT NULL", name=table)[0][0]:
        return []
    return database.query(f"SELECT version, script, kind, success FROM {table} ORDER BY version")


def table_exists(database: PostgresDatabase, name: str) -> bool:
    return bool(database.query("SELECT to_regclass(:name) IS NOT NULL", name=name)[0][0])


def advisory_locks(database: PostgresDatabase) -> int:
    return int(database.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")[0][0])


@pytest.fixture
def aws_environment(moto_environment, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared moto server (tests/support/moto_server.py) for boto3 clients made by the code under test.

    AWS_REGION is set too: the Lambda runtime sets it and the handler reads it.
    """
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    return moto_environment.endpoint_url


# Every character that ends a part of a URL, and '%': what a password typed without percent-encoding holds.
AWKWARD_PASSWORD = "Pa/ss?wo#rd@x%zz"


@pytest.fixture
def awkward_role(postgres_database: PostgresDatabase) -> Iterator[str]:
    """A login role whose password is AWKWARD_PASSWORD and that owns the test database; returns its name."""
    role = f"awkward_{postgres_database.name}"
    postgres_database.query(f"CREATE ROLE {role} LOGIN PASSWORD '{AWKWARD_PASSWORD}'")
    postgres_database.query(f'ALTER DATABASE "{postgres_database.name}" OWNER TO {role}')
    yield role
    postgres_database.query(f'ALTER DATABASE "{postgres_database.name}" OWNER TO postgres')
    postgres_database.query(f"REASSIGN OWNED BY {role} TO postgres")
    postgres_database.query(f"DROP OWNED BY {role}")
    postgres_database.query(f"DROP ROLE {role}")


def assert_no_password_piece(text: str, password: str = AWKWARD_PASSWORD) -> None:
    """No run of 4+ characters of the password appears (so no readable piece of it either)."""
    pieces = {password[start:start + 4] for start in range(len(password) - 3)}
    leaked = sorted(piece for piece in pieces if piece in text)
    assert not leaked, f"pieces of the password {leaked} in: {text}"
