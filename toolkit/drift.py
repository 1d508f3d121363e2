"""`toolkit drift`: has the real infrastructure moved away from the Terraform state?

A refresh-only plan (`terraform plan -refresh-only -detailed-exitcode -out`, then `show -json`) reads
every resource and records, in `resource_drift`, each one whose real attributes differ from the state.
Nothing is applied and the state is not written. The report lists the drift attribute by attribute in
the review's formats (the review's JSON schema; Markdown with the review's attribute tables) under the
hidden marker `<!-- toolkit-drift:ENV -->`, so `--post github` can keep one issue per environment.

Runs reuse the engine's session (render, staged root, per-environment TF_DATA_DIR, init) and its
terraform adapter; the refresh-only plan itself is the one run the engine has no method for.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.clock import iso, utc_now
from toolkit.config import list_environments
from toolkit.engine.redact import redact_plan
from toolkit.engine.session import open_session
from toolkit.errors import ToolkitError, UsageError
from toolkit.files import write_atomically
from toolkit.github import drift_marker, post_drift
from toolkit.plans.actions import action_of
from toolkit.plans.reader import read_plan
from toolkit.project import Project
from toolkit.review.analysis import build_review
from toolkit.review.diffs import format_path
from toolkit.review.drift_filter import VOLATILE_ATTRIBUTES, within
from toolkit.review.render_json import write_json
from toolkit.secrets import mask_text
from toolkit.text import md_cell

if TYPE_CHECKING:
    from toolkit.engine.progress import Progress
    from toolkit.github import DriftPostResult, GitHubSettings
    from toolkit.review.analysis import Review
    from toolkit.review.diffs import AttributeDiff

DRIFT_DIR = "drift"
DRIFT_PLAN_FILE = "drift.tfplan"
DRIFT_PLAN_JSON = "plan.json"
DEFAULT_LOCK_TIMEOUT = "0s"
MAX_PARALLEL_CHECKS = 4
MARKDOWN_LIMIT = 65_536
# Room for the closing notice when the report has to leave attribute tables out.
_RESERVE = 600
_MAX_ROWS_PER_RESOURCE = 40
FORMATS = ("text", "md", "json")


@dataclass(frozen=True)
class DriftedResource:
    address: str
    module: str
    type: str
    action: str  # update (attributes differ) or delete (gone from the real infrastructure)
    attributes: list[AttributeDiff]


@dataclass
class DriftReport:
    """One environment's refresh-only plan, read through the review's analysis."""

    environment: str
    review: Review
    plan_json: Path
    checked_at: str
    resources: list[DriftedResource] = field(default_factory=list)
    posted: DriftPostResult | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.resources)

    @property
    def exit_code(self) -> int:
        """-detailed-exitcode semantics: 2 when the real infrastructure differs from the state."""
        return 2 if self.drifted else 0


@dataclass(frozen=True)
class DriftFailure:
    environment: str
    message: str


@dataclass
class DriftRun:
    results: list[DriftReport | DriftFailure]

    @property
    def exit_code(self) -> int:
        """1 if any environment could not be checked, else 2 if any drifted, else 0."""
        if any(isinstance(result, DriftFailure) for result in self.results):
            return 1
        return 2 if any(result.drifted for result in self.results) else 0  # type: ignore[union-attr]


# Running terraform


@dataclass(frozen=True)
class RefreshOnlyPlan:
    plan_json: Path
    root_dir: Path


def refresh_only_plan(project: Project, environment: str, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
                      progress: Progress | None = None) -> RefreshOnlyPlan:
    """Run the refresh-only plan for one environment; return its `show -json` document and root folder."""
    session = open_session(project, environment, progress)
    folder = project.environment_data_dir(environment) / DRIFT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plan_file = folder / DRIFT_PLAN_FILE
    if progress is not None:
        progress.step(environment, "refresh-only plan")
    session.terraform.run(
        "plan", "-refresh-only", "-input=false", "-no-color", "-detailed-exitcode",
        f"-lock-timeout={lock_timeout}", f"-var-file={session.workspace.render.tfvars_path}", f"-out={plan_file}",
        stream=True, ok_codes=(0, 2), what="terraform plan -refresh-only",
    )
    # `show -json` carries sensitive values in clear; the saved report input must not.
    document = redact_plan(session.terraform.show_json(plan_file))
    target = folder / DRIFT_PLAN_JSON
    write_atomically(target, json.dumps(document))
    return RefreshOnlyPlan(target, session.workspace.render.root_dir)


def read_drift(plan_json: Path, environment: str, root_dir: Path | None = None) -> DriftReport:
    """The drift recorded in a refresh-only plan JSON (any plan JSON's resource_drift works too).

    Not reported as drift: attributes the configuration tells Terraform to ignore (`lifecycle {
    ignore_changes }`, read from the root module at `root_dir` and its local modules: Terraform will
    never revert them, e.g. a desired_count owned by autoscaling), attributes AWS changes by itself
    (VOLATILE_ATTRIBUTES), and entries left with no attribute difference (Terraform 1.0 lists a null
    that became an empty list or map as a change).
    """
    review = build_review(read_plan(plan_json), environment)
    ignored = ignored_attributes(plan_json, root_dir) if root_dir is not None else {}
    resources = []
    kept = []
    for record in review.drift:
        action = action_of(record.actions)
        skip = ignored.get((_module_key(record.module), record.type, record.name), ())
        if "*" in skip:
            continue
        skip = (*skip, *VOLATILE_ATTRIBUTES.get(record.type, ()))
        diffs = [diff for diff in review.diffs(record) if not any(within(diff.path, path) for path in skip)]
        if diffs or action == "delete":
            resources.append(DriftedResource(record.address, record.module, record.type, action, diffs))
            kept.append(record)
    # The review's renderers then show the same resources as this report.
    review.drift = kept
    review.summary.drift = len(kept)
    checked_at = iso(utc_now())
    return DriftReport(environment, review, plan_json, checked_at, resources)




def _module_key(module: str) -> str:
    """module.a["x"].module.b[0] -> module.a.module.b: every instance shares its module's configuration."""
    return re.sub(r"\[[^\]]*\]", "", module)


_PATH_STEP = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+)\s*\]|\.')


