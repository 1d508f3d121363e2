"""DSNs, masking, TLS rules and Secrets Manager (moto over HTTP)."""

from __future__ import annotations

import json
import ssl
import uuid
from urllib.parse import quote

import boto3
import pytest

from toolkit.db.connection import ConnectionTarget, mask_dsn, open_connection, parse_dsn, target_from_secret
from toolkit.errors import MigrationError, UsageError

from .conftest import AWKWARD_PASSWORD, assert_no_password_piece


def test_parse_full_dsn() -> None:
    target = parse_dsn("postgresql://app%40x:p%40ss%3Aw0rd@db.internal:6432/escola?sslmode=verify-full")
    assert target == ConnectionTarget(user="app@x", password="p@ss:w0rd", host="db.internal", port=6432,
                                      database="escola", sslmode="verify-full")
    assert target.describe() == "postgresql://app%40x:***@db.internal:6432/escola?sslmode=verify-full"


def test_remote_host_defaults_to_sslmode_require() -> None:
    target = parse_dsn("postgres://u:secret@mydb.abc.us-east-1.rds.amazonaws.com/app")
    assert target.effective_sslmode == "require"
    assert target.ssl_context() is True
    assert "secret" not in target.describe()


def test_localhost_defaults_to_plain_and_verify_modes_build_a_context() -> None:
    assert parse_dsn("postgresql://u@127.0.0.1/app").ssl_context() is False
    context = parse_dsn("postgresql://u@db.example/app?sslmode=verify-full").ssl_context()
    assert isinstance(context, ssl.SSLContext) and context.check_hostname


def test_sslmode_disable_is_refused_off_localhost() -> None:
    with pytest.raises(MigrationError) as caught:
        parse_dsn("postgresql://u:pw@db.example.com/app?sslmode=disable").ssl_context()
    assert str(caught.value) == ("sslmode=disable refused for db.example.com: connections to a database that is "
                                 "not on this machine must use TLS (sslmode=require or stricter)")


