"""Safety guards of `toolkit apply`: each refuses with what changed or what is missing, and what to run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.config import EnvironmentConfig
from toolkit.engine.redact import redact_plan
from toolkit.errors import GuardError
from toolkit.plans.actions import action_of
from toolkit.plans.saved import PlanMetadata, PlanSummary, is_offline_plan_file, sha256_file, summarize_plan
from toolkit.plans.stateful import STATEFUL_RESOURCE_TYPES

# Environments that apply only a reviewed, saved plan whatever their config says.
SAVED_PLAN_ONLY = frozenset({"staging", "prod"})

# A prompt: shown text in, typed answer out (None when there is no terminal to ask on).
Prompt = Callable[[str], str | None]


def auto_apply_allowed(config: EnvironmentConfig) -> bool:
    """--auto (plan and apply in one go): only where the config allows it, never for staging, prod or protected."""
    return config.settings.allow_auto_apply and not config.protected and config.name not in SAVED_PLAN_ONLY


def check_auto_allowed(config: EnvironmentConfig) -> None:
    if not auto_apply_allowed(config):
        raise GuardError(
            f"--auto is not allowed for {config.name}: it applies only a reviewed saved plan. Run "
            f"`toolkit plan {config.name}`, `toolkit review {config.name}`, then `toolkit apply {config.name}`"
        )


def check_not_offline(environment: str, metadata: PlanMetadata, plan_file: Path | None = None) -> None:
    """An offline plan (stub providers, empty state) is for review only: never applied. The binary plan is asked
    too: metadata.json is a file anyone can edit."""
    if metadata.offline or (plan_file is not None and plan_file.is_file() and is_offline_plan_file(plan_file)):
        raise GuardError(
            f"refusing to apply the saved plan {metadata.plan_id} of {environment}: it is an offline plan (made "
            "against the stub providers with an empty state, never against AWS). Run `toolkit plan "
            f"{environment}` against the real backend, review it, then apply."
        )


def check_plan_matches(environment: str, metadata: PlanMetadata, plan_file: Path, *, tfvars_sha256: str,
                       source_sha256: str, git_commit: str | None, git_tree: str | None = None) -> None:
    """Refuse a plan whose file, inputs or code differ from what its metadata recorded."""
    check_not_offline(environment, metadata, plan_file)
    problems: list[str] = []
    if metadata.environment != environment:
        problems.append(f"the plan was made for {metadata.environment}, not {environment}")
    if not plan_file.is_file():
        problems.append(f"the plan file {plan_file} is missing")
    elif sha256_file(plan_file) != metadata.plan_sha256:
        problems.append(f"the plan file {plan_file} was modified after `toolkit plan` saved it "
                        f"(sha256 {sha256_file(plan_file)[:12]}, recorded {metadata.plan_sha256[:12]})")
    if tfvars_sha256 != metadata.tfvars_sha256:
        problems.append(f"the rendered variables changed since the plan (terraform.tfvars sha256 "
                        f"{tfvars_sha256[:12]}, planned with {metadata.tfvars_sha256[:12]}): "
                        f"envs/{environment}.yaml or envs/defaults.yaml was edited")
    if source_sha256 != metadata.source_sha256:
        problems.append("the root module's *.tf files changed since the plan")
    # A merge commit differs from the reviewed one, but if it holds exactly the same files the plan still fits.
    same_content = git_tree is not None and git_tree == metadata.git_tree
    if git_commit != metadata.git_commit and not same_content:
        problems.append(f"the checkout moved from commit {_short(metadata.git_commit)} to {_short(git_commit)}")
    if problems:
        raise GuardError(
            f"refusing to apply the saved plan {metadata.plan_id} of {environment}:\n  - " + "\n  - ".join(problems)
            + f"\nRun `toolkit plan {environment}` (and review it) again."
        )


def check_state_unchanged(environment: str, metadata: PlanMetadata, state: dict[str, Any] | None) -> None:
    """Refuse a stale plan: the state it was made against is no longer the current state."""
    lineage = state.get("lineage") if state else None
    serial = state.get("serial") if state else None
    if lineage == metadata.state_lineage and serial == metadata.state_serial:
        return
    if lineage != metadata.state_lineage and metadata.state_lineage is not None:
        change = f"the state was replaced (lineage {metadata.state_lineage} → {lineage})"
    else:
        change = f"the state changed since the plan (serial {metadata.state_serial} → {serial})"
    raise GuardError(
        f"refusing to apply the stale plan {metadata.plan_id} of {environment}: {change}; another apply "
        f"or a state command ran in between. Run `toolkit plan {environment}` again."
    )


def stateful_destroys(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(address, "destroy"|"replace") for every stateful resource the plan deletes."""
    found = []
    for change in plan.get("resource_changes", []):
        if change.get("mode", "managed") != "managed" or change.get("type") not in STATEFUL_RESOURCE_TYPES:
            continue
        action = action_of(change.get("change", {}).get("actions", []))
        if action in ("delete", "replace"):
            found.append((change["address"], "destroy" if action == "delete" else "replace"))
    return found