def _ignore_path(expression: str) -> str | None:
    """`tags["Name"]` / `${tags.Name}` / `parameter` in the review's path notation (`tags.Name`)."""
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _PATH_STEP.match(text, position)
        if match is None:
            return None
        name, key, index = match.groups()
        if name is not None:
            steps.append(name)
        elif key is not None:
            steps.append(json.loads(f'"{key}"'))
        elif index is not None:
            steps.append(int(index))
        position = match.end()
    return format_path(steps) if steps else None


def ignored_attributes(plan_json: Path, root_dir: Path) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(module, type, name) -> attribute paths in lifecycle.ignore_changes ("*" for `all`)."""
    try:
        configuration = json.loads(plan_json.read_text(encoding="utf-8")).get("configuration") or {}
    except (OSError, ValueError):
        return {}
    found: dict[tuple[str, str, str], tuple[str, ...]] = {}

    def visit(module_key: str, directory: Path, module: dict[str, Any]) -> None:
        for (resource_type, name), paths in _ignore_changes_in(directory).items():
            found[(module_key, resource_type, name)] = paths
        for call_name, call in (module.get("module_calls") or {}).items():
            source = str(call.get("source", ""))
            if source.startswith(("./", "../")):  # registry and git modules are not on disk here
                child_key = f"{module_key}.module.{call_name}" if module_key else f"module.{call_name}"
                visit(child_key, (directory / source).resolve(), call.get("module") or {})

    visit("", root_dir, configuration.get("root_module") or {})
    return found


def _ignore_changes_in(directory: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    from toolkit.hcl_reader import load_hcl

    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for path in sorted(directory.glob("*.tf")):
        try:
            document = load_hcl(path.read_text(encoding="utf-8"))
        except Exception:  # an unparsable file only costs us its ignore_changes (lark raises many types)
            continue
        for block in document.get("resource", []):
            for quoted_type, named in block.items():
                for quoted_name, body in named.items():
                    if not isinstance(body, dict):
                        continue
                    for lifecycle in body.get("lifecycle", []):
                        value = lifecycle.get("ignore_changes") if isinstance(lifecycle, dict) else None
                        if value is None:
                            continue
                        if isinstance(value, str):  # `ignore_changes = all`
                            paths: tuple[str, ...] = ("*",) if value.strip('"${} ') == "all" else ()
                        else:
                            paths = tuple(p for p in (_ignore_path(str(item)) for item in value) if p)
                        found[(quoted_type.strip('"'), quoted_name.strip('"'))] = paths
    return found


def check_drift(project: Project, environment: str, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
                progress: Progress | None = None) -> DriftReport:
    plan = refresh_only_plan(project, environment, lock_timeout=lock_timeout, progress=progress)
    return read_drift(plan.plan_json, environment, plan.root_dir)


def run_drift(project: Project, environments: list[str] | None, *, check_all: bool = False,
              post_github: GitHubSettings | None = None, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
              progress: Progress | None = None) -> DriftRun:
    """Check the named environments (or all with check_all); post each report to GitHub when asked.

    One environment's failure does not stop the others: it is reported and makes the exit code 1.
    """
    if check_all and environments:
        raise UsageError("give environment names or --all, not both")
    names = list_environments(project) if check_all else list(environments or [])
    if not names:
        raise UsageError("name an environment (toolkit drift ENV) or pass --all")
    known = set(list_environments(project))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"unknown environment '{unknown[0]}': no envs/{unknown[0]}.yaml "
                         f"(environments: {', '.join(sorted(known)) or 'none'})")

    def check_one(name: str) -> DriftReport:
        report = check_drift(project, name, lock_timeout=lock_timeout, progress=progress)
        if post_github is not None:
            report.posted = post_drift(render_markdown(report), name, report.drifted, post_github)
        return report

    if len(names) == 1:
        # One environment: its error is the command's error (with its own exit code).
        return DriftRun([check_one(names[0])])

    def check_one_of_many(name: str) -> DriftReport | DriftFailure:
        try:
            return check_one(name)
        except ToolkitError as error:
            # Printed, rendered and posted outside the CLI error handler: masked here.
            return DriftFailure(name, mask_text(str(error)))

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CHECKS, len(names))) as pool:
        return DriftRun(list(pool.map(check_one_of_many, names)))


# Rendering


def summary_line(report: DriftReport) -> str:
    if not report.drifted:
        return f"No drift in {report.environment}: the real infrastructure matches the Terraform state."
    count = len(report.resources)
    return f"Drift in {report.environment}: {count} resource{'s' if count != 1 else ''} changed outside Terraform."


def _cell(value: str) -> str:
    return f"<code>{md_cell(value)}</code>"


def _resource_heading(resource: DriftedResource) -> str:
    what = "deleted outside Terraform" if resource.action == "delete" else "changed outside Terraform"
    return f"- `{resource.address}` — {what}\n"


def _attribute_table(resource: DriftedResource) -> str:
    if not resource.attributes:
        return ""
    rows = [f"  | {_cell(diff.path)} | {_cell(diff.before)} | {_cell(diff.after)} |\n"
            for diff in resource.attributes[:_MAX_ROWS_PER_RESOURCE]]
    hidden = len(resource.attributes) - len(rows)
    if hidden:
        rows.append(f"  | … {hidden} more attribute{'s' if hidden != 1 else ''} | | |\n")
    header = "\n  | Attribute | In Terraform state | In real infrastructure |\n  | --- | --- | --- |\n"
    return header + "".join(rows) + "\n"


def render_markdown(report: DriftReport, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The report as one GitHub issue body no longer than `limit` characters."""
    plan = report.review.plan
    meta = html.escape(", ".join(filter(None, [
        f"Terraform {plan.terraform_version}" if plan.terraform_version else "",
        f"checked at {report.checked_at}",
        "refresh-only plan",
    ])), quote=False)
    head = (f"{drift_marker(report.environment)}\n## Drift check: `{report.environment}`\n\n"
            f"**{summary_line(report)}**\n\n<sub>{meta}</sub>\n")
    if not report.drifted:
        return head
    intro = ("\nThe attributes below differ between the Terraform state and the real infrastructure. "
             f"Either apply the configuration again (`toolkit plan {report.environment}` shows what it would "
             "revert) or change the configuration to adopt the new values.\n\n")
    budget = limit - _RESERVE - len(head) - len(intro)
    parts = [head, intro]
    left_out_tables = left_out_resources = 0
    for resource in report.resources:
        heading, table = _resource_heading(resource), _attribute_table(resource)
        if len(heading) + len(table) <= budget:
            parts.append(heading + table)
            budget -= len(heading) + len(table)
        elif len(heading) <= budget:
            parts.append(heading)
            budget -= len(heading)
            left_out_tables += 1
        else:
            left_out_resources += 1
    if left_out_tables or left_out_resources:
        parts.append(f"\n---\n{left_out_resources} more drifted resources not listed and attribute tables of "
                     f"{left_out_tables} left out; run `toolkit drift {report.environment}` locally.\n")
    return "".join(parts)


