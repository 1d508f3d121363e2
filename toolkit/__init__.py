"""Per-environment Terraform for AWS: render, check, plan, review, apply, rollback and DB migrations."""

__version__ = "0.1.0"
