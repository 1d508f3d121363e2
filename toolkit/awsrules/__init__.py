"""AWS apply-time rules over Terraform's plan JSON: limits that only AWS's API enforces (docs/CHECKS.md lists them)."""

from toolkit.awsrules.base import ERROR, WARNING, Rule, RuleFinding, Source
from toolkit.awsrules.engine import RulesEngine, RulesReport, evaluate_plan

__all__ = ["ERROR", "WARNING", "Rule", "RuleFinding", "RulesEngine", "RulesReport", "Source", "evaluate_plan"]