# A tainted resource is one an apply started creating and never finished (interrupted, or failed on it): its
# replacement still goes through the guard, but the refusal says why it is replaced (a newcomer's Ctrl-C).
TAINTED_NOTE = ("  (tainted: an earlier apply created it and did not finish, interrupted or failed; `toolkit "
                "checkpoints {environment}` shows which; it holds data only if something wrote to it since)")


def _tainted(plan: dict[str, Any]) -> set[str]:
    return {str(change.get("address")) for change in plan.get("resource_changes") or []
            if change.get("action_reason") == "replace_because_tainted"}


def check_stateful_destroys(environment: str, plan: dict[str, Any], allowed: list[str]) -> None:
    refused = [(address, action) for address, action in stateful_destroys(plan) if address not in allowed]
    if not refused:
        return
    tainted = _tainted(plan)
    note = TAINTED_NOTE.format(environment=environment)
    listed = "\n".join(f"  - {action} {address}" + (note if address in tainted else "") for address, action in refused)
    flags = " ".join(f"--allow-destroy '{address}'" for address, _ in refused)
    raise GuardError(
        f"the plan of {environment} would {'destroy or replace' if len(refused) > 1 else refused[0][1]} "
        f"stateful resource{'s' if len(refused) > 1 else ''} (data would be lost):\n{listed}\n"
        f"If that is intended, re-run with {flags}"
    )


def check_reviewed_plan(environment: str, plan_id: str, applied: dict[str, Any], reviewed: dict[str, Any],
                        recorded: PlanSummary) -> PlanSummary:
    """The binary plan about to be applied must say what the reviewed plan.json and its metadata say.

    plan.json and metadata.json are files anyone with the folder can edit; the binary plan is what terraform
    applies. Its own `terraform show -json` is summarised here and compared, address by address, with the
    reviewed plan.json; the returned summary (the binary plan's) is what the approval prompt shows.
    """
    actual = summarize_plan(applied)
    shown = summarize_plan(reviewed)
    problems = []
    for action in sorted(set(actual.addresses) | set(shown.addresses)):
        applying, reviewing = set(actual.addresses.get(action, [])), set(shown.addresses.get(action, []))
        for address in sorted(applying - reviewing)[:10]:
            problems.append(f"the plan file would {action} {address}, which the reviewed plan.json does not say")
        for address in sorted(reviewing - applying)[:10]:
            problems.append(f"the reviewed plan.json says {action} {address}, which the plan file does not do")
    if not problems:
        problems.extend(_changed_values(applied, reviewed))
    if not problems and actual.text() != recorded.text():
        problems.append(f"metadata.json records {recorded.text()}, the plan file holds {actual.text()}")
    if problems:
        raise GuardError(
            f"refusing to apply the saved plan {plan_id} of {environment}: the plan file is not the plan that was "
            "reviewed:\n  - " + "\n  - ".join(problems)
            + f"\nRun `toolkit plan {environment}` and review it again."
        )
    return actual


