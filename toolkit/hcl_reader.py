"""HCL files read as Python values (python-hcl2), safe to call from several threads at once.

python-hcl2 8.x serializes with one `SerializationContext` shared by every call (a mutable default argument)
that it flips and restores around `${...}` and parentheses. Two threads reading at once (`plan --all`,
`drift --all`) interleave those flips and can leave the shared context stuck: from then on every read in the
process quotes expressions differently (seen as `ignore_changes` silently lost). One lock for every read
keeps the shared state consistent.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()


def load_hcl(text: str) -> dict[str, Any]:
    """`text` (one .tf file) as python-hcl2's dict; its parse errors (several lark types) pass through."""
    import hcl2

    with _LOCK:
        return hcl2.loads(text)
