"""`toolkit db lint`: squawk's rules (the real binary from squawk-cli) and the runner's own, each rule with a
failing and a passing case, waivers, bad input, and SQL written to fool the splitter or the waivers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.db.lint import LintSettings, lint_directory
from toolkit.db.lint.squawk import SQUAWK_RULES, SquawkMissing, find_squawk
from toolkit.errors import MigrationError

from .conftest import EXAMPLES, REPOSITORY

cli = CliRunner()


def lint(make_folder, files: dict[str, str], **settings: object):
    return lint_directory(make_folder(files), LintSettings(**settings))


def rules_at(report) -> list[tuple[str, str]]:
    """(file:line, rule) of each active finding."""
    return [(finding.where, finding.rule) for finding in report.findings]


# -- squawk's rules ------------------------------------------------------------------------------------


def test_a_squawk_rule_fails_and_its_safe_pattern_passes(make_folder) -> None:
    blocking = lint(make_folder, {"001_idx.sql": "-- index\nCREATE INDEX alunos_nome ON alunos (nome);"})
    assert rules_at(blocking) == [("001_idx.sql:2", "require-concurrent-index-creation")]
    finding = blocking.findings[0]
    assert finding.source == "squawk" and "blocked" in finding.message
    assert "concurrently" in finding.safe_pattern.lower()
    safe = lint(make_folder, {"001_idx.sql": "-- toolkit:no-transaction\n"
                                             "CREATE INDEX CONCURRENTLY IF NOT EXISTS alunos_nome ON alunos (nome);"})
    assert safe.ok, rules_at(safe)


def test_blocking_alter_table_forms_are_found(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "ALTER TABLE alunos ALTER COLUMN nome TYPE varchar(300);\n"
        "ALTER TABLE alunos ADD CONSTRAINT fk FOREIGN KEY (escola_id) REFERENCES escolas (id);\n"
        "ALTER TABLE alunos RENAME COLUMN nome TO nome_completo;\n")})
    found = set(rules_at(report))
    assert ("001_x.sql:1", "changing-column-type") in found
    assert ("001_x.sql:2", "constraint-missing-not-valid") in found
    assert ("001_x.sql:3", "renaming-column") in found
    # The safe pattern: NOT VALID in one migration, VALIDATE (no write lock) in the next one.
    safe = lint(make_folder, {
        "001_x.sql": "ALTER TABLE alunos ADD CONSTRAINT fk FOREIGN KEY (escola_id) REFERENCES escolas (id) NOT VALID;",
        "002_x.sql": "ALTER TABLE alunos VALIDATE CONSTRAINT fk;"})
    assert safe.ok, rules_at(safe)


def test_a_statement_squawk_cannot_parse_is_a_finding_with_its_line(make_folder) -> None:
    report = lint(make_folder, {"001_ok.sql": "SELECT 1;", "002_bad.sql": "SELECT 1;\n\nCREATE TABLE x (;\n"})
    assert rules_at(report) == [("002_bad.sql:3", "syntax-error")]
    assert "cannot parse" in report.findings[0].message


def test_a_file_the_runner_refuses_is_a_finding_not_a_crash(make_folder) -> None:
    report = lint(make_folder, {"001_ok.sql": "SELECT 1;", "002_open.sql": "SELECT 1;\nSELECT 'never closed;\n",
                                "003_ok.sql": "CREATE INDEX i ON t (a);"})
    assert ("002_open.sql:2", "invalid-migration") in rules_at(report)
    # The other files are still linted.
    assert ("003_ok.sql:1", "require-concurrent-index-creation") in rules_at(report)


def test_every_listed_squawk_rule_is_one_squawk_knows() -> None:
    """The waiver check's list of squawk's rules matches the pinned binary (an upgrade that renames one fails)."""
    completed = subprocess.run([find_squawk(), f"--exclude={','.join(sorted(SQUAWK_RULES))}", "--reporter", "json",
                                "--stdin-filepath", "x.sql"], input=b"SELECT 1;", capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr
    wrong = subprocess.run([find_squawk(), "--exclude=not-a-squawk-rule", "--stdin-filepath", "x.sql"],
                           input=b"", capture_output=True, check=False)
    assert wrong.returncode != 0


def test_a_missing_squawk_binary_is_a_set_up_error(make_folder, monkeypatch) -> None:
    monkeypatch.setenv("TOOLKIT_SQUAWK", "/nonexistent/squawk")
    with pytest.raises(SquawkMissing) as caught:
        lint(make_folder, {"001_a.sql": "SELECT 1;"})
    assert "TOOLKIT_SQUAWK=/nonexistent/squawk is not an executable" in str(caught.value)
    assert "squawk-cli==" in str(caught.value)
    result = cli.invoke(app, ["db", "lint", str(EXAMPLES)])
    assert result.exit_code == 1 and "cannot lint migrations" in result.output


# -- the runner's own rules ----------------------------------------------------------------------------


def test_no_transaction_file_mixing_statements_that_need_a_transaction(make_folder) -> None:
    mixed = lint(make_folder, {"001_x.sql": (
        "-- toolkit:no-transaction\n"
        "ALTER TABLE alunos ADD COLUMN IF NOT EXISTS apelido text;\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS alunos_apelido ON alunos (apelido);\n")})
    assert rules_at(mixed) == [("001_x.sql:2", "no-transaction-mixed")]
    assert "stays committed" in mixed.findings[0].message
    alone = lint(make_folder, {"001_x.sql": (
        "-- toolkit:no-transaction\nSET statement_timeout = '1h';\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS alunos_apelido ON alunos (apelido);\n"
        "DROP INDEX CONCURRENTLY IF EXISTS alunos_nome_antigo;\n")})
    assert alone.ok, rules_at(alone)


def test_concurrent_index_inside_a_transaction(make_folder) -> None:
    inside = lint(make_folder, {"001_x.sql": "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON alunos (nome);"})
    assert rules_at(inside) == [("001_x.sql:1", "concurrently-in-transaction")]
    own_begin = lint(make_folder, {"001_x.sql": (
        "-- toolkit:no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON alunos (nome);\nCOMMIT;\n")})
    assert rules_at(own_begin) == [("001_x.sql:3", "concurrently-in-transaction")]
    outside = lint(make_folder, {"001_x.sql": "-- toolkit:no-transaction\n"
                                              "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON alunos (nome);"})
    assert outside.ok, rules_at(outside)


def test_strong_lock_without_lock_timeout(make_folder) -> None:
    files = {"001_x.sql": "ALTER TABLE alunos ADD COLUMN apelido text;"}
    off = lint(make_folder, files, lock_timeout_ms=0)
    assert rules_at(off) == [("001_x.sql:1", "lock-timeout-missing")]
    assert "statement_lock_timeout_ms = 0" in off.findings[0].message
    # The runner's default (5 s) covers it; so does the file's own directive or a SET before the statement.
    assert lint(make_folder, files).ok
    assert lint(make_folder, {"001_x.sql": "-- toolkit:lock-timeout 3s\nALTER TABLE alunos ADD COLUMN a text;"},
                lock_timeout_ms=0).ok
    assert lint(make_folder, {"001_x.sql": "SET LOCAL lock_timeout = '2s';\nALTER TABLE alunos ADD COLUMN a text;"},
                lock_timeout_ms=0).ok
    # Switched off in the file: found even though the environment sets one.
    file_off = lint(make_folder, {"001_x.sql": "-- toolkit:lock-timeout 0\nDROP INDEX alunos_nome;"})
    assert ("001_x.sql:2", "lock-timeout-missing") in rules_at(file_off)
    set_off = lint(make_folder, {"001_x.sql": "SET LOCAL lock_timeout = 0;\nTRUNCATE alunos_tmp;"})
    assert ("001_x.sql:2", "lock-timeout-missing") in rules_at(set_off)


@pytest.mark.parametrize(("sql", "what"), [
    ("DROP TABLE IF EXISTS alunos_antigos;", "DROP TABLE"),
    ("DROP SCHEMA legado CASCADE;", "DROP SCHEMA"),
    ("TRUNCATE alunos;", "TRUNCATE"),
    ("ALTER TABLE alunos DROP COLUMN cpf;", "DROP COLUMN cpf"),
    ("ALTER TABLE alunos ALTER COLUMN nome DROP DEFAULT, DROP email;", "DROP COLUMN email"),
    ("DELETE FROM alunos;", "DELETE without WHERE"),
    ("UPDATE alunos SET email = NULL;", "UPDATE without WHERE"),
    ("UPDATE alunos a SET email = (SELECT e FROM t WHERE t.id = a.id);", "UPDATE without WHERE"),
    ("WITH velhos AS (DELETE FROM alunos RETURNING id) SELECT count(*) FROM velhos;", "DELETE without WHERE"),
    ("DELETE FROM alunos WHERE true;", "DELETE without WHERE"),
    ("DO $$ BEGIN DELETE FROM alunos; END $$;", "DELETE without WHERE (every row) inside a DO block"),
    ("DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'alunos'; END $$;", "DROP TABLE in dynamic SQL inside a DO block"),
    ("DROP TYPE situacao CASCADE;", "with CASCADE also drops"),
])
def test_destructive_statements_are_data_at_risk(make_folder, sql: str, what: str) -> None:
    report = lint(make_folder, {"001_x.sql": sql})
    risky = [finding for finding in report.findings if finding.rule == "data-at-risk"]
    assert risky and all(finding.data_at_risk for finding in risky), rules_at(report)
    assert any(what in finding.message for finding in risky), [finding.message for finding in risky]
    assert report.data_at_risk


@pytest.mark.parametrize("sql", [
    "DELETE FROM alunos WHERE anonimizado_em < now() - interval '5 years';",
    "UPDATE alunos SET email = lower(email) WHERE email <> lower(email);",
    "ALTER TABLE alunos DROP CONSTRAINT alunos_cpf_check;",
    "ALTER TABLE alunos ALTER COLUMN email DROP NOT NULL;",
    "ALTER TABLE alunos ADD CONSTRAINT fk FOREIGN KEY (e) REFERENCES e (id) ON DELETE CASCADE ON UPDATE SET NULL "
    "NOT VALID;",
    "GRANT SELECT, UPDATE, DELETE ON alunos TO app_tenant;",
    "CREATE FUNCTION limpar() RETURNS void LANGUAGE sql AS $$ DELETE FROM alunos; DROP TABLE x; $$;",
    "SELECT 'DROP TABLE alunos; DELETE FROM alunos';",
    "-- DROP TABLE alunos;\nSELECT 1;",
    "/* TRUNCATE alunos; */ SELECT 1;",
    "CREATE TABLE \"DROP TABLE x\" (id bigint);",
])
def test_what_only_looks_destructive_is_not(make_folder, sql: str) -> None:
    report = lint(make_folder, {"001_x.sql": sql})
    assert not [finding for finding in report.findings if finding.rule == "data-at-risk"], rules_at(report)


# -- waivers -------------------------------------------------------------------------------------------


def test_a_reasoned_waiver_waives_one_statement_only(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "-- toolkit:allow data-at-risk because the archive job copied it to S3 (ticket 42)\n"
        "DROP TABLE alunos_2019;\n"
        "DROP TABLE alunos_2020;\n")})
    assert rules_at(report) == [("001_x.sql:3", "ban-drop-table"), ("001_x.sql:3", "data-at-risk")]
    assert {(finding.where, finding.rule) for finding in report.waived} == {
        ("001_x.sql:2", "ban-drop-table"), ("001_x.sql:2", "data-at-risk")}
    assert report.waived[0].waived_because == "the archive job copied it to S3 (ticket 42)"


def test_a_waiver_trailing_a_statement_covers_that_statement(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "TRUNCATE alunos_tmp; -- toolkit:allow data-at-risk because a scratch table, refilled nightly\n"
        "SELECT 1;\n")})
    assert report.ok, rules_at(report)


def test_a_waiver_without_a_reason_is_itself_a_finding(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": "-- toolkit:allow data-at-risk\nTRUNCATE alunos_tmp;\n"})
    assert ("001_x.sql:1", "waiver-without-reason") in rules_at(report)
    assert ("001_x.sql:2", "data-at-risk") in rules_at(report)  # and it waived nothing
    one_word = lint(make_folder, {"001_x.sql": "-- toolkit:allow data-at-risk because ok\nTRUNCATE alunos_tmp;\n"})
    assert ("001_x.sql:1", "waiver-without-reason") in rules_at(one_word)


def test_a_waiver_naming_an_unknown_rule_is_refused(make_folder) -> None:
    folder = make_folder({"001_x.sql": "-- toolkit:allow data-at-rsik because typo\nTRUNCATE t;\n"})
    with pytest.raises(MigrationError) as caught:
        lint_directory(folder)
    assert str(caught.value) == (f"{folder}/001_x.sql, line 1: waiver for unknown rule 'data-at-rsik' "
                                 "(did you mean data-at-risk?)")
    unwaivable = make_folder({"001_x.sql": "-- toolkit:allow syntax-error because squawk is wrong\nSELECT 1;\n"})
    with pytest.raises(MigrationError, match="'syntax-error' cannot be waived"):
        lint_directory(unwaivable)


def test_a_waiver_that_covers_nothing_is_a_finding(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": "-- toolkit:allow data-at-risk because it was dropped long ago\n"
                                             "SELECT 1;\n"})
    assert rules_at(report) == [("001_x.sql:1", "unused-waiver")]


def test_a_waiver_inside_a_string_or_a_function_body_is_not_a_waiver(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "SELECT '\n-- toolkit:allow data-at-risk because hidden in a string\n';\n"
        "SELECT $body$\n-- toolkit:allow data-at-risk because hidden in a dollar quote\n$body$;\n"
        "SELECT E'\\' -- toolkit:allow data-at-risk because after an escaped quote';\n"
        "TRUNCATE alunos;\n")})
    assert rules_at(report) == [("001_x.sql:8", "data-at-risk")]


def test_squawk_ignore_comments_need_a_reason_too(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": "-- squawk-ignore-file\nCREATE INDEX i ON t (a);\n"})
    assert ("001_x.sql:1", "bare-squawk-ignore") in rules_at(report)


# -- the folders of this repository, the CLI, big files ------------------------------------------------


def test_the_example_and_default_folders_lint_clean_with_reasoned_waivers() -> None:
    examples = lint_directory(EXAMPLES)
    assert examples.ok, rules_at(examples)
    assert examples.waived and all(len(finding.waived_because.split()) >= 5 for finding in examples.waived)
    assert lint_directory(REPOSITORY / "db" / "migrations").ok


def test_cli_exit_codes_json_and_only(make_folder) -> None:
    folder = make_folder({"001_a.sql": "SELECT 1;", "002_b.sql": "TRUNCATE alunos;", "002_b.down.sql": "SELECT 1;"})
    result = cli.invoke(app, ["db", "lint", str(folder)])
    assert result.exit_code == 1
    assert "002_b.sql:1: data-at-risk (toolkit) [data at risk]: TRUNCATE" in result.output
    assert "safe pattern: back the data up" in result.output
    assert "Lint: 2 file(s), 1 finding(s), 1 with data at risk, 0 waived" in result.output
    clean = cli.invoke(app, ["db", "lint", str(folder), "--only", "001_a.sql", "--format", "json"])
    assert clean.exit_code == 0, clean.output
    data = json.loads(clean.output)
    assert (data["ok"], data["files"], data["findings"]) == (True, ["001_a.sql"], [])
    missing = cli.invoke(app, ["db", "lint", str(folder), "--only", "009_nope.sql"])
    assert missing.exit_code != 0 and "not up migrations of" in missing.output
    a_file = cli.invoke(app, ["db", "lint", str(folder / "001_a.sql")])
    assert a_file.exit_code != 0 and "is a file, not a folder" in a_file.output


def test_a_big_data_migration_lints_without_crashing(make_folder) -> None:
    rows = "".join(f"INSERT INTO alunos (id, nome) VALUES ({n}, 'aluno ; {n} -- x');\n" for n in range(20_000))
    report = lint(make_folder, {"001_big.sql": rows + "DELETE FROM alunos;\n"})
    assert rules_at(report) == [("001_big.sql:20001", "data-at-risk")]


def test_passwords_in_linted_sql_are_not_echoed(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": "-- toolkit:no-transaction\nALTER ROLE app PASSWORD 'Hunter2-secret';\n"
                                             "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n"})
    text = json.dumps(report.to_dict())
    assert "Hunter2" not in text
    assert ("001_x.sql:2", "no-transaction-mixed") in rules_at(report)


def test_down_migrations_are_not_linted(make_folder) -> None:
    folder: Path = make_folder({"001_a.sql": "CREATE TABLE a (id bigint);", "001_a.down.sql": "DROP TABLE a;"})
    assert lint_directory(folder).files == ["001_a.sql"]


# -- attacks: SQL written to fool the splitter, the rules or the waivers ---------------------------------


@pytest.mark.parametrize("sql", [
    "/* outer /* inner */ DROP TABLE alunos; */ SELECT 1;",
    "SELECT $a$ $$; DROP TABLE alunos; $$ $a$;",
    "SELECT E'it\\'s; DROP TABLE alunos; --';",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM alunos; END;",
    "CREATE RULE r AS ON INSERT TO log DO INSTEAD DELETE FROM log;",
])
def test_hidden_or_deferred_destruction_is_not_flagged(make_folder, sql: str) -> None:
    report = lint(make_folder, {"001_x.sql": sql})
    assert not [finding for finding in report.findings if finding.rule == "data-at-risk"], rules_at(report)


@pytest.mark.parametrize("sql", [
    "DELETE FROM alunos -- WHERE id = 1\n;",
    "DELETE FROM alunos RETURNING 'WHERE';",
    "DELETE FROM alunos /* WHERE id = 1 */;",
    "SELECT 1; DELETE FROM alunos;",
    "SELECT $$x$$; TRUNCATE alunos;",
])
def test_a_where_in_a_comment_or_string_does_not_count(make_folder, sql: str) -> None:
    report = lint(make_folder, {"001_x.sql": sql})
    assert [finding for finding in report.findings if finding.rule == "data-at-risk"], rules_at(report)


def test_a_waiver_in_a_block_comment_is_not_a_waiver(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": "/*\n-- toolkit:allow data-at-risk because a block comment hides it\n*/\n"
                                             "TRUNCATE alunos;\n"})
    assert rules_at(report) == [("001_x.sql:4", "data-at-risk")]


def test_a_waiver_inside_a_multi_line_statement_covers_it_only(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "ALTER TABLE alunos\n  -- toolkit:allow data-at-risk,ban-drop-column because cpf was copied to cofre.cpf\n"
        "  DROP COLUMN cpf;\nALTER TABLE alunos DROP COLUMN rg;\n")})
    assert [finding.where for finding in report.findings] == ["001_x.sql:4", "001_x.sql:4"]
    assert {finding.where for finding in report.waived} == {"001_x.sql:1", "001_x.sql:3"}


def test_a_known_and_an_unknown_rule_together_are_refused(make_folder) -> None:
    folder = make_folder({"001_x.sql": "-- toolkit:allow data-at-risk,everything because trust me\nTRUNCATE t;\n"})
    with pytest.raises(MigrationError, match="waiver for unknown rule 'everything'"):
        lint_directory(folder)


def test_terminal_escapes_in_a_file_do_not_reach_the_terminal(make_folder) -> None:
    folder = make_folder({"001_x.sql": "-- toolkit:lock-timeout 0\nALTER TABLE \"\x1b[2J\u202e\" ADD COLUMN a text;\n"})
    result = cli.invoke(app, ["db", "lint", str(folder)])
    assert result.exit_code == 1
    assert "lock-timeout-missing" in result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b[2J" in result.output


def test_a_megabyte_comment_line_and_many_waivers_stay_fast_enough_to_finish(make_folder) -> None:
    junk = "-- toolkit:allow data-at-risk because " + "very long reason, " * 60_000 + "\n"
    waivers = "".join(f"-- toolkit:allow data-at-risk because table t{n} is scratch\nTRUNCATE t{n};\n"
                      for n in range(2_000))
    report = lint(make_folder, {"001_x.sql": junk + "TRUNCATE big;\n" + waivers})
    assert report.ok, rules_at(report)[:5]
    assert len(report.waived) == 2_001


def test_a_waiver_reason_continues_on_the_comment_lines_below_it(make_folder) -> None:
    report = lint(make_folder, {"001_x.sql": (
        "-- toolkit:allow data-at-risk because the rows were copied\n--   to arquivo.alunos_2019 by 000\n\n"
        "-- a separate remark\nTRUNCATE alunos_2019;\n")})
    assert report.ok, rules_at(report)
    assert report.waived[0].waived_because == "the rows were copied to arquivo.alunos_2019 by 000"
