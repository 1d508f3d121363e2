"""The cost report as text (terminal), Markdown (pull request) and JSON (machines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from toolkit.cost.estimate import CostLine, ResourceCost, Side
from toolkit.cost.service import CostReport, cents, items, money, money_range, signed_range
from toolkit.text import md_cell, md_code

FORMATS = ("text", "md", "json")


def _added_unpriced_note(report: CostReport) -> str:
    added = len(report.added_unpriced())
    return f" + {added} added resource{'s' if added != 1 else ''} not priced" if added else ""


def _changed_unpriced_note(report: CostReport) -> str:
    unpriced = len(report.changed_unpriced())
    return f" ({unpriced} changed resource{'s' if unpriced != 1 else ''} not priced)" if unpriced else ""


def headline(report: CostReport) -> str:
    estimate = money_range(report.planned_low, report.planned_high)
    lower = "" if report.complete else " (lower bound)"
    gaps = _changed_unpriced_note(report)
    return (f"Monthly cost of {report.environment} ({report.region}): {estimate}{lower}; "
            f"change {signed_range(report.delta_low, report.delta_high)}{_added_unpriced_note(report)}{gaps} "
            f"against {report.compared_with}")


def summary_line(report: CostReport) -> str:
    """One line for the review's summary."""
    missing = len(report.not_priced())
    lower = f", {items(missing)} not priced" if missing else ""
    against = f" against {report.compared_with}" if report.base else ""
    tripped = report.tripped_gates()
    gates = f"; GATE TRIPPED: {', '.join(gate.name for gate in tripped)}" if tripped else ""
    return (f"Cost: {signed_range(report.delta_low, report.delta_high)}/month{_added_unpriced_note(report)}"
            f"{_changed_unpriced_note(report)}{against} "
            f"→ {money_range(report.planned_low, report.planned_high)}/month{lower}; budget {report.budget_status}"
            f"{gates}")


def gate_lines(report: CostReport) -> list[str]:
    return [f"{'FAILED' if gate.tripped else 'passed'}: {gate.sentence}" for gate in report.gates()]


def change_text(cost: ResourceCost) -> str:
    """A resource's monthly change, or why it cannot be told (a side not priced is not a $0.00 change)."""
    if cost.action == "no-op":
        return "unchanged"
    sides = [side for side in (cost.planned, cost.prior) if side is not None]
    if any(side.not_priced or side.unpriced_lines for side in sides):
        known = signed_range(cost.delta_low, cost.delta_high)
        return f"change not priced (priced part {known})" if cost.delta_low or cost.delta_high else \
            "change not priced"
    return signed_range(cost.delta_low, cost.delta_high)


