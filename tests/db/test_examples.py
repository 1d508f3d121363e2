"""examples/migrations: tenant isolation by RLS, the audit trigger, LGPD anonymisation, partitions."""

from __future__ import annotations

import pg8000.native
import pytest

from toolkit.db.runner import State

from .conftest import EXAMPLES, history, make_runner


@pytest.fixture
def escola_database(postgres_database):
    """The example schema, migrated, with two tenants, a school and two students each (as the owner)."""
    result = make_runner(postgres_database, EXAMPLES).migrate()
    assert [item.version for item in result.applied] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    postgres_database.query("""
        INSERT INTO app.empresas (nome, cnpj) VALUES ('Rede Alfa', '11111111000101'), ('Rede Beta', '22222222000102');
        INSERT INTO app.escolas (empresa_id, nome) VALUES (1, 'Alfa Centro'), (2, 'Beta Norte');
        INSERT INTO app.alunos (empresa_id, escola_id, nome, cpf, email, data_nascimento) VALUES
            (1, 1, 'Ana Souza', '12345678901', 'ana@example.com', '2012-05-17'),
            (1, 1, 'Bruno Lima', '23456789012', 'bruno@example.com', '2013-01-02'),
            (2, 2, 'Carla Dias', '34567890123', 'carla@example.com', '2012-09-30'),
            (2, 2, 'Davi Rocha', '45678901234', 'davi@example.com', '2011-11-11');
    """)
    return postgres_database


def tenant_session(database, empresa_id: int | None):
    connection = database.connect()
    connection.run("SET ROLE app_tenant")
    if empresa_id is not None:
        connection.run(f"SET app.current_empresa_id = '{empresa_id}'")
    return connection


def test_example_history_and_skip(escola_database) -> None:
    rows = history(escola_database)
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    entries = {entry.version: entry for entry in make_runner(escola_database, EXAMPLES).status().entries}
    assert (entries[9].state, entries[9].note) == (State.skipped, "duplicates 008")
    assert escola_database.query("SELECT count(*) FROM app.disciplinas_bncc") == [[9]]


def test_tenant_sees_and_writes_only_its_own_rows(escola_database) -> None:
    tenant = tenant_session(escola_database, 1)
    try:
        assert tenant.run("SELECT current_user, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user") \
            == [["app_tenant", False, False]]
        assert tenant.run("SELECT nome FROM app.alunos ORDER BY nome") == [["Ana Souza"], ["Bruno Lima"]]
        assert tenant.run("SELECT nome FROM app.escolas") == [["Alfa Centro"]]
        assert tenant.run("SELECT nome FROM app.empresas") == [["Rede Alfa"]]
        # Another tenant's rows are invisible to UPDATE/DELETE too.
        tenant.run("UPDATE app.alunos SET nome = 'x' WHERE empresa_id = 2")
        assert tenant.row_count == 0
        with pytest.raises(pg8000.native.DatabaseError) as caught:
            tenant.run("INSERT INTO app.alunos (empresa_id, escola_id, nome) VALUES (2, 2, 'Intrusa')")
        assert caught.value.args[0]["C"] == "42501"
        assert 'row-level security policy for table "alunos"' in caught.value.args[0]["M"]
    finally:
        tenant.close()
    other = tenant_session(escola_database, 2)
    try:
        assert other.run("SELECT nome FROM app.alunos ORDER BY nome") == [["Carla Dias"], ["Davi Rocha"]]
    finally:
        other.close()


def test_without_a_tenant_setting_nothing_is_visible(escola_database) -> None:
    tenant = tenant_session(escola_database, None)
    try:
        assert tenant.run("SELECT count(*) FROM app.alunos") == [[0]]
    finally:
        tenant.close()


def test_tenant_cannot_read_or_write_the_audit_log_directly(escola_database) -> None:
    tenant = tenant_session(escola_database, 1)
    try:
        with pytest.raises(pg8000.native.DatabaseError) as caught:
            tenant.run("SELECT * FROM audit.log")
        assert caught.value.args[0]["C"] == "42501"
    finally:
        tenant.close()


def test_audit_rows_are_written_for_owner_and_tenant_changes(escola_database) -> None:
    assert escola_database.query("SELECT tabela, operacao, count(*) FROM audit.log GROUP BY 1, 2 ORDER BY 1") == [
        ["app.alunos", "INSERT", 4], ["app.escolas", "INSERT", 2]]
    tenant = tenant_session(escola_database, 1)
    try:
        tenant.run("UPDATE app.alunos SET email = 'ana.souza@example.com' WHERE nome = 'Ana Souza'")
        tenant.run("DELETE FROM app.alunos WHERE nome = 'Bruno Lima'")
    finally:
        tenant.close()
    rows = escola_database.query(
        "SELECT operacao, empresa_id, usuario, antes ->> 'email', depois ->> 'email' FROM audit.log "
        "WHERE operacao <> 'INSERT' ORDER BY id")
    assert rows == [
        ["UPDATE", 1, "postgres as app_tenant", "ana@example.com", "ana.souza@example.com"],
        ["DELETE", 1, "postgres as app_tenant", "bruno@example.com", None],
    ]


