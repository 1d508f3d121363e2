"""Migration SQL as the toolkit may print it: passwords written in the SQL replaced by the mask.

`CREATE ROLE app LOGIN PASSWORD 'x'`, `ALTER USER … WITH ENCRYPTED PASSWORD E'x'` or `PASSWORD $$x$$`: the
literal after PASSWORD is the secret, whatever the quoting. Everything else goes through the toolkit's
shape-based masking (toolkit/secrets.py: URLs with a password, tokens, key=value pairs). Every place that
echoes a statement (db plan, a failure, the Lambda log line, lint, the rehearsal) prints it through here.
"""

from __future__ import annotations

import re

from toolkit.secrets import MASK, mask_text

_PASSWORD_LITERAL = re.compile(
    r"(?P<keyword>\bPASSWORD\s+)(?P<literal>[Ee]'(?:[^'\\]|\\.|'')*(?:'|$)|'(?:[^']|'')*(?:'|$)"
    r"|(?P<tag>\$\w*\$).*?(?:(?P=tag)|$))", re.IGNORECASE | re.DOTALL)
# Also `password = 'x'` inside a function body or a dblink/foreign-server OPTIONS (password 'x').
_OPTION_PASSWORD = re.compile(r"(?P<keyword>\bpassword\s*=?\s*)(?P<literal>'(?:[^']|'')*(?:'|$))", re.IGNORECASE)


def mask_sql(sql: str) -> str:
    """`sql` with every PASSWORD literal and every secret-shaped value masked."""
    if "password" in sql.lower():
        sql = _PASSWORD_LITERAL.sub(lambda match: f"{match['keyword']}'{MASK}'", sql)
        sql = _OPTION_PASSWORD.sub(lambda match: f"{match['keyword']}'{MASK}'", sql)
    # Line by line: the shape-based scan then stays linear in the size of a big data migration.
    return "\n".join(mask_text(line) for line in sql.split("\n"))
