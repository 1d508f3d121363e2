"""`toolkit cost`: find the plan, price it, compare it with the environment's budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from toolkit.config.model import BudgetSettings, UsageRange, UsageSettings
from toolkit.cost.estimate import CostCollector, PricingContext, ResourceCost, price_resources
from toolkit.cost.prices import PriceBook, load_price_book
from toolkit.errors import ConfigError, ToolkitError
from toolkit.plans.locate import locate_plan, read_metadata
from toolkit.plans.reader import PlanDocument, read_plan, without_garbage_collection
from toolkit.project import Project

OVER_BUDGET_EXIT_CODE = 3
_REGION_VARIABLES = ("aws_region", "region")


class NoRegionError(ConfigError):
    """Neither --region, nor an environment file, nor the plan says which region to price in."""


class OverBudgetError(ToolkitError):
    """--fail-over-budget: the estimate's low end is above the budget's maximum."""

    exit_code = OVER_BUDGET_EXIT_CODE


@dataclass(frozen=True)
class Budget:
    minimum: float
    maximum: float
    source: str
    # Gates (budget.fail_over_max, budget.max_monthly_increase): what `toolkit cost --gates` fails on.
    fail_over_max: bool = False
    max_increase_usd: float | None = None
    max_increase_percent: float | None = None


@dataclass(frozen=True)
class Gate:
    """One configured gate and whether this plan trips it."""

    name: str
    tripped: bool
    sentence: str


class GateError(ToolkitError):
    """--gates: a gate configured in the environment's budget tripped."""

    exit_code = OVER_BUDGET_EXIT_CODE


