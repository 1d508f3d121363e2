"""The one rule for what is a secret, used by the configuration, render, plan records, review, drift and errors.

Two kinds of evidence:
- a name: keys we own (`app_settings`, tfvars) whose name says secret (password, passwd, pwd, secret, token,
  api key, credential, dsn, connection string, private key, access key, …) are refused: secrets come from
  Secrets Manager (the compute module wires ECS `secrets`) or TF_VAR_*, never from files;
- a shape: values that are secrets whatever they are called: a URL with a password in its user info
  (`postgres://app:PASSWORD@db/app`), a PEM block, an AWS secret access key. These are masked wherever they
  would be written or printed.

Identifiers that must stay readable (commit ids, S3 version ids, lock ids, `kms_key_id`, `private_subnet_ids`)
match neither rule; tests/reliability/test_secret_shapes.py holds both sides.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

MASK = "(sensitive)"

# Word parts of a key name that say "secret" ("secrets" is not one: `secrets = { NAME = arn }` maps names to
# Secrets Manager references). Names are split on case changes and separators first, so
# `private_subnet_ids` and `kms_key_id` are not caught while `DB_PASSWD`, `apiKey` and `SMTP_CREDENTIALS` are.
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "tokens", "credential",
    "credentials", "creds", "dsn", "apikey", "privatekey", "accesskey", "secretkey", "connectionstring",
    "connstr", "salt",
})
# Adjacent word pairs that say "secret" only together.
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"),
                           ("connection", "string"), ("conn", "string"), ("client", "secret"), ("auth", "key"),
                           ("session", "key"), ("signing", "key"), ("encryption", "key"), ("master", "key")})
_WORD_BOUNDARY = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# scheme://user:password@host — the password is everything between the first ':' after '//' and the last '@'
# of the authority (passwords typed without percent-encoding may hold '/', '?', '#' or '@').
_URL_WITH_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s:/@]*):(?P<password>\S*)@"
                                r"(?P<host>[^\s@/?#]+)")
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.DOTALL)
# An AWS secret access key: 40 characters of base64's alphabet standing alone (a commit id is 40 lowercase hex
# characters and never matches; _is_aws_secret_key tells keys from other runs of those characters).
_AWS_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def name_words(name: str) -> list[str]:
    """`DB_PASSWD` → ['db', 'passwd']; `apiKey` → ['api', 'key']; `SMTP-Credentials` → ['smtp', 'credentials']."""
    return [word.lower() for word in _WORD_BOUNDARY.findall(name)]


# A name that starts or ends with one of these refers to a secret (DB_SECRET_ARN, API_KEY_ID, create_secret,
# password_length, secret_rotation_days) rather than holding one.
_REFERENCE_PREFIXES = frozenset({"create", "enable", "manage", "use"})
_REFERENCE_SUFFIXES = frozenset({
    "arn", "arns", "id", "ids", "name", "names", "path", "ref", "version", "enabled", "length", "strategy",
    "rotation", "days", "hours", "minutes", "seconds", "window", "count", "type", "mode", "policy", "ttl",
    "period", "interval", "schedule",
})


def is_secret_name(name: str) -> bool:
    """True when a key's name says it holds a secret."""
    words = name_words(name)
    if words and (words[-1] in _REFERENCE_SUFFIXES or words[0] in _REFERENCE_PREFIXES):
        return False
    if any(word in _SECRET_WORDS for word in words):
        return True
    if any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words)):
        return True
    joined = "".join(words)
    return any(word in joined for word in ("password", "passwd", "apikey", "privatekey", "secretkey",
                                           "accesskey", "connectionstring", "credential"))


def _is_aws_secret_key(candidate: str) -> bool:
    # Random base64: many capitals and small letters, a digit or '/' or '+', few slashes (a path has many and a
    # timestamped id few capitals: `toolkit/envs/prod/plans/20261126T000000Z` is not a key).
    upper = sum(char.isupper() for char in candidate)
    lower = sum(char.islower() for char in candidate)
    return (upper >= 4 and lower >= 4 and candidate.count("/") <= 3
            and any(char.isdigit() or char in "/+" for char in candidate))


def looks_like_secret(value: str) -> bool:
    """True when a value has the shape of a secret whatever its name."""
    if any(match["password"] not in ("***", MASK) for match in _URL_WITH_PASSWORD.finditer(value)):
        return True
    if _PEM_BLOCK.search(value):
        return True
    return any(_is_aws_secret_key(match.group(0)) for match in _AWS_SECRET_KEY.finditer(value))


def mask_text(text: str) -> str:
    """`text` with every secret-shaped part replaced: URL passwords, PEM blocks, AWS secret access keys."""
    if "://" in text:
        text = _URL_WITH_PASSWORD.sub(_masked_url, text)
    if "-----BEGIN " in text:
        text = _PEM_BLOCK.sub(MASK, text)
    return _AWS_SECRET_KEY.sub(lambda match: MASK if _is_aws_secret_key(match.group(0)) else match.group(0), text)


def _masked_url(match: re.Match[str]) -> str:
    # A password already masked (`toolkit db` prints DSNs as user:***@host) stays as it is.
    password = match["password"] if match["password"] in ("***", MASK) else MASK
    return f"{match['scheme']}{match['user']}:{password}@{match['host']}"


def mask_value(value: Any) -> Any:
    """A JSON-like value (a copy) with every secret-shaped string masked.

    By shape only: attribute names like `secret_arn` or `kms_key_id` hold identifiers a reviewer needs, and
    the provider marks the attributes that really are secret (`after_sensitive`), which redaction honours.
    """
    if isinstance(value, str):
        return mask_text(value) if looks_like_secret(value) else value
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def secret_shaped_paths(value: Any, path: str = "") -> list[str]:
    """Dotted key paths of the secret-shaped strings inside a JSON-like value (the values are never returned)."""
    if isinstance(value, str):
        return [path] if looks_like_secret(value) else []
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in secret_shaped_paths(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in secret_shaped_paths(item, f"{path}[{index}]")]
    return []
