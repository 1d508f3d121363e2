"""The one rule for what is a secret, used by the configuration, render, plan records, review, drift and errors.

Two kinds of evidence:
- a name: keys we own (`app_settings`, tfvars) whose name says secret (password, passwd, pwd, secret, token,
  api key, credential, dsn, connection string, private key, access key, …) are refused: secrets come from
  Secrets Manager (the compute module wires ECS `secrets`) or TF_VAR_*, never from files;
- a shape: values that are secrets whatever they are called: a URL with a password in its user info
  (`postgres://app:PASSWORD@db/app`, also percent-encoded whole), a PEM block, an AWS secret access key, a token
  whose prefix says so (GitHub, Slack, Stripe live, Google API keys, JWTs, `Bearer …`), and the value given to a
  secret name inside text (`password=…` in a DSN or URL query, `"DB_PASSWORD": "…"` or
  `{"name": "DB_PASSWORD", "value": "…"}` in JSON). These are masked wherever they would be written or printed.

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
    "connstr", "salt", "pw", "bearer",
})
# Adjacent word pairs that say "secret" only together.
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"),
                           ("connection", "string"), ("conn", "string"), ("client", "secret"), ("auth", "key"),
                           ("session", "key"), ("signing", "key"), ("encryption", "key"), ("master", "key")})
_WORD_BOUNDARY = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

# scheme://user:password@host — the password is everything between the first ':' after '//' and the last '@'
# of the authority (passwords typed without percent-encoding may hold '/', '?', '#' or '@').
# A password typed with spaces (`postgres://app:correct horse@db`, which SQLAlchemy accepts) spans a few words
# (none holding '@', '/' or ':', so the match never runs into the next URL or path of a sentence).
# A scheme starts only where a run of scheme characters starts (`lead` skips its leading digits, `+`, `.`, `-`):
# trying every letter of a long run of letters or hex as a scheme start made the scan quadratic.
# User and password are bounded (USERINFO_LIMIT characters): each `scheme://` start scans ahead for an '@', so
# unbounded, `a://b:` repeated n times cost n² (4,000 repeats took 30 s).
USERINFO_LIMIT = 1024
_URL_WITH_PASSWORD = re.compile(r"(?<![A-Za-z0-9+.-])(?P<lead>[0-9+.-]*+)"
                                r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*+://)(?=[^@\n]{0,1400}+@)(?P<user>[^\s:/@]{0,256}):"
                                rf"(?P<password>\S{{0,{USERINFO_LIMIT}}}|[^\s@]{{0,{USERINFO_LIMIT}}}"
                                r"(?:[ \t]{1,16}[^\s@/:]{0,256}){1,3})@(?P<host>[^\s@/?#]+)")
# The same URL percent-encoded whole (a query parameter, an encoded log line): postgres%3A%2F%2Fapp%3Apass%40db.
_ENCODED_URL_WITH_PASSWORD = re.compile(r"(?<![A-Za-z0-9+.-])(?P<lead>[0-9+.-]*+)"
                                        r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*+%3A%2F%2F)"
                                        r"(?P<user>(?:(?!%3A|%40)[^\s:/@&]){0,256})%3A"
                                        rf"(?P<password>(?:(?!%40)[^\s&]){{1,{USERINFO_LIMIT}}})%40",
                                        re.IGNORECASE)
# `password=…` in a libpq DSN, a URL query or a log line; `"DB_PASSWORD": "…"` in JSON (escaped or not). The
# key must be a secret name (is_secret_name: `password_length=16` stays), the value is up to the next separator.
_SECRET_KEY = re.compile(r"(?<![\w.-])(?P<key>[A-Za-z_][\w.-]*)(?P<quoted>\\?[\"']?)[ \t]*(?P<sep>[=:])[ \t]*(?!//)"
                         r"(?P<open>\\?[\"']?)")
# An ECS-style pair: {"name": "DB_PASSWORD", "value": "…"}, as JSON or JSON inside a JSON string.
_NAME_VALUE_PAIR = re.compile(r'\\?"name\\?"[ \t]*:[ \t]*\\?"(?P<key>[\w.-]+)\\?"[ \t]*,[ \t]*'
                              r'\\?"value\\?"[ \t]*:[ \t]*(?P<open>\\?")')
# Every secret name holds one of these (is_secret_name's words): a cheap test before the full scan.
_KEY_HINT = re.compile(r"pass|pwd|pw|secret|token|key|cred|dsn|conn|salt|bearer", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"(?:(?!\\?[\"'])[^\s&;,}\]])+")
# Tokens whose prefix says what they are: GitHub, Slack, Stripe live keys, Google API keys, JWTs.
_KNOWN_TOKEN = re.compile(r"(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}|xox[abprs]-[A-Za-z0-9-]{10,}"
                          r"|[sr]k_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}"
                          r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}|(?<=[Bb]earer )[\w.~+/-]{8,}=*)")
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


# What the toolkit and terraform print instead of a value: nothing left to mask.
_ALREADY_HIDDEN = ("***", MASK, "(sensitive", "(value hidden)", "(known after apply)")


def _secret_values(text: str) -> list[tuple[int, int]]:
    """(start, end) of every value given to a secret-named key in `text` (keys are matched without their values,
    so a value never hides the next key). `key: value` counts for a quoted or many-word key only (`DB_PASSWORD:`,
    `"token":`), so prose like `Error: secret: not found` keeps its words."""
    if not _KEY_HINT.search(text):  # most strings (ARNs, ids, names) hold no secret-named key: skip the scan
        return []
    spans = []
    for key in itertools.chain(_SECRET_KEY.finditer(text), _NAME_VALUE_PAIR.finditer(text)):
        if key.re is _SECRET_KEY and key["sep"] == ":" and not key["quoted"] and len(name_words(key["key"])) < 2:
            continue
        if not is_secret_name(key["key"]):
            continue
        opening = key["open"]
        if opening:  # a quoted value runs to its closing quote, spaces included
            end = text.find(opening, key.end())
            end = len(text) if end < 0 else end
            end = min(end, text.find("\n", key.end()) % (len(text) + 1))
        else:
            value = _SECRET_VALUE.match(text, key.end())
            end = value.end() if value else key.end()
        shown = text[key.end():end]
        if shown and not text.startswith(_ALREADY_HIDDEN, key.end()):
            spans.append((key.end(), end))
    return sorted(set(spans))


def looks_like_secret(value: str) -> bool:
    """True when a value has the shape of a secret whatever its name."""
    if _may_hold_url(value) and any(match["password"] not in ("***", MASK)
                                    for match in _URL_WITH_PASSWORD.finditer(value)):
        return True
    if "-----BEGIN " in value and _PEM_BLOCK.search(value):
        return True
    if _KNOWN_TOKEN.search(value) or (_may_hold_encoded_url(value) and _ENCODED_URL_WITH_PASSWORD.search(value)):
        return True
    if ("=" in value or ":" in value) and _secret_values(value):
        return True
    return any(_is_aws_secret_key(match.group(0)) for match in _AWS_SECRET_KEY.finditer(value))


def _may_hold_url(text: str) -> bool:
    # Cheap tests first: without them every `scheme://` start of a long line is a bounded scan for an '@'.
    return "://" in text and "@" in text


def _may_hold_encoded_url(text: str) -> bool:
    lowered = text.lower()
    return "%3a%2f%2f" in lowered and "%40" in lowered


def mask_text(text: str) -> str:
    """`text` with every secret-shaped part replaced: URL passwords, PEM blocks, AWS secret access keys, known
    tokens and the values of secret-named `key=value` pairs."""
    if _may_hold_url(text):
        text = _URL_WITH_PASSWORD.sub(_masked_url, text)
    if _may_hold_encoded_url(text):
        text = _ENCODED_URL_WITH_PASSWORD.sub(
            lambda match: f"{match['lead']}{match['scheme']}{match['user']}%3A{MASK}%40", text)
    if "-----BEGIN " in text:
        text = _PEM_BLOCK.sub(MASK, text)
    text = _KNOWN_TOKEN.sub(MASK, text)
    for start, end in reversed(_secret_values(text) if "=" in text or ":" in text else []):
        text = text[:start] + MASK + text[end:]
    return _AWS_SECRET_KEY.sub(lambda match: MASK if _is_aws_secret_key(match.group(0)) else match.group(0), text)


def _masked_url(match: re.Match[str]) -> str:
    # A password already masked (`toolkit db` prints DSNs as user:***@host) stays as it is.
    password = match["password"] if match["password"] in ("***", MASK) else MASK
    return f"{match['lead']}{match['scheme']}{match['user']}:{password}@{match['host']}"


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
