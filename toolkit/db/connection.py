"""Where the database is and how to log in: a DSN or an AWS Secrets Manager secret, never printed.

The driver is pg8000 (pure Python: the same code runs on a laptop and in the Lambda zip without
compiled wheels). TLS: `sslmode=require` is forced for any host that is not this machine; a DSN may
ask for `verify-ca`/`verify-full` (with `sslrootcert=` for the RDS CA bundle) but never `disable`
off localhost.
"""

from __future__ import annotations

import json
import re
import ssl
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from toolkit.errors import MigrationError, UsageError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
APPLICATION_NAME = "toolkit-db"
DSN_PARAMETERS = ("sslmode", "sslrootcert", "host", "port", "user", "password", "dbname")
# Characters that end the user-info part of a URL: inside a password they must be percent-encoded.
URL_DELIMITERS = "/?#"
# A password given as a parameter: `?password=…` / `&password=…` in a URL (up to the next known
# parameter, so a raw '&' or '#' in it stays hidden), or `password=…` in libpq's key=value form.
_URL_PASSWORD = re.compile(r"([?&]password=)(.*?)(?=&(?:" + "|".join(DSN_PARAMETERS) + r"|application_name|"
                           r"connect_timeout|options|target_session_attrs)=|$)", re.IGNORECASE | re.DOTALL)
_KEYWORD_PASSWORD = re.compile(r"(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


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
        # Through mask_dsn as well: one function decides what a printed DSN may show.
        return mask_dsn(f"postgresql://{credentials}@{host}:{self.port}/{quote(self.database, safe='')}"
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
    """The one way a DSN is printed (messages, logs, --json): no password, whatever characters it holds.

    Everything between `://` and the LAST `@` is credentials: the user name (up to the first ':') is kept
    and the rest becomes `***`, so a password typed with raw `/ ? # @ %` (not percent-encoded) is hidden
    even though the URL does not parse. A `password=` parameter (URL query or libpq key=value form)
    becomes `password=***`. Works on strings that are not valid DSNs at all (error messages need it).
    """
    scheme_end = dsn.find("://")
    if scheme_end < 0:
        return _KEYWORD_PASSWORD.sub(r"\1***", dsn)
    start = scheme_end + 3
    secrets = [match.span(2) for match in _URL_PASSWORD.finditer(dsn)]
    # The last '@' that is not inside a `password=` value ends the credentials; failing that, the last '@'
    # at all (hiding too much is fine, showing a piece of a password is not).
    at = next((index for index in range(len(dsn) - 1, start - 1, -1)
               if dsn[index] == "@" and not any(begin <= index < end for begin, end in secrets)), dsn.rfind("@"))
    if at >= start and ":" in dsn[start:at]:
        secrets.append((dsn.index(":", start) + 1, at))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(secrets):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    masked, cursor = [], 0
    for begin, end in merged:
        masked += [dsn[cursor:begin], "***"]
        cursor = end
    return "".join(masked) + dsn[cursor:]


def has_password(dsn: str) -> bool:
    """Whether a DSN carries a password (in its user-info or as a parameter): then it is a secret."""
    return mask_dsn(dsn) != dsn


def parse_dsn(dsn: str) -> ConnectionTarget:
    """A `postgresql://user:password@host:port/dbname?sslmode=…` URL (libpq's URL form)."""
    dsn = dsn.strip()
    shown = mask_dsn(dsn)
    scheme_end = dsn.find("://")
    credentials = dsn[scheme_end + 3:dsn.rfind("@")] if scheme_end >= 0 and dsn.rfind("@") > scheme_end else ""
    if any(character in credentials for character in URL_DELIMITERS):
        # urlsplit would cut the URL inside the password and put its tail in the host, port or path
        # (and in urllib's own error text); libpq refuses such a URL too.
        raise UsageError(f"invalid DSN {shown}: the user name or password holds '/', '?' or '#': "
                         "percent-encode them in a URL (/ → %2F, ? → %3F, # → %23, @ → %40, % → %25)")
    if _BAD_PERCENT.search(credentials):
        raise UsageError(f"invalid DSN {shown}: the user name or password holds a '%' that is not a "
                         "percent-encoded byte: write % as %25")
    try:
        parts = urlsplit(dsn)
        port = parts.port
    except ValueError as error:
        # urllib's text may quote pieces of the URL: name the problem without it.
        reason = "the port is not a number" if "Port" in str(error) else "not a URL"
        raise UsageError(f"invalid DSN {shown}: {reason}") from error
    if parts.scheme not in ("postgresql", "postgres"):
        raise UsageError(f"invalid DSN {shown}: expected postgresql://user@host:port/dbname (the password after the "
                         "user name, user:password, or in PGPASSWORD)")
    if parts.fragment or _BAD_PERCENT.search(parts.query):
        # Most likely a `?password=` value typed raw: the tail after '#' would be silently dropped.
        raise UsageError(f"invalid DSN {shown}: a parameter holds a raw '#' or '%': percent-encode it "
                         "(# → %23, % → %25, & → %26)")
    pairs = [piece.partition("=") for piece in parts.query.split("&") if piece]
    query = {unquote(key): unquote(value) for key, _, value in pairs}
    unknown = sorted({key for key, separator, _ in pairs if not separator} | (set(query) - set(DSN_PARAMETERS)))
    if unknown:
        # After a password parameter the "names" may be pieces of a password holding a raw '&': name none.
        names = "" if "password" in query else f" {', '.join(unknown)}"
        raise UsageError(f"invalid DSN {shown}: unsupported parameter(s){names} (supported: "
                         f"{', '.join(DSN_PARAMETERS)}; a '&' inside a value must be written %26)")
    sslmode = query.get("sslmode")
    if sslmode is not None and sslmode not in SSL_MODES:
        raise UsageError(f"invalid DSN {shown}: sslmode must be one of {', '.join(SSL_MODES)}")
    user = unquote(parts.username or "") or query.get("user")
    database = unquote(parts.path.lstrip("/")) or query.get("dbname")
    host = parts.hostname or query.get("host") or "localhost"
    if not user:
        raise UsageError(f"invalid DSN {shown}: no user name")
    if not database:
        raise UsageError(f"invalid DSN {shown}: no database name")
    password = unquote(parts.password) if parts.password is not None else query.get("password")
    port_parameter = query.get("port")
    if port is None and port_parameter is not None and not port_parameter.isdigit():
        raise UsageError(f"invalid DSN {shown}: the port is not a number")
    return ConnectionTarget(user=user, password=password, host=host,
                            port=int(port or port_parameter or 5432), database=database,
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
