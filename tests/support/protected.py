"""What a protected environment must set (toolkit/config/model.py `_protected_environment_rules`), for fixtures
that make a protected environment of the sandbox root: one place, so a new rule changes one file."""

from __future__ import annotations

from typing import Any

PROTECTED_DATABASE = {"multi_az": True, "deletion_protection": True, "backup_retention_days": 7}
PROTECTED_SETTINGS: dict[str, Any] = {
    "database": PROTECTED_DATABASE,
    "backup": {"enabled": True, "retention_days": 30},
    "audit": {"cloudtrail": True},
    # No hosted zone in the emulator: the certificates are given (envs validation wants one or the other).
    "domain": {"name": "sandbox.example.com",
               "alb_certificate_arn": "arn:aws:acm:sa-east-1:123456789012:certificate/"
                                      "11111111-2222-3333-4444-555555555555",
               "cloudfront_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/"
                                             "66666666-7777-8888-9999-000000000000"},
    # The application's own image (not the placeholder) and someone the alarms reach.
    "compute": {"cpu": 256, "memory_mib": 512, "min_tasks": 1, "max_tasks": 3,
                "container_image": "public.ecr.aws/example/app:1.0.0", "container_port": 8080,
                "health_check_path": "/health"},
    "monitoring": {"alarm_emails": ["oncall@example.com"]},
}
