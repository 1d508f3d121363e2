"""`toolkit cost`: what an environment will cost per month, what the plan changes, and the budget check."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from toolkit.cli.options import OutputFormat, ReportFormat


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)


def cost(
    target: str = typer.Argument(
        ..., metavar="ENV|PLAN.json",
        help="Environment name (reads its latest `toolkit plan`) or a `terraform show -json` plan file.",
        show_default=False,
    ),
    output_format: ReportFormat = OutputFormat.text,
    environment: str | None = typer.Option(
        None, "--environment", "-e", help="Environment whose region, usage and budget apply to a PLAN.json file.",
        show_default=False,
    ),
    region: str | None = typer.Option(
        None, "--region", help="Price in this region instead of the environment's aws_region.", show_default=False,
    ),
    prices_file: Path | None = typer.Option(
        None, "--prices-file", help="Another price file in the format of toolkit/data/prices.yaml.",
        show_default=False,
    ),
    fail_over_budget: bool = typer.Option(
        False, "--fail-over-budget",
        help="Exit 3 when even the low end of the estimate is above budget.monthly_max_usd.",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Price the environment's newest offline plan (`toolkit plan ENV --offline`).",
    ),
    refresh_prices: bool = typer.Option(
        False, "--refresh-prices",
        help="First fetch current prices from the AWS Price List Query API into .cache/prices/ (needs credentials).",
    ),
    set_values: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE",
        help="What-if: re-render ENV with this value (repeatable; validated like envs/*.yaml), plan it offline and "
             "show the difference from ENV as it is. Example: --set compute.max_tasks=15",
        show_default=False,
    ),
    usage_from: str | None = typer.Option(
        None, "--usage-from", metavar="cloudwatch",
        help="First read the usage assumptions (ALB requests and LCUs, log ingestion, NAT bytes, S3 sizes, Fargate "
             "tasks) from CloudWatch into envs/ENV.usage.yml, each with its metric; cost then uses them.",
        show_default=False,
    ),
    days: int = typer.Option(30, "--days", min=1, max=365, help="With --usage-from: how many days to read."),
    gates: bool = typer.Option(
        False, "--gates",
        help="Exit 3 when a gate of the environment's budget trips (budget.fail_over_max, "
             "budget.max_monthly_increase.usd/percent); no gate configured: never fails. The PR check runs this.",
    ),
) -> None:
    """Monthly cost per resource, per module and in total, the change against the prior state, the budget check.

    Example: toolkit cost prod --format md   (in CI: toolkit cost staging --gates;
    what-if: toolkit cost prod --set compute.max_tasks=15 --set cache.node_type=cache.r6g.large)
    """
    from toolkit.cost.render import write_report
    from toolkit.cost.service import GateError, OverBudgetError, default_price_book, estimate

    if refresh_prices:
        from toolkit.cost.refresh import refresh_prices as refresh
        from toolkit.project import Project

        typer.echo(refresh(default_price_book(prices_file), Project.discover().cache_dir).message(), err=True)
    from toolkit.plans.reader import without_garbage_collection

    if usage_from is not None:
        from toolkit.errors import UsageError

        if usage_from != "cloudwatch":
            raise UsageError(f"--usage-from {usage_from!r}: the only source is cloudwatch")
        from toolkit.cost.usage_metrics import write_usage_from_cloudwatch

        # The usage belongs to the environment: ENV, or -e ENV when a plan file is priced.
        path, read = write_usage_from_cloudwatch(environment or target, days=days)
        typer.echo(f"Wrote {len(read.readings)} usage values from CloudWatch ({read.days} days) to {path}"
                   + (f"; no data for: {', '.join(read.missing)}" if read.missing else ""), err=True)
    if set_values:
        from toolkit.cost.render import write_what_if
        from toolkit.cost.whatif import what_if
        from toolkit.engine.progress import StreamProgress
        from toolkit.errors import UsageError

        if environment or prices_file or fail_over_budget or gates or target.endswith(".json") or "/" in target:
            raise UsageError("--set prices an environment's offline plans: give an environment name, without "
                             "-e, --prices-file, --fail-over-budget or --gates")
        result = what_if(target, set_values, region=region, progress=StreamProgress(show_terraform_output=False))
        write_what_if(result, output_format.value, sys.stdout)
        return

    # Pricing creates many small objects and no cycles: the cyclic collector would only re-scan them.
    with without_garbage_collection():
        report = estimate(target, environment=environment, region=region, prices_file=prices_file,
                          offline=offline)
        write_report(report, output_format.value, sys.stdout)
    status = report.budget_status
    if status in ("over", "at-risk"):
        typer.echo(f"Warning: {report.budget_sentence()}", err=True)
    if fail_over_budget and status == "over":
        raise OverBudgetError(report.budget_sentence())
    tripped = report.tripped_gates() if gates else []
    if tripped:
        raise GateError("cost gate tripped: " + "; ".join(gate.sentence for gate in tripped))
