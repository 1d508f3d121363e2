"""Rollback knows the database schema: a checkpoint records the applied migration version, and restoring an
older configuration (the long tier's `full`, the short tier's state restore) names the migrations ahead."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rollback.conftest import ENVIRONMENT, World, invoke
from toolkit.db.connection import parse_dsn
from toolkit.db.files import load_migrations
from toolkit.db.runner import MigrationRunner
from toolkit.db.schema_version import version_for_checkpoint

FILES = {
    "001_alunos.sql": "CREATE TABLE alunos (id bigint PRIMARY KEY);",
    "002_email.sql": "ALTER TABLE alunos ADD COLUMN email text;",
    "002_email.down.sql": "ALTER TABLE alunos DROP COLUMN email;",
    "003_nome.sql": "ALTER TABLE alunos ADD COLUMN nome text;",
}


@pytest.fixture
def migrated(world: World, postgres_database, monkeypatch) -> Path:
    """The sandbox's db/migrations holds FILES, all applied to a real database reachable via TOOLKIT_DATABASE_URL;
    the checkpoint says its apply ran at version 1."""
    folder = world.project.root / "db" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    MigrationRunner(parse_dsn(postgres_database.dsn), load_migrations(folder)).migrate()
    monkeypatch.setenv("TOOLKIT_DATABASE_URL", postgres_database.dsn)
    checkpoint = world.store.load(world.checkpoint_id)
    checkpoint.migration_version = 1
    world.store.save(checkpoint)
    return folder


SECTION = ("Database schema ahead of the restored configuration", "002_email.sql: down migration 002_email.down.sql "
           "exists", "003_nome.sql: no down migration")


def test_the_long_tier_warns_when_the_database_is_ahead(world: World, cli, migrated) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "full")
    assert result.exit_code == 0, result.output
    for text in SECTION:
        assert text in result.output, result.output
    assert "(checkpoint recorded version 1, the database is at 3)" in result.output
    assert "003_nome.sql cannot be undone by `toolkit db rollback`" in result.output


def test_the_state_restore_warns_too(world: World, cli, migrated) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state")
    for text in SECTION:
        assert text in result.output, result.output


def test_no_warning_when_the_schema_matches(world: World, cli, migrated) -> None:
    checkpoint = world.store.load(world.checkpoint_id)
    checkpoint.migration_version = 3
    world.store.save(checkpoint)
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "full")
    assert result.exit_code == 0, result.output
    assert "Database schema ahead" not in result.output


def test_a_checkpoint_records_the_version_when_readable(world: World, migrated, monkeypatch,
                                                        postgres_database) -> None:
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(world.project.root))
    monkeypatch.chdir(world.project.root)
    assert version_for_checkpoint(ENVIRONMENT) == (3, None)
    monkeypatch.setenv("TOOLKIT_DATABASE_URL", "postgresql://u:p@127.0.0.1:1/none")
    version, why = version_for_checkpoint(ENVIRONMENT)
    assert version is None and why.startswith("database schema version not recorded: cannot connect to")
    assert ":p@" not in why
    monkeypatch.delenv("TOOLKIT_DATABASE_URL")
    assert version_for_checkpoint(ENVIRONMENT) == (None, None)
