"""Static checks of the Terraform code: fmt, offline provider-schema validation, module contracts and
README tables, and checkov. `run_checks` runs a selection and returns one CheckResult per check."""