@dataclass
class CostReport:
    environment: str
    region: str
    plan_path: Path
    price_origin: str
    usage: UsageSettings
    usage_source: str
    resources: list[ResourceCost]
    budget: Budget | None
    hours_per_month: float
    notes: list[str] = field(default_factory=list)
    # An offline plan against a base revision (toolkit plan --offline --against): "main at 0123456789ab".
    base: str = ""

    @property
    def compared_with(self) -> str:
        """What the change is measured against: the base revision, or the state the plan started from."""
        return f"the base {self.base}" if self.base else "the prior state"

    def changed(self) -> list[ResourceCost]:
        """Every resource the plan changes, in plan order (priced or not)."""
        return [cost for cost in self.resources if cost.action != "no-op"]

    # -- totals ---------------------------------------------------------------------------------

    @cached_property
    def planned_low(self) -> float:
        return sum(cost.planned.low for cost in self.resources if cost.planned)

    @cached_property
    def planned_high(self) -> float:
        return sum(cost.planned.high for cost in self.resources if cost.planned)

    @cached_property
    def prior_low(self) -> float:
        return sum(cost.prior.low for cost in self.resources if cost.prior)

    @cached_property
    def prior_high(self) -> float:
        return sum(cost.prior.high for cost in self.resources if cost.prior)

    # The change counts only the resources whose change is known (ResourceCost.change_known) and the added ones
    # (their priced part; `added_unpriced` says what is missing): the others are named as not priced instead.
    @cached_property
    def delta_low(self) -> float:
        return sum(cost.delta_low for cost in self.resources if cost.change_known)

    @cached_property
    def delta_high(self) -> float:
        return sum(cost.delta_high for cost in self.resources if cost.change_known)

    def changed_unpriced(self) -> list[ResourceCost]:
        """Resources that existed and change without a price on one side: left out of the change, never $0."""
        return [cost for cost in self.changed() if not cost.change_known]

    def not_priced(self) -> list[tuple[ResourceCost, str]]:
        """(resource, why) for every planned resource or line without a price."""
        return self._not_priced

    @cached_property
    def _not_priced(self) -> list[tuple[ResourceCost, str]]:
        found: list[tuple[ResourceCost, str]] = []
        for cost in self.resources:
            side = cost.planned
            if side is None:
                continue
            if side.not_priced:
                found.append((cost, side.not_priced))
            for line in side.unpriced_lines:
                why = line.price.source if line.quantity_known else "the quantity is known only after apply"
                found.append((cost, f"{line.label}: {why}"))
        return found

    @property
    def complete(self) -> bool:
        return not self.not_priced()

    def modules(self) -> list[tuple[str, float, float]]:
        """(module, low, high) of the planned state, most expensive first."""
        totals: dict[str, list[float]] = {}
        for cost in self.resources:
            if cost.planned is None:
                continue
            entry = totals.setdefault(cost.module or "(root)", [0.0, 0.0])
            entry[0] += cost.planned.low
            entry[1] += cost.planned.high
        return sorted(((name, low, high) for name, (low, high) in totals.items()), key=lambda row: -row[2])

    def top_changes(self, limit: int) -> list[ResourceCost]:
        """The changed resources whose monthly cost moves most."""
        changed = [cost for cost in self.resources
                   if cost.action != "no-op" and (cost.delta_low or cost.delta_high)]
        changed.sort(key=lambda cost: (-max(abs(cost.delta_low), abs(cost.delta_high)), cost.address))
        return changed[:limit]

    # -- budget ---------------------------------------------------------------------------------

    @property
    def budget_status(self) -> str:
        """over | at-risk | under | within | unknown (no budget) — against the planned range."""
        if self.budget is None:
            return "unknown"
        if self.planned_low > self.budget.maximum:
            return "over"
        if self.planned_high > self.budget.maximum:
            return "at-risk"
        if self.planned_high < self.budget.minimum and self.complete:
            return "under"
        return "within"

    def budget_sentence(self) -> str:
        if self.budget is None:
            return "No budget: estimate an environment (toolkit cost ENV) to compare with budget.monthly_*_usd."
        budget = self.budget
        span = f"{money(budget.minimum)}–{money(budget.maximum)}"
        estimate = money_range(self.planned_low, self.planned_high)
        lower_bound = "" if self.complete else f" (a lower bound: {items(len(self.not_priced()))} not priced)"
        status = self.budget_status
        # Prices are never bent to fit: a sizing that costs more than its budget is a finding for its authors.
        finding = (f" The sizes planned for {self.environment} cost more than its budget allows: a finding for "
                   "whoever set the sizing and the budget (the sizing plan), not something to hide by adjusting "
                   "prices.")
        if status == "over":
            return (f"OVER BUDGET: {estimate}{lower_bound} is above the {span} budget ({budget.source}) even at "
                    f"its low end, by {money(self.planned_low - budget.maximum)}.{finding}")
        if status == "at-risk":
            return (f"Budget at risk: {estimate}{lower_bound} goes above the {span} budget ({budget.source}) at its "
                    f"high end, by {money(self.planned_high - budget.maximum)}.{finding}")
        if status == "under":
            return f"Under budget: {estimate} is below the {span} budget ({budget.source})."
        if not self.complete:
            return (f"Within budget so far: {estimate}{lower_bound} against {span} ({budget.source}); "
                    "the unpriced items could still take it over.")
        return f"Within budget: {estimate} against {span} ({budget.source})."

    def added_unpriced(self) -> list[ResourceCost]:
        """Resources this plan creates (or replaces) that are not fully priced: never shown as $0 or a saving."""
        return [cost for cost in self.resources
                if cost.action in ("create", "replace") and cost.planned is not None and not cost.planned.complete]

    def gates(self) -> list[Gate]:
        """The gates the environment configures, each with whether this plan trips it."""
        budget = self.budget
        if budget is None:
            return []
        found: list[Gate] = []
        unpriced = self.added_unpriced()
        caveat = (f" ({items(len(unpriced))} added not priced: the real figure can only be higher)"
                  if unpriced else "")
        if budget.fail_over_max:
            over = self.planned_low > budget.maximum
            found.append(Gate("budget.fail_over_max", over,
                              f"budget.fail_over_max: the estimate's low end {money(self.planned_low)} is "
                              f"{'above' if over else 'within'} monthly_max_usd {money(budget.maximum)}"
                              f"{caveat if not over else ''}"))
        if budget.max_increase_usd is not None:
            tripped = self.delta_low > budget.max_increase_usd
            found.append(Gate("budget.max_monthly_increase.usd", tripped,
                              f"budget.max_monthly_increase.usd: the plan adds {signed_money(self.delta_low)}/month "
                              f"(low end), {'more than' if tripped else 'within'} the "
                              f"{money(budget.max_increase_usd)} allowed{caveat if not tripped else ''}"))
        if budget.max_increase_percent is not None:
            if self.prior_low <= 0:
                found.append(Gate("budget.max_monthly_increase.percent", False,
                                  "budget.max_monthly_increase.percent: not applied (nothing priced exists yet, "
                                  "so a percentage of it means nothing; the usd gate still applies)"))
            else:
                percent = self.delta_low / self.prior_low * 100
                tripped = percent > budget.max_increase_percent
                found.append(Gate("budget.max_monthly_increase.percent", tripped,
                                  f"budget.max_monthly_increase.percent: the plan adds {percent:+.1f}% of "
                                  f"{money(self.prior_low)}/month, {'more than' if tripped else 'within'} the "
                                  f"{budget.max_increase_percent:g}% allowed{caveat if not tripped else ''}"))
        return found

    def tripped_gates(self) -> list[Gate]:
        return [gate for gate in self.gates() if gate.tripped]

    def per_student(self) -> tuple[float, float] | None:
        students = self.usage.active_students
        if not students:
            return None
        return self.planned_low / students, self.planned_high / students

    def per_student_sentence(self) -> str:
        students = self.usage.active_students
        per_student = self.per_student()
        if per_student is None or students is None:
            return "Cost per active student: not computed (usage.active_students is not set)."
        low, high = per_student
        text = f"Cost per active student: {cents(low)}–{cents(high)} at {students:,} students"
        target: UsageRange | None = self.usage.cost_per_student_target_usd
        if target is not None:
            verdict = ("above" if low > target.high else "can go above" if high > target.high
                       else "within")
            text += f" ({verdict} the {cents(target.low)}–{cents(target.high)} target)"
        if not self.complete:
            text += ", a lower bound"
        return text + "."


