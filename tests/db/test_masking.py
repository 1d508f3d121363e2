"""Masking of migration SQL before it is printed (db plan, failures, the Lambda log line, lint): no way of writing
a password literal leaves it in clear, even at the cost of masking a literal too many."""

from __future__ import annotations

import pytest

from toolkit.db.masking import mask_sql

SECRET = "hunter2pass"


@pytest.mark.parametrize("sql", [
    f"CREATE ROLE app LOGIN PASSWORD '{SECRET}'",
    f"ALTER ROLE app PASSWORD E'{SECRET}\\'s'",
    f"ALTER ROLE app PASSWORD $${SECRET}$$",
    f"ALTER ROLE app PASSWORD $pw${SECRET}$pw$",
    f"ALTER ROLE app PASSWORD /* c */ '{SECRET}'",
    f"ALTER ROLE app PASSWORD -- c\n  '{SECRET}'",
    f"ALTER ROLE app PASSWORD U&'{SECRET}'",
    f"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'a', \"password\" '{SECRET}')",
    f"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'a', \"PassWord\" '{SECRET}')",
    f"SELECT dblink_connect('host=db ' || 'pass'||'word={SECRET}')",
    f"SELECT set_config('app.api_token', '{SECRET}', false)",
    f"ALTER ROLE app PASSWORD '{SECRET}",  # a statement's first line: the literal goes on
    f'{{"statement": "ALTER ROLE app PASSWORD \'{SECRET}\'"}}',  # the Lambda's JSON log line
])
def test_no_password_literal_is_left_in_clear(sql: str) -> None:
    masked = mask_sql(sql)
    assert SECRET not in masked and "(sensitive)" in masked


def test_statements_that_mention_no_secret_keep_their_literals() -> None:
    sql = f"ALTER ROLE app PASSWORD '{SECRET}';\nINSERT INTO notes VALUES ('kept'); -- no password here\n"
    assert mask_sql(sql) == "ALTER ROLE app PASSWORD '(sensitive)';\nINSERT INTO notes VALUES ('kept'); " \
        "-- no password here\n"
    assert mask_sql("/* password */ SELECT 'kept'") == "/* password */ SELECT 'kept'"
    assert mask_sql("CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a;b' $$ LANGUAGE sql") == \
        "CREATE FUNCTION f() RETURNS text AS $$ SELECT 'a;b' $$ LANGUAGE sql"


@pytest.mark.parametrize("sql", [
    "CREATE ROLE \"o'brien\" LOGIN PASSWORD 'Hunter2xyz';",  # the ' inside "…" opens no literal
    "/* a /* b */ it's */ CREATE ROLE app LOGIN PASSWORD 'Hunter2xyz';",  # block comments nest
    "CREATE ROLE app LOGIN PASSWORD $é$Hunter-2xyz$é$;",  # a dollar tag of non-ASCII letters
    "ALTER SYSTEM SET \"app.token;x\" = 'Hunter2xyz';",  # a ; inside a quoted identifier ends nothing
    "SELECT 1; ALTER SYSTEM SET \"app.token;x\" = 'Hunter2xyz'; SELECT 'kept'",
])
def test_quoted_identifiers_nested_comments_and_unicode_dollar_tags(sql: str) -> None:
    masked = mask_sql(sql)
    assert "Hunter2xyz" not in masked and "Hunter-2xyz" not in masked and "(sensitive)" in masked


def test_quoted_identifiers_and_nested_comments_are_kept_as_written() -> None:
    assert mask_sql("CREATE ROLE \"o'brien\" LOGIN PASSWORD 'Hunter2xyz'; SELECT 'kept'") == \
        "CREATE ROLE \"o'brien\" LOGIN PASSWORD '(sensitive)'; SELECT 'kept'"
    assert mask_sql("/* a /* password */ b */ SELECT 'kept'") == "/* a /* password */ b */ SELECT 'kept'"
    assert mask_sql('{"statement": "ALTER ROLE app PASSWORD \'Hunter2xyz\'"}') == \
        '{"statement": "ALTER ROLE app PASSWORD \'(sensitive)\'"}'
