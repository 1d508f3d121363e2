"""Where the database is and how to log in: a DSN or an AWS Secrets Manager secret, never printed.

The driver is pg8000 (pure Python: the same code runs on a laptop and in the Lambda zip without
compiled wheels). TLS: `sslmode=require` is forced for any host that is not this machine; a DSN may
ask for `verify-ca`/`verify-full` (with `sslrootcert=` for the RDS CA bundle) but never `disable`
off localhost.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from toolkit.errors import MigrationError, UsageError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
APPLICATION_NAME = "toolkit-db"


@dataclass(frozen=True)
class ConnectionTarget:
    """Everything needed to open a connection. `describe()` is the only printable form."""

    user: str
    password: str | None
    host: str
    port: int
    database: str
    sslmode: str | None = None
    sslrootcert: str | None = None

    @property
    def is_local(self) -> bool:
        return self.host in LOCAL_HOSTS or self.host.startswith("/")

    @property
    def effective_sslmode(self) -> str:
        if self.sslmode:
            return self.sslmode
        return "disable" if self.is_local else "require"

    def describe(self) -> str:
        """The DSN with the password masked: safe for logs and messages."""
        credentials = quote(self.user, safe="") + (":***" if self.password else "")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (f"postgresql://{credentials}@{host}:{self.port}/{quote(self.database, safe='')}"
                f"?sslmode={self.effective_sslmode}")

    def ssl_context(self) -> ssl.SSLContext | bool | None:
        mode = self.effective_sslmode
        if mode == "disable":
            if not self.is_local:
                raise MigrationError(f"sslmode=disable refused for {self.host}: connections to a database "
                                     "that is not on this machine must use TLS (sslmode=require or stricter)")
            return False
        if mode in ("allow", "prefer"):
            return None if self.is_local else True
        if mode == "require":
            return True
        context = ssl.create_default_context(cafile=self.sslrootcert)
        context.check_hostname = mode == "verify-full"
        return context


def mask_dsn(dsn: str) -> str:
    """Replace the password of a postgresql:// URL with ***; anything unparsable is hidden entirely."""
    try:
        parts = urlsplit(dsn)
        if parts.password is None:
            return dsn
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return parts._replace(netloc=f"{user}:***@{netloc[1]}").geturl()
    except ValueError:
        return "<unparsable DSN>"


def parse_dsn(dsn: str) -> ConnectionTarget:
    """A `postgresql://user:password@host:port/dbname?sslmode=…` URL (libpq's URL form)."""
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError as error:
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: {error}") from error
    if parts.scheme not in ("postgresql", "postgres"):
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: expected postgresql://user:password@host:port/dbname")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"sslmode", "sslrootcert", "host", "port", "user", "password", "dbname"})
    if unknown:
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: unsupported parameter(s) {', '.join(unknown)}")
    sslmode = query.get("sslmode")
    if sslmode is not None and sslmode not in SSL_MODES:
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: sslmode must be one of {', '.join(SSL_MODES)}")
    user = unquote(parts.username or "") or query.get("user")
    database = unquote(parts.path.lstrip("/")) or query.get("dbname")
    host = parts.hostname or query.get("host") or "localhost"
    if not user:
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: no user name")
    if not database:
        raise UsageError(f"invalid DSN {mask_dsn(dsn)}: no database name")
    password = unquote(parts.password) if parts.password is not None else query.get("password")
    return ConnectionTarget(user=user, password=password, host=host,
                            port=int(port or query.get("port") or 5432), database=database,
                            sslmode=sslmode, sslrootcert=query.get("sslrootcert"))


def target_from_secret(secret_id: str, *, host: str | None = None, port: int | None = None,
                       database: str | None = None, region: str | None = None,
                       endpoint_url: str | None = None, client: Any = None) -> ConnectionTarget:
    """Read an RDS master-user secret (JSON with username/password, maybe host/port/dbname).

    Flags win over the secret's own fields; the RDS-managed secret holds only username and password,
    so host and database then come from the flags (or the environment's settings).
    """
    if client is None:
        from toolkit.aws import aws_client

        client = aws_client("secretsmanager", region=region, endpoint_url=endpoint_url)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        response = client.get_secret_value(SecretId=secret_id)
    except NoCredentialsError as error:
        raise MigrationError(f"cannot read secret {secret_id}: no AWS credentials found (set AWS_PROFILE, run "
                             "`aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)") from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        raise MigrationError(f"cannot read secret {secret_id}: {code}") from error
    except BotoCoreError as error:
        raise MigrationError(f"cannot read secret {secret_id}: {error}") from error
    try:
        values = json.loads(response.get("SecretString") or "")
    except json.JSONDecodeError as error:
        raise MigrationError(f"secret {secret_id} is not JSON with username and password") from error
    if not isinstance(values, dict) or not values.get("username") or not values.get("password"):
        raise MigrationError(f"secret {secret_id} is not JSON with username and password")
    resolved_host = host or values.get("host")
    resolved_database = database or values.get("dbname") or values.get("dbName")
    if not resolved_host:
        raise UsageError(f"secret {secret_id} has no host: pass --host (the RDS endpoint)")
    if not resolved_database:
        raise UsageError(f"secret {secret_id} has no dbname: pass --dbname")
    return ConnectionTarget(user=str(values["username"]), password=str(values["password"]),
                            host=str(resolved_host), port=int(port or values.get("port") or 5432),
                            database=str(resolved_database))


def with_overrides(target: ConnectionTarget, *, host: str | None = None, port: int | None = None,
                   database: str | None = None) -> ConnectionTarget:
    changes: dict[str, Any] = {}
    if host:
        changes["host"] = host
    if port:
        changes["port"] = port
    if database:
        changes["database"] = database
    return replace(target, **changes)


def open_connection(target: ConnectionTarget, *, connect_timeout: float = 15.0):  # -> pg8000.native.Connection
    """One pinned connection. Connection failures become MigrationError naming the masked target."""
    import pg8000.native

    unix_socket = None
    if target.host.startswith("/"):
        unix_socket = f"{target.host.rstrip('/')}/.s.PGSQL.{target.port}"
    try:
        connection = pg8000.native.Connection(
            user=target.user, password=target.password, database=target.database,
            host=None if unix_socket else target.host, port=target.port, unix_sock=unix_socket,
            ssl_context=target.ssl_context(), timeout=connect_timeout, application_name=APPLICATION_NAME,
        )
    except pg8000.native.DatabaseError as error:
        fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
        raise MigrationError(f"cannot connect to {target.describe()}: {fields.get('C', '')} "
                             f"{fields.get('M', error)}".replace("  ", " ")) from error
    except (pg8000.native.InterfaceError, OSError) as error:
        raise MigrationError(f"cannot connect to {target.describe()}: {error}") from error
    # The connect timeout must not cap long migrations: statement_timeout is the server-side limit.
    raw_socket = getattr(connection, "_usock", None)
    if raw_socket is not None:
        raw_socket.settimeout(None)
    return connection