@pytest.mark.parametrize(("dsn", "message"), [
    ("mysql://u:pw@h/db", "invalid DSN mysql://u:***@h/db: expected postgresql://user@host:port/dbname "
     "(the password after the user name, user:password, or in PGPASSWORD)"),
    ("postgresql://u:pw@h", "invalid DSN postgresql://u:***@h: no database name"),
    ("postgresql://h/db", "invalid DSN postgresql://h/db: no user name"),
    ("postgresql://u:pw@h/db?sslmode=sometimes",
     "invalid DSN postgresql://u:***@h/db?sslmode=sometimes: sslmode must be one of disable, allow, prefer, "
     "require, verify-ca, verify-full"),
    ("postgresql://u:pw@h/db?application_name=x",
     "invalid DSN postgresql://u:***@h/db?application_name=x: unsupported parameter(s) application_name "
     "(supported: sslmode, sslrootcert, host, port, user, password, dbname; a '&' inside a value must be written "
     "%26)"),
    ("postgresql://u:pw@h:notaport/db", "invalid DSN postgresql://u:***@h:notaport/db: the port is not a number"),
])
def test_bad_dsns_are_usage_errors_without_the_password(dsn: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_dsn(dsn)
    assert str(caught.value) == message
    assert "pw" not in str(caught.value).replace("pw@", "")


def test_mask_dsn() -> None:
    assert mask_dsn("postgresql://u:s3cr3t@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_dsn("postgresql://u@h/db") == "postgresql://u@h/db"


def test_wrong_password_error_names_the_masked_target(postgres_server) -> None:
    target = parse_dsn(postgres_server.dsn("postgres", password="wrong-password"))
    with pytest.raises(MigrationError) as caught:
        open_connection(target)
    assert str(caught.value) == (f"cannot connect to postgresql://postgres:***@127.0.0.1:{postgres_server.port}"
                                 "/postgres?sslmode=disable: 28P01 password authentication failed for user "
                                 "\"postgres\"")


def test_unreachable_server_is_a_clean_error(postgres_server) -> None:
    from tests.support.postgres import free_port

    port = free_port()
    with pytest.raises(MigrationError) as caught:
        open_connection(parse_dsn(f"postgresql://u:pw@127.0.0.1:{port}/db"))
    assert str(caught.value).startswith(f"cannot connect to postgresql://u:***@127.0.0.1:{port}/db?sslmode=disable: ")


def test_rds_master_secret_with_host_from_flags(aws_environment: str, postgres_server) -> None:
    client = boto3.client("secretsmanager")
    secret = client.create_secret(Name=f"rds!cluster-{uuid.uuid4().hex}", SecretString=json.dumps(
        {"username": "postgres", "password": postgres_server.password}))
    target = target_from_secret(secret["ARN"], host="127.0.0.1", port=postgres_server.port, database="postgres")
    assert (target.user, target.password, target.host, target.port) == (
        "postgres", postgres_server.password, "127.0.0.1", postgres_server.port)
    connection = open_connection(target)
    try:
        assert connection.run("SELECT current_user")[0][0] == "postgres"
    finally:
        connection.close()


def test_secret_with_its_own_host_and_errors(aws_environment: str) -> None:
    client = boto3.client("secretsmanager")
    suffix = uuid.uuid4().hex[:8]
    client.create_secret(Name=f"full-{suffix}", SecretString=json.dumps(
        {"username": "u", "password": "pw", "host": "db.internal", "port": 5433, "dbname": "escola"}))
    client.create_secret(Name=f"no-host-{suffix}", SecretString=json.dumps({"username": "u", "password": "pw"}))
    client.create_secret(Name=f"not-json-{suffix}", SecretString="hunter2")
    target = target_from_secret(f"full-{suffix}")
    assert target.describe() == "postgresql://u:***@db.internal:5433/escola?sslmode=require"
    with pytest.raises(UsageError) as caught:
        target_from_secret(f"no-host-{suffix}", database="x")
    assert str(caught.value) == f"secret no-host-{suffix} has no host: pass --host (the RDS endpoint)"
    with pytest.raises(MigrationError) as caught:
        target_from_secret(f"not-json-{suffix}")
    assert str(caught.value) == f"secret not-json-{suffix} is not JSON with username and password"
    assert "hunter2" not in str(caught.value)
    with pytest.raises(MigrationError) as caught:
        target_from_secret("does-not-exist")
    assert str(caught.value) == "cannot read secret does-not-exist: ResourceNotFoundException"


@pytest.mark.parametrize(("dsn", "masked"), [
    ("postgresql://u:Pa/ss?wo#rd@x%zz@db.internal:5432/app", "postgresql://u:***@db.internal:5432/app"),
    ("postgres://u:a@b@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"),
    ("postgresql://u@h/db?password=Pa/ss?wo#rd%zz&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
    ("postgresql://u@h/db?sslmode=require&password=Pa&ss", "postgresql://u@h/db?sslmode=require&password=***"),
    ("postgresql://u@h/db?PASSWORD=x", "postgresql://u@h/db?PASSWORD=***"),
    ("host=h user=u password=Pa/ss?wo#rd dbname=app", "host=h user=u password=*** dbname=app"),
    ("host=h password='two words' dbname=app", "host=h password=*** dbname=app"),
    ("postgresql://u:a?password=b@h/db", "postgresql://u:***"),
    ("postgresql://h:5432/db?password=a@b", "postgresql://h:***"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("not a dsn", "not a dsn"),
])
def test_mask_dsn_hides_any_password(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked


@pytest.mark.parametrize(("dsn", "message"), [
    ("postgresql://u:Zq/Xk@h/db", "invalid DSN postgresql://u:***@h/db: the user name or password holds '/', '?' or "
     "'#': percent-encode them in a URL (/ → %2F, ? → %3F, # → %23, @ → %40, % → %25)"),
    ("postgresql://u:Zq?Xk@h:5432/db", "invalid DSN postgresql://u:***@h:5432/db: the user name or password holds "
     "'/', '?' or '#': percent-encode them in a URL (/ → %2F, ? → %3F, # → %23, @ → %40, % → %25)"),
    ("postgresql://u:Zq#Xk@h/db", "invalid DSN postgresql://u:***@h/db: the user name or password holds '/', '?' or "
     "'#': percent-encode them in a URL (/ → %2F, ? → %3F, # → %23, @ → %40, % → %25)"),
    ("postgresql://u:Zq%zzXk@h/db", "invalid DSN postgresql://u:***@h/db: the user name or password holds a '%' that "
     "is not a percent-encoded byte: write % as %25"),
    ("postgresql://u:Zq/Xk:99@h/db", "invalid DSN postgresql://u:***@h/db: the user name or password holds '/', '?' "
     "or '#': percent-encode them in a URL (/ → %2F, ? → %3F, # → %23, @ → %40, % → %25)"),
    ("postgresql://u@h/db?password=Zq#Xk", "invalid DSN postgresql://u@h/db?password=***: a parameter holds a raw "
     "'#' or '%': percent-encode it (# → %23, % → %25, & → %26)"),
    ("postgresql://u@h/db?password=Zq&Xk=1", "invalid DSN postgresql://u@h/db?password=***: unsupported "
     "parameter(s) (supported: sslmode, sslrootcert, host, port, user, password, dbname; a '&' inside a value must "
     "be written %26)"),
    ("host=h user=u password=ZqXk dbname=x", "invalid DSN host=h user=u password=*** dbname=x: expected "
     "postgresql://user@host:port/dbname (the password after the user name, user:password, or in PGPASSWORD)"),
])
def test_raw_special_characters_in_a_password_are_never_echoed(dsn: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_dsn(dsn)
    assert str(caught.value) == message
    assert "Zq" not in str(caught.value) and "Xk" not in str(caught.value)


def test_raw_at_sign_in_a_password_parses(awkward_role, postgres_database) -> None:
    # The last '@' ends the credentials, so a raw '@' is unambiguous; '/', '?', '#' and '%' must be encoded.
    password = AWKWARD_PASSWORD.replace("/", "%2F").replace("?", "%3F").replace("#", "%23").replace("%zz", "%25zz")
    target = parse_dsn(f"postgresql://{awkward_role}:{password}@127.0.0.1:{postgres_database.server.port}/"
                       f"{postgres_database.name}")
    assert target.password == AWKWARD_PASSWORD
    connection = open_connection(target)
    try:
        assert connection.run("SELECT current_user")[0][0] == awkward_role
    finally:
        connection.close()


def test_connection_error_with_an_awkward_password_is_masked(awkward_role, postgres_database) -> None:
    wrong = quote(AWKWARD_PASSWORD[::-1], safe="")
    target = parse_dsn(f"postgresql://{awkward_role}:{wrong}@127.0.0.1:{postgres_database.server.port}/"
                       f"{postgres_database.name}?password=ignored")
    with pytest.raises(MigrationError) as caught:
        open_connection(target)
    assert str(caught.value) == (f"cannot connect to postgresql://{awkward_role}:***@127.0.0.1:"
                                 f"{postgres_database.server.port}/{postgres_database.name}?sslmode=disable: 28P01 "
                                 f"password authentication failed for user \"{awkward_role}\"")
    assert_no_password_piece(str(caught.value), AWKWARD_PASSWORD[::-1])


def test_password_given_as_a_parameter_connects(awkward_role, postgres_database) -> None:
    target = parse_dsn(f"postgresql://{awkward_role}@127.0.0.1:{postgres_database.server.port}/"
                       f"{postgres_database.name}?password={quote(AWKWARD_PASSWORD, safe='')}")
    assert target.password == AWKWARD_PASSWORD
    assert target.describe() == (f"postgresql://{awkward_role}:***@127.0.0.1:{postgres_database.server.port}/"
                                 f"{postgres_database.name}?sslmode=disable")
    open_connection(target).close()