def items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def signed_money(value: float) -> str:
    return ("+" if value >= 0 else "-") + f"${abs(value):,.2f}"


def money_range(low: float, high: float) -> str:
    return money(low) if abs(high - low) < 0.005 else f"{money(low)}–{money(high)}"


def signed_range(low: float, high: float) -> str:
    return signed_money(low) if abs(high - low) < 0.005 else f"{signed_money(low)} to {signed_money(high)}"


def cents(value: float) -> str:
    return f"${value:,.4f}"


# -- building a report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentFacts:
    """What the environment file says that the estimate needs (when the environment is known)."""

    region: str | None
    usage: UsageSettings
    budget: Budget | None
    source: str


def environment_facts(environment: str | None) -> EnvironmentFacts:
    """Region, usage and budget from envs/ENV.yaml; defaults when the environment has no file."""
    if environment:
        from toolkit.config.environment import load_environment

        try:
            project = Project.discover()
        except ConfigError:
            project = None
        if project is not None and (project.envs_dir / f"{environment}.yaml").is_file():
            config = load_environment(project, environment)
            facts = facts_of(config.settings, f"envs/{environment}.yaml")
            return _with_usage_file(facts, project, environment)
    return EnvironmentFacts(None, UsageSettings(), None, "defaults (no environment file)")


_USAGE_FILE_LIMIT = 256 * 1024


def _with_usage_file(facts: EnvironmentFacts, project: Any, environment: str) -> EnvironmentFacts:
    """Measured usage (envs/ENV.usage.yml, from --usage-from cloudwatch) over the file's assumptions."""
    from toolkit.cost.usage_metrics import merged_usage, usage_file

    path = usage_file(project, environment)
    if not path.is_file():
        return facts
    from toolkit.config.yaml_source import load_sourced

    if path.stat().st_size > _USAGE_FILE_LIMIT:
        raise ConfigError(f"{project.display(path)}: a usage file is a few lines; this one is over "
                          f"{_USAGE_FILE_LIMIT // 1024} KB: delete it and read the usage again")
    # The environment files' own loader: duplicate keys and malformed YAML are reported with their line.
    document = load_sourced(path, project.display(path)).data
    usage = merged_usage(facts.usage, document, path)
    return EnvironmentFacts(facts.region, usage, facts.budget,
                            f"{facts.source} + {project.display(path)} (measured in CloudWatch)")


