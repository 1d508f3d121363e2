"""The migrations folder and the statement splitter (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.db.files import checksum_of, load_migrations
from toolkit.db.splitter import SplitError, split_statements
from toolkit.errors import MigrationError

from .conftest import EXAMPLES


def error_of(folder: Path) -> str:
    with pytest.raises(MigrationError) as caught:
        load_migrations(folder)
    return str(caught.value)


def test_versions_load_in_numeric_order_with_gaps(make_folder) -> None:
    folder = make_folder({"010_ten.sql": "SELECT 10;", "002_two.sql": "SELECT 2;", "1_one.sql": "SELECT 1;",
                          "README.md": "not a migration", "notes.txt": "ignored"})
    migrations = load_migrations(folder)
    assert [(m.version, m.script, m.description) for m in migrations.migrations] == [
        (1, "1_one.sql", "one"), (2, "002_two.sql", "two"), (10, "010_ten.sql", "ten")]


def test_duplicate_version_names_both_files(make_folder) -> None:
    folder = make_folder({"008_a.sql": "SELECT 1;", "008_b.sql": "SELECT 2;"})
    assert error_of(folder) == f"{folder}/008_b.sql: duplicate version 008: 008_a.sql has the same version"


def test_same_number_written_differently_is_a_duplicate(make_folder) -> None:
    folder = make_folder({"8_a.sql": "SELECT 1;", "008_b.sql": "SELECT 2;"})
    assert error_of(folder) == f"{folder}/8_a.sql: duplicate version 008: 008_b.sql has the same version"


@pytest.mark.parametrize("name", ["abc.sql", "001-create.sql", "001_.sql", "001_a b.sql", "_001_x.sql",
                                  "001_x.down.SQL"])
def test_bad_file_names_are_errors(make_folder, name: str) -> None:
    folder = make_folder({name: "SELECT 1;"})
    assert error_of(folder) == (f"{folder}/{name}: bad migration file name: expected NNN_description.sql or "
                                "NNN_description.down.sql (digits, underscore, letters/digits/_/-)")


@pytest.mark.parametrize("text", ["", "   \n\n", "-- only a comment\n/* and a block */\n", ";\n;"])
def test_empty_files_are_errors(make_folder, text: str) -> None:
    folder = make_folder({"001_ok.sql": "SELECT 1;", "002_empty.sql": text})
    assert error_of(folder) == f"{folder}/002_empty.sql: empty migration: the file holds no SQL statement"


def test_unknown_directive_is_an_error(make_folder) -> None:
    folder = make_folder({"001_x.sql": "SELECT 1;\n-- toolkit:no-transactions\nSELECT 2;"})
    assert error_of(folder) == (f"{folder}/001_x.sql, line 2: unknown directive '-- toolkit:no-transactions' "
                                "(known: allow, lock-timeout, no-transaction, statement-timeout)")


def test_transaction_control_inside_a_transactional_migration_is_an_error(make_folder) -> None:
    folder = make_folder({"001_x.sql": "CREATE TABLE t (id int);\n\nCOMMIT;\nCREATE TABLE u (id int);"})
    assert error_of(folder) == (
        f"{folder}/001_x.sql, line 3: 'COMMIT' controls the transaction; each migration already runs in its own "
        "transaction: remove it (or declare '-- toolkit:no-transaction' for statements that cannot run in one)")


def test_savepoints_are_allowed(make_folder) -> None:
    folder = make_folder({"001_x.sql": "SAVEPOINT a;\nSELECT 1;\nROLLBACK TO SAVEPOINT a;\nRELEASE a;"})
    assert len(load_migrations(folder).migrations[0].up.statements) == 4


def test_unterminated_string_names_file_and_line(make_folder) -> None:
    folder = make_folder({"001_x.sql": "SELECT 1;\nSELECT 'oops;\n"})
    assert error_of(folder) == f"{folder}/001_x.sql, line 2: unterminated quoted string"


def test_down_without_up_and_mismatched_names(make_folder) -> None:
    folder = make_folder({"001_a.sql": "SELECT 1;", "002_b.down.sql": "SELECT 1;"})
    assert error_of(folder) == (f"{folder}/002_b.down.sql: down migration without an up migration "
                                "(no 002_*.sql)")
    folder = make_folder({"001_a.sql": "SELECT 1;", "001_b.down.sql": "SELECT 1;"})
    assert error_of(folder) == (f"{folder}/001_b.down.sql: down migration name does not match its up "
                                "migration 001_a.sql")


def test_missing_folder(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope") == f"migrations folder {tmp_path / 'nope'} does not exist"


def test_skip_manifest(make_folder) -> None:
    folder = make_folder({"008_a.sql": "SELECT 1;", "009_a.sql": "SELECT 1;",
                          "skip.txt": "# comment\n\n009: duplicates 008  # trailing comment\n"})
    migrations = load_migrations(folder)
    assert [(m.version, m.skip_reason) for m in migrations.migrations] == [(8, None), (9, "duplicates 008")]
    assert [m.version for m in migrations.runnable] == [8]


@pytest.mark.parametrize(("manifest", "message"), [
    ("009\n", "skip.txt, line 1: expected 'VERSION: reason' (for example '009: duplicates 008')"),
    ("009:\n", "skip.txt, line 1: expected 'VERSION: reason' (for example '009: duplicates 008')"),
    ("009: a\n9: b\n", "skip.txt, line 2: version 009 is listed twice"),
    ("011: nothing\n", "skip.txt: version 011 has no migration file"),
])
def test_bad_skip_manifest(make_folder, manifest: str, message: str) -> None:
    folder = make_folder({"008_a.sql": "SELECT 1;", "009_a.sql": "SELECT 1;", "skip.txt": manifest})
    assert error_of(folder) == f"{folder}/{message}"


def test_checksum_ignores_line_ending_style() -> None:
    assert checksum_of(b"SELECT 1;\r\nSELECT 2;\r\n") == checksum_of(b"SELECT 1;\nSELECT 2;\n")
    assert checksum_of(b"SELECT 1;") != checksum_of(b"SELECT 2;")


def test_no_transaction_directive(make_folder) -> None:
    folder = make_folder({"001_i.sql": "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);"})
    assert load_migrations(folder).migrations[0].up.transactional is False


def test_example_folder_is_valid() -> None:
    migrations = load_migrations(EXAMPLES)
    assert [m.version for m in migrations.runnable] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert migrations.by_version()[9].skip_reason == "duplicates 008"
    assert migrations.by_version()[8].up.checksum == migrations.by_version()[9].up.checksum


# --- splitter -------------------------------------------------------------------------------------------

def test_split_respects_quotes_comments_and_dollar_quoting() -> None:
    text = (
        "-- header; with a semicolon\n"
        "CREATE TABLE t (a text DEFAULT 'x;y', \"odd;name\" int);\n"
        "/* block; /* nested; */ still comment; */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n  RETURN 1; -- inside\nEND;\n$body$;\n"
        "SELECT E'it\\'s; fine', 'it''s; fine', $$a;b$$;\n"
        "SELECT 1"
    )
    statements = split_statements(text)
    assert [s.line for s in statements] == [2, 4, 9, 10]
    assert statements[1].sql.endswith("$body$")
    assert statements[2].sql == "SELECT E'it\\'s; fine', 'it''s; fine', $$a;b$$"
    assert statements[3].sql == "SELECT 1"


def test_split_keeps_begin_atomic_bodies_whole() -> None:
    text = ("CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
            "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;")
    statements = split_statements(text)
    assert [s.line for s in statements] == [1, 6]
    assert statements[0].sql.endswith("END")


def test_split_identifier_with_dollar_is_not_a_dollar_quote() -> None:
    statements = split_statements("SELECT a$b$c FROM t;\nSELECT 2;")
    assert [s.sql for s in statements] == ["SELECT a$b$c FROM t", "SELECT 2"]


def test_position_maps_to_file_line() -> None:
    statement = split_statements("SELECT 1;\n\nCREATE TABLE t (\n  a int,\n  b nonsense\n);")[1]
    position = statement.sql.index("nonsense") + 1
    assert statement.line == 3
    assert statement.line_of(position) == 5


def test_unterminated_dollar_quote() -> None:
    with pytest.raises(SplitError) as caught:
        split_statements("SELECT 1;\nDO $x$ BEGIN END;")
    assert (str(caught.value), caught.value.line) == ("unterminated dollar quote $x$", 2)


def test_split_keeps_rule_actions_in_parentheses_whole() -> None:
    text = ("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2));\n"
            "SELECT 1;")
    statements = split_statements(text)
    assert [s.line for s in statements] == [1, 2]
    assert statements[0].sql.endswith("VALUES (2))")


def test_splitter_counts_lines_as_it_goes() -> None:
    """Linear in the file size: each character is counted for line numbers once, not once per statement."""

    class CountingText(str):
        counted = 0

        def count(self, sub, start=0, end=None):  # type: ignore[override]
            stop = len(self) if end is None else end
            CountingText.counted += max(stop - start, 0)
            return str.count(self, sub, start, stop)

    body = "".join(f"INSERT INTO t VALUES ({number}, 'row; {number}');\n" for number in range(2000))
    text = CountingText("-- many small statements\n" + body)
    statements = split_statements(text)
    assert len(statements) == 2000
    assert [statements[0].line, statements[-1].line] == [2, 2001]
    assert CountingText.counted <= len(text), f"counted {CountingText.counted} characters of {len(text)}"


def test_byte_order_mark_does_not_hide_the_directive_or_change_the_checksum(make_folder) -> None:
    text = "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
    folder = make_folder({"001_plain.sql": text})
    (folder / "002_bom.sql").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (folder / "skip.txt").write_bytes(b"\xef\xbb\xbf001: the same index twice\n")
    migrations = load_migrations(folder).by_version()
    bom = migrations[2].up
    assert (bom.transactional, bom.statements[0].sql, bom.statements[0].line) == (
        False, "CREATE INDEX CONCURRENTLY i ON t (a)", 2)
    assert bom.checksum == migrations[1].up.checksum
    assert bom.sql() == text
    assert migrations[1].skip_reason == "the same index twice"


def test_invalid_utf8_after_a_byte_order_mark_names_the_file_byte(make_folder) -> None:
    folder = make_folder({})
    (folder / "001_bad.sql").write_bytes(b"\xef\xbb\xbfSELECT '\xff';")
    assert error_of(folder) == f"{folder}/001_bad.sql: not UTF-8 text (byte 11)"


def test_utf16_file_is_refused_with_its_own_message(make_folder) -> None:
    folder = make_folder({})
    (folder / "001_unicode.sql").write_bytes("SELECT 1;".encode("utf-16"))
    assert error_of(folder) == (f"{folder}/001_unicode.sql: UTF-16 text (a Windows editor's \"Unicode\"): "
                                "save it as UTF-8")


@pytest.mark.parametrize(("sql", "warned"), [
    ("SET search_path = app", True), ("set role app_owner", True), ("SET SESSION statement_timeout = 0", True),
    ("SET LOCAL search_path = app", False), ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", False),
    ("SET CONSTRAINTS ALL DEFERRED", False), ("SELECT set_config('a.b', 'c', true)", False),
])
def test_session_wide_set_is_warned_about(make_folder, sql: str, warned: bool) -> None:
    folder = make_folder({"001_a.sql": f"SELECT 1;\n{sql};", "002_b.sql": f"-- toolkit:no-transaction\n{sql};"})
    migrations = load_migrations(folder).by_version()
    assert len(migrations[1].up.warnings) == (1 if warned else 0)
    assert migrations[2].up.warnings == ()  # outside a transaction SET LOCAL does nothing: SET is right there


def test_a_version_above_bigint_is_refused_before_anything_runs(make_folder) -> None:
    folder = make_folder({f"{2**63}_too_big.sql": "SELECT 1;", f"{2**63 - 1}_largest.sql": "SELECT 1;"})
    assert error_of(folder) == (f"{folder}/{2**63}_too_big.sql: version {2**63} is too large: the history table "
                                f"stores versions up to {2**63 - 1} (PostgreSQL bigint)")
    (folder / f"{2**63}_too_big.sql").unlink()
    assert [migration.version for migration in load_migrations(folder).migrations] == [2**63 - 1]


@pytest.mark.parametrize(("text", "message"), [
    ("-- toolkit:lock-timeout soon\nSELECT 1;", "line 1: -- toolkit:lock-timeout 'soon': use a duration"),
    ("-- toolkit:statement-timeout\nSELECT 1;", "line 1: -- toolkit:statement-timeout '': use a duration"),
    ("-- toolkit:lock-timeout 1s\n-- toolkit:lock-timeout 2s\nSELECT 1;",
     "line 2: '-- toolkit:lock-timeout' is given twice"),
    ("-- toolkit:no-transaction please\nSELECT 1;", "line 1: '-- toolkit:no-transaction' takes no value"),
    ("-- toolkit:lock-timeout 999h\nSELECT 1;", "at most 24h (0 = no limit)"),
])
def test_bad_timeout_directives_are_errors(make_folder, text: str, message: str) -> None:
    assert message in error_of(make_folder({"001_x.sql": text}))


def test_timeout_directives_are_read(make_folder) -> None:
    script = load_migrations(make_folder({"001_x.sql": "-- toolkit:lock-timeout 1.5s\n-- toolkit:statement-timeout 2h\n"
                                                      "SELECT 1;"})).migrations[0].up
    assert (script.lock_timeout_ms, script.statement_timeout_ms) == (1500, 7_200_000)


def test_a_directive_inside_a_string_or_a_body_is_not_a_directive(make_folder) -> None:
    folder = make_folder({
        "001_x.sql": "SELECT '\n-- toolkit:no-transaction\n';\n"
                     "CREATE TABLE t (a text DEFAULT $$\n-- toolkit:bogus\n$$);",
        "002_y.sql": "CREATE TABLE u (\n  -- toolkit:lock-timeout 1s\n  a text);",
    })
    first, second = (migration.up for migration in load_migrations(folder).migrations)
    assert first.transactional  # the string's text does not make the file run outside a transaction
    assert second.lock_timeout_ms == 1000  # a real comment inside a statement still counts
