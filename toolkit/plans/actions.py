"""The plan vocabulary: Terraform's action lists (`["create", "delete"]`, …) said in one word each.

Every reader of a plan (review, cost, drift, the apply guards, the checkpoint, saved-plan summaries) names a
change by this word.
"""

from __future__ import annotations


def action_of(actions: tuple[str, ...]) -> str:
    """One word for Terraform's action list: create, update, replace, delete, read, forget, no-op."""
    if len(actions) == 2 and set(actions) == {"create", "delete"}:
        return "replace"
    if len(actions) == 1 and actions[0] in ("create", "update", "delete", "read", "forget", "no-op"):
        return actions[0]
    if "delete" in actions:
        return "delete"
    return "-".join(actions) or "no-op"