def facts_of(settings: Any, source: str) -> EnvironmentFacts:
    """Region, usage and budget (with its gates) of validated settings."""
    budget_settings: BudgetSettings = settings.budget
    increase = budget_settings.max_monthly_increase
    budget = Budget(budget_settings.monthly_min_usd, budget_settings.monthly_max_usd, f"budget in {source}",
                    fail_over_max=budget_settings.fail_over_max,
                    max_increase_usd=increase.usd if increase else None,
                    max_increase_percent=increase.percent if increase else None)
    return EnvironmentFacts(settings.aws_region, settings.usage, budget, source)


def region_of_plan(plan: PlanDocument) -> str | None:
    """The region a plan was made for, from its root variables (`aws_region` or `region`)."""
    for name in _REGION_VARIABLES:
        variable = plan.variables.get(name)
        if isinstance(variable, dict) and isinstance(variable.get("value"), str) and variable["value"]:
            return str(variable["value"])
    return None


def build_report(plan: PlanDocument, collector: CostCollector, environment: str, *, region: str | None = None,
                 book: PriceBook | None = None, facts: EnvironmentFacts | None = None) -> CostReport:
    """Price the collected resources. Region: `region`, else the environment's, else the plan's variables."""
    facts = facts or environment_facts(environment)
    book = book or default_price_book()
    chosen = region or facts.region or region_of_plan(plan)
    if not chosen:
        raise NoRegionError(f"{plan.source}: cannot tell the AWS region (no environment file and no aws_region "
                            "variable in the plan): pass --region REGION")
    book.check_region(chosen)

    def context_for(by_module: dict[str, Any], counts: dict[str, Any]) -> PricingContext:
        return PricingContext(book, chosen, facts.usage, book.hours_per_month, by_module, counts)

    resources = price_resources(collector.resources, context_for)
    notes = []
    planned_region = region_of_plan(plan)
    if planned_region and planned_region != chosen:
        notes.append(f"the plan's aws_region is {planned_region}; priced in {chosen}")
    return CostReport(environment=environment, region=chosen, plan_path=plan.source, price_origin=book.origin,
                      usage=facts.usage, usage_source=facts.source, resources=resources, budget=facts.budget,
                      hours_per_month=book.hours_per_month, notes=notes)


def default_price_book(prices_file: Path | None = None) -> PriceBook:
    """The snapshot (or `prices_file`), overlaid by the project's refreshed prices when there are any."""
    cache_dir = None
    if prices_file is None:
        try:
            cache_dir = Project.discover().cache_dir
        except ConfigError:
            cache_dir = None
    return load_price_book(prices_file, cache_dir)


def estimate(target: str, *, environment: str | None = None, region: str | None = None,
             prices_file: Path | None = None, offline: bool = False,
             then: Callable[[str, dict[str, Any], Any], None] | None = None) -> CostReport:
    """Read the plan of `target` (ENV or PLAN.json; the newest offline plan with `offline`) and price it."""
    location = locate_plan(target, environment, offline=offline)
    facts = environment_facts(location.environment)
    book = default_price_book(prices_file)
    if region:
        book.check_region(region)
    elif facts.region:
        book.check_region(facts.region)
    collector = CostCollector(then)
    with without_garbage_collection():
        plan = read_plan(location.path, on_entry=collector)
    try:
        report = build_report(plan, collector, location.environment, region=region, book=book, facts=facts)
    finally:
        plan.close()

    report.base = base_label(read_metadata(location.path))
    return report


def base_label(metadata: dict[str, Any]) -> str:
    """`REF at COMMIT` of an offline plan made against a base revision, else ""."""
    base = metadata.get("offline_base")
    if not isinstance(base, dict) or base.get("environment_at_base") != "yes":
        return ""
    return f"{base.get('ref', '?')} at {str(base.get('commit', ''))[:12]}"


def review_cost(plan: PlanDocument, collector: CostCollector, environment: str) -> tuple[CostReport | None, str]:
    """The cost section of a review; a problem (no region, corrupt prices) is shown, never fatal to the review."""
    try:
        return build_report(plan, collector, environment), ""
    except NoRegionError:
        return None, "no AWS region: review it as an environment (-e ENV), or plan with an aws_region variable"
    except ToolkitError as error:
        # One line in the summary; `toolkit cost` shows the whole message.
        return None, str(error).splitlines()[0]