def test_lgpd_anonymisation_respects_tenants_and_is_audited(escola_database) -> None:
    carla = escola_database.query("SELECT id FROM app.alunos WHERE nome = 'Carla Dias'")[0][0]
    ana = escola_database.query("SELECT id FROM app.alunos WHERE nome = 'Ana Souza'")[0][0]
    tenant = tenant_session(escola_database, 1)
    try:
        assert tenant.run("SELECT app.anonimizar_aluno(:id)", id=carla) == [[False]]  # not its student
        assert tenant.run("SELECT app.anonimizar_aluno(:id)", id=ana) == [[True]]
        assert tenant.run("SELECT app.anonimizar_aluno(:id)", id=ana) == [[False]]  # already done
    finally:
        tenant.close()
    assert escola_database.query(
        "SELECT nome, cpf, email, data_nascimento::text, anonimizado_em IS NOT NULL FROM app.alunos WHERE id = :id",
        id=ana) == [[f"Aluno anonimizado {ana}", None, None, "2012-01-01", True]]
    assert escola_database.query("SELECT nome FROM app.alunos WHERE id = :id", id=carla) == [["Carla Dias"]]
    assert escola_database.query(
        "SELECT count(*) FROM audit.log WHERE operacao = 'UPDATE' AND (antes ->> 'id')::bigint = :id", id=ana) == [[1]]


def test_attendance_is_partitioned_and_isolated(escola_database) -> None:
    tenant = tenant_session(escola_database, 1)
    try:
        tenant.run("INSERT INTO app.frequencias VALUES (1, 1, '2026-02-10', true), (1, 1, '2026-03-02', false), "
                   "(1, 2, '2027-01-05', true)")
        with pytest.raises(pg8000.native.DatabaseError):
            tenant.run("INSERT INTO app.frequencias VALUES (2, 3, '2026-02-10', true)")
    finally:
        tenant.close()
    assert escola_database.query(
        "SELECT tableoid::regclass::text, count(*) FROM app.frequencias GROUP BY 1 ORDER BY 1") == [
        ["app.frequencias_2026_02", 1], ["app.frequencias_2026_03", 1], ["app.frequencias_padrao", 1]]
    assert escola_database.query("SELECT relkind FROM pg_class WHERE oid = 'app.frequencias'::regclass") == [["p"]]


def test_pg_stat_statements_is_created_without_preloading(escola_database) -> None:
    assert escola_database.query("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") == [[1]]
    with pytest.raises(pg8000.native.DatabaseError) as caught:
        escola_database.query("SELECT count(*) FROM pg_stat_statements")
    assert "shared_preload_libraries" in caught.value.args[0]["M"]


def test_concurrent_index_is_valid(escola_database) -> None:
    assert escola_database.query(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.alunos_empresa_nome_idx'::regclass") == [[True]]


def test_example_rolls_back_to_004_and_forward_again(escola_database) -> None:
    runner = make_runner(escola_database, EXAMPLES)
    result = runner.rollback(4)
    assert [item.version for item in result.applied] == [11, 10, 8, 7, 6, 5]
    assert [row[0] for row in history(escola_database)] == [1, 2, 3, 4]
    assert [item.version for item in runner.migrate().applied] == [5, 6, 7, 8, 10, 11]


def test_application_login_is_its_own_tenant_member(escola_database) -> None:
    """Issue 13, defect 5: the app connects as app_user (IAM authentication), not as the master user."""
    assert escola_database.query(
        "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = 'app_user'"
    ) == [[True, False, False, False]]
    assert escola_database.query("SELECT pg_has_role('app_user', 'app_tenant', 'USAGE')") == [[True]]
    connection = escola_database.connect()
    try:
        connection.run("SET ROLE app_user")
        connection.run("SET app.current_empresa_id = '2'")
        assert connection.run("SELECT nome FROM app.alunos ORDER BY nome") == [["Carla Dias"], ["Davi Rocha"]]
    finally:
        connection.close()


def test_application_login_gets_rds_iam_where_it_exists(postgres_database) -> None:
    """On RDS and Aurora the rds_iam role exists: app_user is granted it (IAM is then its only way in)."""
    postgres_database.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') "
                            "THEN CREATE ROLE rds_iam NOLOGIN; END IF; END $$")
    try:
        make_runner(postgres_database, EXAMPLES).migrate()
        assert postgres_database.query("SELECT pg_has_role('app_user', 'rds_iam', 'MEMBER')") == [[True]]
    finally:
        postgres_database.query("DROP ROLE rds_iam")
