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
) -> None:
    """Monthly cost per resource, per module and in total, the change against the prior state, the budget check.

    Example: toolkit cost prod --format md   (in CI: toolkit cost staging --fail-over-budget)
    """
    from toolkit.cost.render import write_report
    from toolkit.cost.service import OverBudgetError, default_price_book, estimate

    if refresh_prices:
        from toolkit.cost.refresh import refresh_prices as refresh
        from toolkit.project import Project

        typer.echo(refresh(default_price_book(prices_file), Project.discover().cache_dir).message(), err=True)
    from toolkit.plans.reader import without_garbage_collection

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