def _changed_values(applied: dict[str, Any], reviewed: dict[str, Any]) -> list[str]:
    """Same addresses and actions but other values (a security group opened wider, another image) are another
    plan too. plan.json is the binary plan's show -json, redacted: redacting a copy of it again must give it."""
    import copy


    shown = redact_plan(copy.deepcopy({key: applied.get(key) for key in ("resource_changes", "output_changes")
                                       if key in applied}))
    problems = []
    reviewed_changes = {change.get("address"): _comparable(change.get("change"))
                        for change in reviewed.get("resource_changes", [])}
    for change in shown.get("resource_changes", []):
        if _comparable(change.get("change")) != reviewed_changes.get(change.get("address")):
            problems.append(f"the plan file would change {change.get('address')} with other values than the "
                            "reviewed plan.json shows")
    for name, change in (shown.get("output_changes") or {}).items():
        if change != (reviewed.get("output_changes") or {}).get(name):
            problems.append(f"the plan file would set output {name} to another value than the reviewed plan.json "
                            "shows")
    return problems[:10]


def _comparable(change: Any) -> Any:
    # terraform lists replace_paths from a set (no fixed order): two show -json of one plan may differ there.
    if isinstance(change, dict) and isinstance(change.get("replace_paths"), list):
        return {**change, "replace_paths": sorted(change["replace_paths"], key=json.dumps)}
    return change


def check_approval(config: EnvironmentConfig, approve: str | None, prompt: Prompt | None, summary: str) -> str:
    """Protected environments need --approve NAME or the name typed at the prompt; returns how it was approved."""
    name = config.name
    if approve is not None:
        if approve != name:
            raise GuardError(f"--approve {approve} does not match the environment being applied ({name})")
        return "--approve"
    if not config.protected:
        return "not required"
    answer = prompt(f"{name} is protected. Plan: {summary}.\nType the environment name ({name}) to apply") \
        if prompt else None
    if answer is None:
        raise GuardError(f"{name} is protected: applying needs approval. Re-run with `--approve {name}` "
                         "or run it in a terminal and type the environment name when asked")
    if answer.strip() != name:
        raise GuardError(f"approval not given: typed {answer.strip()!r}, expected {name!r}; nothing was applied")
    return "typed at the prompt"


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(none)"


def check_expected_plan(environment: str, plan_id: str, plan_file: Path, expected_sha256: str | None) -> None:
    """`--expect-plan SHA`: the binary plan about to be applied is the one the pull request review showed."""
    if expected_sha256 is None:
        return
    actual = sha256_file(plan_file)
    if actual != expected_sha256:
        raise GuardError(
            f"refusing to apply the saved plan {plan_id} of {environment}: its sha256 is {actual}, but the reviewed "
            f"plan's is {expected_sha256} (--expect-plan). The plan files were replaced after the review: nothing "
            f"was applied. Plan and review again (`toolkit plan {environment}`)")


def check_plan_file_unchanged(environment: str, plan_id: str, plan_file: Path, checked_sha256: str) -> None:
    """Right before terraform applies the plan file by path: it still hashes to what the guards checked (and
    --expect-plan matched) before the approval, terraform show and the checkpoint; a file swapped since is refused."""
    try:
        actual = sha256_file(plan_file)
    except OSError as error:
        actual = f"unreadable ({error.strerror or error})"
    if actual != checked_sha256:
        raise GuardError(
            f"refusing to apply the saved plan {plan_id} of {environment}: the plan file {plan_file} changed after "
            f"it was checked (sha256 {actual}, checked {checked_sha256}): nothing was applied. Plan and review "
            f"again (`toolkit plan {environment}`)")
