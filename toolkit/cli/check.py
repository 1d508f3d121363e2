"""`toolkit check`: fmt, tflint, offline schema validation, terraform validate and terraform test against the stub
providers, module contracts/README tables, checkov, and on request the version floor."""

from __future__ import annotations

import typer

from toolkit.cli.options import JsonAlias, TextOrJson, TextOrJsonFormat, wants_json


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        fmt: bool = typer.Option(False, "--fmt", help="Run only `terraform fmt -check` (combinable)."),
        tflint: bool = typer.Option(
            False, "--tflint",
            help="Run only tflint (the rules in .tflint.hcl) on terraform/ and every module (combinable).",
        ),
        schema: bool = typer.Option(
            False, "--schema", help="Run only the offline AWS provider 6.x schema validation (combinable)."
        ),
        validate: bool = typer.Option(
            False, "--validate",
            help="Run only `terraform init` + `validate` of terraform/ and every module example against the "
                 "offline stub providers (combinable).",
        ),
        tests: bool = typer.Option(
            False, "--tests",
            help="Run only `terraform test` of every module (modules/*/tests) and of terraform/tests, each "
                 "environment's file with its rendered tfvars, against the offline stub providers (combinable).",
        ),
        examples: bool = typer.Option(
            False, "--examples",
            help="Run only an offline `terraform plan` of every module example (modules/*/examples/*) against the "
                 "offline stub providers (combinable).",
        ),
        rules: bool = typer.Option(
            False, "--rules",
            help="Run only the AWS apply-time rules (docs/CHECKS.md) on the offline plan of every environment "
                 "(combinable).",
        ),
        docs: bool = typer.Option(
            False, "--docs", "--contract", help="Run only the module contract and README table check (combinable)."
        ),
        checkov: bool = typer.Option(False, "--checkov", help="Run only checkov (combinable)."),
        floor: bool = typer.Option(
            False, "--floor",
            help="Run only the version floor, which a plain `toolkit check` leaves out (minutes): validate at "
                 "Terraform 1.5.7, the lowest the modules declare, and the module tests at 1.11.4, the lowest that "
                 "runs them (combinable).",
        ),
        write: bool = typer.Option(
            False, "--write", help="Rewrite the README tables between the TF_DOCS markers before checking."
        ),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print notes (fmt diffs, schema source)."),
        output_format: TextOrJsonFormat = TextOrJson.text,
        json_alias: JsonAlias = False,
    ) -> None:
        """Check the Terraform code in modules/ and terraform/: fmt, tflint, schema, validate, tests, example plans,
        rules, contract/docs, checkov (and, with --floor, the version floor).

        Prints the problems (file:line: address: message) and a summary table; exits non-zero when
        any check fails. With no selection every check runs.

        Example: toolkit check --schema --docs
        """
        from toolkit.checks.runner import CheckTargets, failure, format_json, format_text, run_checks
        from toolkit.project import Project

        project = Project.discover()
        selected = [
            name
            for name, chosen in (("fmt", fmt), ("tflint", tflint), ("schema", schema), ("validate", validate),
                                 ("tests", tests), ("examples", examples), ("rules", rules), ("contract", docs),
                                 ("checkov", checkov), ("floor", floor))
            if chosen
        ]
        results = run_checks(CheckTargets(project.root, project.cache_dir), selected, write_docs=write)
        as_json = wants_json(output_format, json_alias)
        typer.echo(format_json(results) if as_json else format_text(results, verbose=verbose))
        error = failure(results)
        if error is not None:
            raise error