def render_json(report: DriftReport) -> dict[str, Any]:
    """The review's JSON document of the refresh-only plan (its `drift` list holds the attributes),
    with the drift check's own fields on top."""
    buffer = io.StringIO()
    write_json(report.review, buffer)
    document = json.loads(buffer.getvalue())
    # Attribute lists without the ignored and volatile attributes, as in the Markdown report.
    for entry, resource in zip(document["drift"], report.resources, strict=True):
        entry["attributes"] = [{"path": diff.path, "before": diff.before, "after": diff.after}
                               for diff in resource.attributes]
    document.update({
        "kind": "drift",
        "drifted": report.drifted,
        "exit_code": report.exit_code,
        "checked_at": report.checked_at,
        "summary_line": summary_line(report),
    })
    if report.posted is not None:
        document["posted"] = {"action": report.posted.action, "issue_number": report.posted.issue_number,
                              "url": report.posted.url}
    return document


def render_text(report: DriftReport) -> str:
    lines = [summary_line(report)]
    for resource in report.resources:
        lines.append(f"  ~ {resource.address} ({'deleted' if resource.action == 'delete' else 'changed'})")
        for diff in resource.attributes:
            lines.append(f"      {diff.path}: {diff.before} (state) -> {diff.after} (real)")
    if report.posted is not None:
        lines.append(f"GitHub: {report.posted.message}")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[DriftReport], str]] = {
    "text": render_text,
    "md": render_markdown,
    "json": lambda report: json.dumps(render_json(report), indent=2, ensure_ascii=False) + "\n",
}


def render_run(run: DriftRun, output_format: str) -> str:
    """All reports of a run in one format (JSON: a list when several environments were checked)."""
    if output_format not in FORMATS:
        raise UsageError(f"unknown format '{output_format}': use one of {', '.join(FORMATS)}")
    if output_format == "json":
        documents = [render_json(result) if isinstance(result, DriftReport)
                     else {"kind": "drift", "environment": result.environment, "error": result.message,
                           "exit_code": 1}
                     for result in run.results]
        return json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False) + "\n"
    chunks = []
    for result in run.results:
        if isinstance(result, DriftReport):
            chunks.append(RENDERERS[output_format](result))
        else:
            chunks.append(f"{result.environment}: drift check failed: {result.message}\n")
    return "\n".join(chunks)