def _quantity(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def line_text(line: CostLine) -> str:
    quantity = (_quantity(line.quantity_low) if line.quantity_low == line.quantity_high
                else f"{_quantity(line.quantity_low)}–{_quantity(line.quantity_high)}")
    unit = line.price.unit or "units"
    usage = f" [{line.usage_key}]" if line.usage_key else ""
    note = f" ({line.note})" if line.note else ""
    if not line.quantity_known:
        return f"{line.label} — not priced: the quantity is known only after apply"
    if line.price.usd is None:
        if line.priced:
            return f"{line.label}: {quantity} {unit} = $0.00 (price unknown: {line.price.source}){usage}{note}"
        return f"{line.label}: {quantity} {unit} — not priced: {line.price.source}{usage}{note}"
    return (f"{line.label}: {quantity} {unit} × ${line.price.usd:g} = "
            f"{money_range(line.monthly_low, line.monthly_high)}{usage}{note}")


def _side_total(side: Side | None) -> str:
    if side is None:
        return "—"
    if side.free:
        return "free"
    if side.not_priced:
        return "not priced"
    total = money_range(side.low, side.high)
    return total if side.complete else f"{total}+"


def _text_lines(report: CostReport) -> Iterator[str]:
    yield headline(report)
    yield report.budget_sentence()
    yield report.per_student_sentence()
    yield (f"Prices: {report.price_origin}; {report.hours_per_month:g} hours a month. "
           f"Usage assumptions: {report.usage_source}.")
    for note in report.notes:
        yield f"Note: {note}."
    for line in gate_lines(report):
        yield f"Gate {line}."
    for cost in report.added_unpriced():
        yield f"Added and not priced (the change above leaves it out, it is not $0): {cost.address}"
    yield ""
    yield "By module (planned):"
    for name, low, high in report.modules():
        yield f"  {name:<40} {money_range(low, high)}"
    changed = report.changed()
    if report.base:
        yield ""
        yield f"Changed against the base {report.base} ({len(changed)}):"
        for cost in changed:
            yield f"  {cost.address} [{cost.action}] {_side_total(cost.prior)} → {_side_total(cost.planned)} " \
                  f"({change_text(cost)})"
        if not changed:
            yield "  nothing"
    yield ""
    yield f"By resource (planned; change against {report.compared_with}):"
    for cost in report.resources:
        if cost.planned is None and cost.prior is None:
            continue
        side = cost.planned if cost.planned is not None else cost.prior
        if side is not None and side.free:
            continue
        change = change_text(cost)
        yield f"  {cost.address} [{cost.action}] {_side_total(cost.planned)} ({change})"
        shown = cost.planned or cost.prior
        if shown is not None:
            for line in shown.lines:
                yield f"      {line_text(line)}"
    not_priced = report.not_priced()
    yield ""
    if not_priced:
        yield f"Not priced ({len(not_priced)}): the totals above leave these out."
        for cost, why in not_priced:
            yield f"  {cost.address}: {why}"
    else:
        yield "Not priced: nothing."
    free = sum(1 for cost in report.resources if cost.planned is not None and cost.planned.free)
    yield f"Free: {free} resources cost nothing by themselves (IAM, routes, security groups, …)."


def write_text(report: CostReport, out: TextIO) -> None:
    out.write("\n".join(_text_lines(report)) + "\n")


def _address(address: str) -> str:
    """An address as inline code that its own backticks or pipes cannot break out of (in a table, GitHub reads
    `\\|` inside code as a pipe; entities there would show as typed)."""
    return md_code(" ".join(address.split())).replace("|", "\\|")


def markdown_section(report: CostReport, *, top: int = 10, heading: str = "###") -> str:
    """The cost section of a review comment: totals, budget, the biggest changes, what is not priced."""
    parts = [f"\n{heading} 💰 Cost\n\n",
             f"**{md_cell(headline(report))}**\n\n",
             f"- {md_cell(report.budget_sentence())}\n",
             f"- {md_cell(report.per_student_sentence())}\n",
             *(f"- Note: {md_cell(note)}.\n" for note in report.notes),
             *(f"- {'❌ Gate ' if gate.tripped else '✅ Gate '}{md_cell(line)}.\n"
               for gate, line in zip(report.gates(), gate_lines(report), strict=True))]
    if report.base:
        changed = report.changed()
        parts.append(f"\n<details><summary>Changed against the base {md_cell(report.base)}: "
                     f"{items(len(changed))}</summary>\n\n| resource | action | base → planned | monthly change |\n"
                     "|---|---|---|---|\n")
        parts.extend(f"| {_address(cost.address)} | {cost.action} | {_side_total(cost.prior)} → "
                     f"{_side_total(cost.planned)} | {change_text(cost)} |\n" for cost in changed[:top * 4])
        if len(changed) > top * 4:
            parts.append(f"\n… and {len(changed) - top * 4} more (`toolkit cost {report.environment} --offline`)\n")
        parts.append("\n</details>\n")
    changes = report.top_changes(top)
    added = report.added_unpriced()
    shown = {cost.address for cost in changes}
    # One table of at most `top` rows; the added-and-unpriced ones not listed are counted in a last row.
    unpriced_rows = [cost for cost in added if cost.address not in shown][:max(0, top - len(changes))]
    if changes or unpriced_rows:
        parts.append("\n| resource | action | monthly change |\n|---|---|---|\n")
        for cost in changes:
            change = signed_range(cost.delta_low, cost.delta_high)
            if cost in added:
                change += " + not priced"
            parts.append(f"| {_address(cost.address)} | {cost.action} | {change} |\n")
        for cost in unpriced_rows:
            # An added resource without a price is never a +$0.00 row: it says what it is.
            parts.append(f"| {_address(cost.address)} | {cost.action} | **not priced** |\n")
    if added and len(added) > len(unpriced_rows) + sum(1 for cost in changes if cost in added):
        if not (changes or unpriced_rows):
            parts.append("\n| resource | action | monthly change |\n|---|---|---|\n")
        parts.append(f"| … | | {items(len(added))} added and not priced in all |\n")
    not_priced = report.not_priced()
    if not_priced:
        listed = not_priced[:top]
        more = len(not_priced) - len(listed)
        parts.append(f"\n<details><summary>Not priced: {items(len(not_priced))} (totals leave them out)</summary>\n\n")
        parts.extend(f"- {_address(cost.address)}: {md_cell(why)}\n" for cost, why in listed)
        if more:
            parts.append(f"- … and {more} more (`toolkit cost {report.environment}` lists them all)\n")
        parts.append("\n</details>\n")
    return "".join(parts)


def write_markdown(report: CostReport, out: TextIO) -> None:
    out.write(f"## Cost estimate: `{report.environment}`\n")
    out.write(markdown_section(report, top=20, heading="###"))
    out.write("\n### By module\n\n| module | monthly (planned) |\n|---|---|\n")
    for name, low, high in report.modules():
        out.write(f"| {_address(name)} | {money_range(low, high)} |\n")
    out.write(f"\n<sub>Prices: {md_cell(report.price_origin)}. Usage: {md_cell(report.usage_source)}.</sub>\n")


def _price_key(line: CostLine) -> str:
    price = line.price
    instance_type = price.attributes.get("instanceType", "")
    return f"{price.product}{'/' + instance_type if instance_type else ''}@{price.region}"


def _price_json(line: CostLine) -> dict[str, Any]:
    price = line.price
    return {"product": price.product, "usd": price.usd, "unit": price.unit, "service_code": price.service_code,
            "location": price.location, "attributes": price.attributes, "as_of": price.as_of, "source": price.source}


def _line_json(line: CostLine, prices: dict[str, Any]) -> dict[str, Any]:
    key = _price_key(line)
    if key not in prices:
        prices[key] = _price_json(line)
    return {
        "label": line.label,
        "quantity": [line.quantity_low, line.quantity_high],
        "unit": line.price.unit,
        "unit_price_usd": line.price.usd,
        "monthly_usd": [round(line.monthly_low, 4), round(line.monthly_high, 4)] if line.priced else None,
        "priced": line.priced,
        "usage_key": line.usage_key,
        "note": line.note,
        "price": key,
    }


def _side_json(side: Side | None, prices: dict[str, Any]) -> dict[str, Any] | None:
    if side is None:
        return None
    return {"free": side.free, "not_priced": side.not_priced or None, "complete": side.complete,
            "monthly_usd": [round(side.low, 4), round(side.high, 4)],
            "lines": [_line_json(line, prices) for line in side.lines]}


def _resource_json(cost: ResourceCost, prices: dict[str, Any]) -> dict[str, Any]:
    return {"address": cost.address, "module": cost.module, "type": cost.type, "action": cost.action,
            "planned": _side_json(cost.planned, prices),
            "prior": _side_json(cost.prior, prices),
            "delta_usd": [round(cost.delta_low, 4), round(cost.delta_high, 4)], "change": change_text(cost)}


def report_json(report: CostReport, *, resources: bool = True) -> dict[str, Any]:
    budget = report.budget
    per_student = report.per_student()
    document: dict[str, Any] = {
        "version": 1,
        "environment": report.environment,
        "region": report.region,
        "currency": "USD",
        "hours_per_month": report.hours_per_month,
        "prices": report.price_origin,
        "usage_source": report.usage_source,
        "usage": report.usage.model_dump(mode="json"),
        "planned_usd": [round(report.planned_low, 2), round(report.planned_high, 2)],
        "prior_usd": [round(report.prior_low, 2), round(report.prior_high, 2)],
        "delta_usd": [round(report.delta_low, 2), round(report.delta_high, 2)],
        "complete": report.complete,
        "notes": report.notes,
        "compared_with": report.compared_with,
        "not_priced": [{"address": cost.address, "reason": why} for cost, why in report.not_priced()],
        "budget": None if budget is None else {"min_usd": budget.minimum, "max_usd": budget.maximum,
                                               "source": budget.source, "status": report.budget_status,
                                               "sentence": report.budget_sentence()},
        "gates": [{"name": gate.name, "tripped": gate.tripped, "sentence": gate.sentence}
                  for gate in report.gates()],
        "added_not_priced": [cost.address for cost in report.added_unpriced()],
        "changed_not_priced": [cost.address for cost in report.changed_unpriced()],
        "per_active_student_usd": None if per_student is None else [round(value, 6) for value in per_student],
        "modules": [{"module": name, "monthly_usd": [round(low, 2), round(high, 2)]}
                    for name, low, high in report.modules()],
    }
    if resources:
        # Each price (product, instance type, region) once, with its Price List attributes; lines name it.
        prices: dict[str, Any] = {}
        document["resources"] = [_resource_json(cost, prices) for cost in report.resources]
        document["prices"] = prices
    return document


def dumps(document: Any) -> str:
    """JSON without `Infinity` or `NaN` (not JSON): a non-finite number is a bug, raised, never printed."""
    # No indent: json's C encoder is used only without it (5× faster on a 50,000-resource plan).
    return json.dumps(document, allow_nan=False)


def write_json(report: CostReport, out: TextIO) -> None:
    out.write(dumps(report_json(report)))
    out.write("\n")


def write_report(report: CostReport, output_format: str, out: TextIO) -> None:
    {"text": write_text, "md": write_markdown, "json": write_json}[output_format](report, out)


__all__ = ["FORMATS", "cents", "headline", "markdown_section", "money", "report_json", "summary_line",
           "write_report"]


# -- what-if (`toolkit cost ENV --set …`) -----------------------------------------------------------------


def _what_if_lines(result: Any) -> Iterator[str]:
    base, variant = result.base, result.variant
    low, high = result.difference
    yield (f"What if {result.environment} had {', '.join(a.shown for a in result.assignments)} "
           f"(offline plans, {variant.region}):")
    for name, report in (("as it is", base), ("what if", variant)):
        missing = len(report.not_priced())
        lower = f" (lower bound: {items(missing)} not priced)" if missing else ""
        yield f"  {name + ':':<11} {money_range(report.planned_low, report.planned_high)}/month{lower}"
    yield f"  difference: {signed_range(low, high)}/month"
    yield f"Budget, what if: {variant.budget_sentence()}"
    if len(variant.not_priced()) != len(base.not_priced()):
        yield (f"Not priced: {len(base.not_priced())} as it is, {len(variant.not_priced())} what if "
               "(the difference leaves them out)")
    rows = result.changed()
    yield ""
    yield "Resources whose monthly cost moves (as it is → what if):" if rows else "No resource's monthly cost moves."
    for address, base_low, base_high, low_after, high_after in rows[:40]:
        yield f"  {address}: {money_range(base_low, base_high)} → {money_range(low_after, high_after)}"
    if len(rows) > 40:
        yield f"  … and {len(rows) - 40} more (--format json lists them all)"


def _what_if_json(result: Any) -> dict[str, Any]:
    low, high = result.difference
    return {
        "version": 1,
        "environment": result.environment,
        "set": {assignment.key: assignment.value for assignment in result.assignments},
        "as_is": report_json(result.base, resources=False),
        "what_if": report_json(result.variant, resources=False),
        "difference_usd": [round(low, 2), round(high, 2)],
        "resources": [{"address": address, "as_is_usd": [round(a, 2), round(b, 2)],
                       "what_if_usd": [round(c, 2), round(d, 2)]}
                      for address, a, b, c, d in result.changed()],
    }


def write_what_if(result: Any, output_format: str, out: TextIO) -> None:
    if output_format == "json":
        out.write(dumps(_what_if_json(result)) + "\n")
        return
    lines = list(_what_if_lines(result))
    if output_format == "md":
        out.write(f"## What if: `{result.environment}`\n\n```\n" + "\n".join(lines).replace("```", "'''")
                  + "\n```\n")
        return
    out.write("\n".join(lines) + "\n")
