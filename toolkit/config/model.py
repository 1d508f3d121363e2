"""The schema of an environment file (after merging over envs/defaults.yaml).

Field constraints carry AWS's own limits so that a value AWS would reject only at apply time is
caught before anything is rendered. Cross-field rules live in the model validators.
"""

from __future__ import annotations

import ipaddress
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from toolkit.config.regions import region_problem


def known_region(value: str) -> str:
    """A region botocore knows (any partition); a typo such as sa-east-9 fails with a did-you-mean."""
    problem = region_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Fargate CPU units -> allowed memory (MiB). From the ECS task-size table.
FARGATE_MEMORY_BY_CPU: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}
CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                             2192, 2557, 2922, 3288, 3653]
ENHANCED_MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60]
WAF_WINDOWS = [60, 120, 300, 600]
INFREQUENT_ACCESS_CLASSES = {"STANDARD_IA", "ONEZONE_IA"}
ARCHIVE_CLASSES = {"GLACIER", "GLACIER_IR", "DEEP_ARCHIVE"}


# Tag keys the root (terraform/main.tf, local.tags) and the modules (Name) set on every resource themselves.
BUILT_IN_TAG_KEYS: tuple[str, ...] = ("Project", "Environment", "ManagedBy", "Name")


class RuleViolation(ValueError):
    """A cross-field rule failed; `path` names the key the message is about."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TerraformSettings(Strict):
    root: str = Field("terraform", description="Root module folder, relative to the project.")


LockKind = Literal["s3", "dynamodb", "both"]
LOCK_KINDS: tuple[str, ...] = ("s3", "dynamodb", "both")


class BackendSettings(Strict):
    type: Literal["local", "s3"] = "local"
    bucket: str | None = None
    lock: LockKind | None = Field(
        None, description="How every run of the environment locks the S3 state: s3 (a <key>.tflock lock file, "
        "Terraform >= 1.10), dynamodb (the lock table) or both (the migration step between them). Default: s3; "
        "dynamodb when dynamodb_table is set without lock (an existing configuration keeps its lock).")
    dynamodb_table: str | None = None
    region: str | None = None
    key_prefix: str | None = None
    encrypt: bool = True
    kms_key_id: str | None = None
    endpoint_from_env: str | None = Field(
        None, description="Name of an environment variable holding an S3/DynamoDB endpoint (emulator only)."
    )

    @model_validator(mode="before")
    @classmethod
    def _pin_lock_kind(cls, data: object) -> object:
        # Pinned from the file alone (never from the engine), so every run of an environment takes the same
        # lock. An existing file with a lock table keeps the table: switching it silently to lock files would
        # let an old and a new run each hold "the" lock at once.
        if isinstance(data, dict) and data.get("type") == "s3" and data.get("lock") is None:
            return {**data, "lock": "dynamodb" if data.get("dynamodb_table") else "s3"}
        return data

    @field_validator("region")
    @classmethod
    def _known_backend_region(cls, value: str | None) -> str | None:
        return value if value is None else known_region(value)

    @model_validator(mode="after")
    def _lock_settings(self) -> BackendSettings:
        if self.type != "s3":
            if self.lock is not None:
                raise RuleViolation(("lock",), "only for backend.type s3 (a local state is locked by terraform's "
                                    "own file lock)")
            return self
        if not self.bucket:
            raise RuleViolation(("bucket",), "required when backend.type is s3")
        if self.lock in ("dynamodb", "both") and not self.dynamodb_table:
            raise RuleViolation(("dynamodb_table",), f"required when backend.lock is {self.lock} (the DynamoDB "
                                "lock table)")
        if self.lock == "s3" and self.dynamodb_table:
            raise RuleViolation(("dynamodb_table",), "not used when backend.lock is s3 (lock files): remove it, "
                                "or set backend.lock: both while a team moves from the table to lock files")
        return self

    @property
    def uses_lock_file(self) -> bool:
        return self.type == "s3" and self.lock in ("s3", "both")

    @property
    def uses_lock_table(self) -> bool:
        return self.type == "s3" and self.lock in ("dynamodb", "both")


class EmulatorSettings(Strict):
    """An environment run against the local AWS emulator (moto): envs/local.yaml, never dev, staging or prod."""

    endpoint_from_env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", description=(
        "Environment variable holding the emulator's URL (loopback only); every AWS endpoint of the root points "
        "there (toolkit/emulator.py)."))] = "AWS_ENDPOINT_URL"
    features_off: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]*$")],
                       Annotated[str, Field(min_length=10)]] = Field(default_factory=dict, description=(
        "Features the emulator cannot serve, switched off for this environment only: setting -> the reason "
        "(docs/ENGINE.md lists each). The setting is a dotted config key set to false."))


class NetworkSettings(Strict):
    vpc_cidr: str = "10.0.0.0/16"
    availability_zones: Annotated[int, Field(ge=2, le=3)] = 2
    single_nat_gateway: bool = True
    existing_vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")] | None = None

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            raise ValueError("must be an IPv4 network in CIDR form, such as 10.0.0.0/16") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("prefix length must be /16 to /24 (room for the public and private subnets)")
        return value


ParameterValue = str | int | float


class DatabaseSettings(Strict):
    engine_mode: Literal["rds", "aurora-serverless"] = "rds"
    engine_version: Annotated[str, Field(pattern=r"^1[3-7](\.\d+)?$")] = "15.8"
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] = "db.t3.micro"
    allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = 20
    max_allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = 100
    multi_az: bool = False
    backup_retention_days: Annotated[int, Field(ge=0, le=35)] = 1
    read_replicas: Annotated[int, Field(ge=0, le=15)] = 0
    performance_insights: bool = False
    enhanced_monitoring_interval_seconds: int = 0
    deletion_protection: bool = False
    serverless_min_acu: Annotated[float, Field(ge=0, le=256)] = 0.5
    serverless_max_acu: Annotated[float, Field(ge=1, le=256)] = 128
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    app_username: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$", description=(
        "The application's own database login (IAM authentication), created by the migrations."))] = "app_user"

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @field_validator("enhanced_monitoring_interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in ENHANCED_MONITORING_INTERVALS:
            raise ValueError(f"must be one of {ENHANCED_MONITORING_INTERVALS}")
        return value

    @field_validator("serverless_min_acu", "serverless_max_acu")
    @classmethod
    def _half_steps(cls, value: float) -> float:
        if (value * 2) != int(value * 2):
            raise ValueError("must be a multiple of 0.5 ACU")
        return value

    @model_validator(mode="after")
    def _cross_rules(self) -> DatabaseSettings:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise RuleViolation(("max_allocated_storage_gb",), "must be at least allocated_storage_gb "
                                f"({self.allocated_storage_gb})")
        if self.serverless_min_acu > self.serverless_max_acu:
            raise RuleViolation(("serverless_min_acu",),
                                f"must not exceed serverless_max_acu ({self.serverless_max_acu:g})")
        if self.read_replicas and self.backup_retention_days < 1:
            raise RuleViolation(("backup_retention_days",),
                                "must be at least 1 when read_replicas > 0 (AWS needs backups for replicas)")
        return self


class CacheSettings(Strict):
    # Redis OSS (the root's engine) as the cache module takes it: major.minor, 7.0 or 7.1 (its last).
    engine_version: Annotated[str, Field(pattern=r"^7\.[01]$")] = "7.1"
    node_type: Annotated[str, Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")] = "cache.t3.micro"
    replicas_per_shard: Annotated[int, Field(ge=0, le=5)] = 0
    cluster_mode: bool = False
    shards: Annotated[int, Field(ge=1, le=500)] = 1
    enabled: bool = Field(True, description=(
        "Create the Redis replication group; false runs the application with CACHE_ENABLED=false and no "
        "REDIS_URL (as the short rollback tier leaves it)."))

    @model_validator(mode="after")
    def _cross_rules(self) -> CacheSettings:
        if not self.cluster_mode and self.shards != 1:
            raise RuleViolation(("shards",), "must be 1 unless cluster_mode is true")
        if not self.cluster_mode and 1 + self.replicas_per_shard > 6:
            raise RuleViolation(("replicas_per_shard",),
                                "a replication group without cluster mode holds at most 6 nodes")
        return self


# The module's stand-in image: public nginx listens on 80 and has no /health, so it serves only a trial
# environment with `health_check_path: /`; a protected environment must run the application's own image.
PLACEHOLDER_IMAGES = ("public.ecr.aws/nginx/", "nginx:", "nginx@")
ECR_REPOSITORY_NAME = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
OPEN_TO_THE_INTERNET = {"0.0.0.0/0", "::/0"}


class ComputeSettings(Strict):
    cpu: int = 512
    memory_mib: int = 1024
    min_tasks: Annotated[int, Field(ge=0, le=1000)] = 1
    max_tasks: Annotated[int, Field(ge=1, le=1000)] = 2
    autoscaling: bool = Field(True, description=(
        "Scale between min_tasks and max_tasks with Application Auto Scaling; false keeps min_tasks running."))
    container_image: Annotated[str, Field(min_length=1, description=(
        "Full image reference (registry/name:tag). Give this or ecr_repository, not both."))] | None = None
    ecr_repository: Annotated[str, Field(pattern=ECR_REPOSITORY_NAME, max_length=256, description=(
        "Name of a private ECR repository of the environment's account and region holding the application "
        "image; the task's execution role may pull from it and the plan checks the image_tag exists."))] | None = None
    image_tag: Annotated[str, Field(pattern=IMAGE_TAG)] | None = None
    container_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    health_check_path: Annotated[str, Field(pattern=r"^/[\x21-\x7e]{0,1023}$")] = "/health"
    ingress_cidr_blocks: list[str] = Field(default_factory=lambda: ["0.0.0.0/0"], description=(
        "IPv4 ranges allowed to reach the load balancer; without a domain (plain HTTP) they must not be the "
        "whole internet."))
    deployment_strategy: Literal["ROLLING", "BLUE_GREEN"] = "ROLLING"

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_BY_CPU:
            raise ValueError(f"must be one of the Fargate CPU sizes {sorted(FARGATE_MEMORY_BY_CPU)}")
        return value

    @field_validator("ingress_cidr_blocks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"{cidr!r} is not an IPv4 network in CIDR form, such as 203.0.113.0/24") from None
        return value

    @model_validator(mode="after")
    def _cross_rules(self) -> ComputeSettings:
        allowed = FARGATE_MEMORY_BY_CPU[self.cpu]
        if self.memory_mib not in allowed:
            raise RuleViolation(("memory_mib",), f"Fargate CPU {self.cpu} accepts memory_mib "
                                f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}")
        if self.min_tasks > self.max_tasks:
            raise RuleViolation(("min_tasks",), f"must not exceed max_tasks ({self.max_tasks})")
        if self.container_image is not None and self.ecr_repository is not None:
            raise RuleViolation(("container_image",), "name the application image once: container_image (a full "
                                "reference) or ecr_repository with image_tag (a repository of this account)")
        if self.ecr_repository is not None and self.image_tag is None:
            raise RuleViolation(("image_tag",), "required with ecr_repository (the tag the service runs)")
        if self.ecr_repository is None and self.image_tag is not None:
            raise RuleViolation(("image_tag",), "only with ecr_repository (container_image carries its own tag)")
        return self

    @property
    def uses_placeholder_image(self) -> bool:
        return self.container_image is not None and self.container_image.startswith(PLACEHOLDER_IMAGES)


class WafSettings(Strict):
    enabled: bool = False
    rate_limit: Annotated[int, Field(ge=10, le=2_000_000_000)] = 100
    rate_limit_window_seconds: int = 60
    allowed_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=lambda: ["BR"])

    @field_validator("rate_limit_window_seconds")
    @classmethod
    def _window(cls, value: int) -> int:
        if value not in WAF_WINDOWS:
            raise ValueError(f"must be one of {WAF_WINDOWS} (WAFv2 evaluation windows)")
        return value


class CdnSettings(Strict):
    enabled: bool = False
    static_path_patterns: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9_./*?-]{0,254}$")]] = Field(
        default_factory=lambda: ["/static/*", "/assets/*"], max_length=25, description=(
            "Paths CloudFront caches (static assets, Managed-CachingOptimized); every other path (the API) is "
            "never cached. At most 25 (CloudFront's cache behaviours per distribution)."))


ACM_CERTIFICATE_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
DOMAIN_NAME = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


class DomainSettings(Strict):
    """The public name of the application and its two certificates (CloudFront's must be in us-east-1)."""

    name: Annotated[str, Field(pattern=DOMAIN_NAME, max_length=253, description=(
        "Public host name served by CloudFront, such as app.example.com.br."))] | None = None
    origin_name: Annotated[str, Field(pattern=DOMAIN_NAME, max_length=253, description=(
        "Host name of the load balancer (a CNAME to it), covered by the ALB certificate; CloudFront "
        "reaches the origin over HTTPS by this name. Default: origin.<name>."))] | None = None
    alb_certificate_arn: Annotated[str, Field(pattern=ACM_CERTIFICATE_ARN)] | None = None
    cloudfront_certificate_arn: Annotated[str, Field(pattern=ACM_CERTIFICATE_ARN)] | None = None
    hosted_zone: Annotated[str, Field(pattern=DOMAIN_NAME, max_length=253, description=(
        "Public Route 53 hosted zone (its name) holding name and origin_name: the root then creates both ACM "
        "certificates with DNS validation and the alias records. Without it, give both certificate ARNs and "
        "create the records yourself."))] | None = None

    @model_validator(mode="after")
    def _cloudfront_certificate_in_us_east_1(self) -> DomainSettings:
        arn = self.cloudfront_certificate_arn
        if arn is not None and arn.split(":")[3] != "us-east-1":
            raise RuleViolation(("cloudfront_certificate_arn",), "must be an ACM certificate in us-east-1 "
                                "(CloudFront only uses certificates from that region)")
        if self.name is None and (self.origin_name or self.alb_certificate_arn or self.cloudfront_certificate_arn
                                  or self.hosted_zone):
            raise RuleViolation(("name",), "required when origin_name, hosted_zone or a certificate ARN is set")
        if self.hosted_zone is not None and self.name is not None:
            for key, host in (("name", self.name), ("origin_name", self.origin_name)):
                if host is not None and host != self.hosted_zone and not host.endswith("." + self.hosted_zone):
                    raise RuleViolation((key,), f"must be in hosted_zone {self.hosted_zone!r} (its records are "
                                        "created there)")
        return self


class AuditSettings(Strict):
    cloudtrail: bool = Field(False, description="A CloudTrail trail of the account (all regions, encrypted, "
                             "log file validation) into a locked-down bucket.")
    retention_days: Annotated[int, Field(ge=90, le=3653)] = 365


class BackupSettings(Strict):
    enabled: bool = Field(False, description="AWS Backup of the database into an encrypted vault (compliance "
                          "retention next to the automated backups).")
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 30
    schedule: Annotated[str, Field(pattern=r"^cron\(.+\)$")] = "cron(0 5 * * ? *)"


class Transition(Strict):
    days: Annotated[int, Field(ge=0)]
    storage_class: Literal["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER",
                           "DEEP_ARCHIVE"]


class LifecycleRule(Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,255}$")]
    prefix: str = ""
    transitions: list[Transition] = Field(default_factory=list)
    expiration_days: Annotated[int, Field(ge=1)] | None = None
    noncurrent_expiration_days: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _aws_transition_rules(self) -> LifecycleRule:
        infrequent_day: int | None = None
        previous = -1
        for index, transition in enumerate(self.transitions):
            where = ("transitions", index, "days")
            if transition.days <= previous:
                raise RuleViolation(where, "transitions must be in increasing order of days")
            previous = transition.days
            if transition.storage_class in INFREQUENT_ACCESS_CLASSES:
                if transition.days < 30:
                    raise RuleViolation(where, f"AWS accepts {transition.storage_class} transitions from day 30")
                infrequent_day = transition.days
            elif transition.storage_class in ARCHIVE_CLASSES and infrequent_day is not None \
                    and transition.days < infrequent_day + 30:
                raise RuleViolation(where, f"objects must stay 30 days in Standard-IA first: at least day "
                                    f"{infrequent_day + 30}")
        if self.expiration_days is not None and self.transitions and self.expiration_days <= previous:
            raise RuleViolation(("expiration_days",), f"must be after the last transition (day {previous})")
        return self


class BucketSettings(Strict):
    versioning: bool = False
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    cors_allowed_origins: list[str] = Field(default_factory=list)
    access_logging: bool = False


class StorageSettings(Strict):
    buckets: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$")], BucketSettings] = Field(
        default_factory=dict
    )


class AlarmSubscription(Strict):
    protocol: Literal["https", "sqs", "lambda", "firehose"]
    endpoint: Annotated[str, Field(min_length=1)]

    @model_validator(mode="after")
    def _endpoint_matches_protocol(self) -> AlarmSubscription:
        from toolkit.secrets import looks_like_secret

        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            raise RuleViolation(("endpoint",), "an https subscription needs an https:// URL")
        if self.protocol != "https" and not self.endpoint.startswith("arn:"):
            raise RuleViolation(("endpoint",), f"a {self.protocol} subscription needs the target's ARN")
        if looks_like_secret(self.endpoint) or re.search(r"(api_?key|token|secret|password)=", self.endpoint, re.I):
            raise RuleViolation(("endpoint",), "holds a credential: use the integration's own subscription (the "
                                "Datadog AWS integration, AWS Chatbot) instead of a key in a URL")
        return self


class MonitoringSettings(Strict):
    latency_p95_ms: Annotated[int, Field(ge=1)] = 500
    cache_hit_rate_min_percent: Annotated[float, Field(ge=0, le=100)] = 80
    availability_min_percent: Annotated[float, Field(ge=0, le=100)] = 99.9
    log_retention_days: int = 30
    alarm_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(default_factory=list)
    alarm_subscriptions: list[AlarmSubscription] = Field(default_factory=list, description=(
        "Other subscribers of the alarm topic: a chat or Datadog integration's HTTPS endpoint, an SQS queue or "
        "Lambda function ARN (no credentials in the endpoint: those come from the integration itself)."))
    app_metrics_namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/#:-]{1,255}$", description=(
        "CloudWatch namespace of the application's custom metrics on the dashboard "
        "(default <project>-<environment>/Application)."))] | None = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(f"must be a CloudWatch Logs retention: {CLOUDWATCH_RETENTION_DAYS}")
        return value


class IncreaseGate(Strict):
    """The largest monthly cost increase one plan may add before `toolkit cost --gates` fails (either or both)."""

    usd: Annotated[float, Field(gt=0, le=10_000_000, allow_inf_nan=False, description=(
        "Fail when the plan adds more than this many USD a month (the low end of the change)."))] | None = None
    percent: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False, description=(
        "Fail when the plan adds more than this percentage of the prior monthly cost."))] | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> IncreaseGate:
        if self.usd is None and self.percent is None:
            raise RuleViolation(("usd",), "set usd, percent or both (or remove max_monthly_increase)")
        return self


class BudgetSettings(Strict):
    enabled: bool = Field(True, description="Create the AWS Budgets budget and its notifications.")
    monthly_min_usd: Annotated[int, Field(ge=0)] = 150
    monthly_max_usd: Annotated[int, Field(ge=1)] = 200
    fail_over_max: bool = Field(False, description=(
        "`toolkit cost --gates` (the pull-request check) fails when even the low end of the estimate is above "
        "monthly_max_usd."))
    max_monthly_increase: IncreaseGate | None = Field(None, description=(
        "`toolkit cost --gates` fails when one plan adds more than this a month (usd and/or percent)."))

    @model_validator(mode="after")
    def _range(self) -> BudgetSettings:
        if self.monthly_min_usd > self.monthly_max_usd:
            raise RuleViolation(("monthly_min_usd",), f"must not exceed monthly_max_usd ({self.monthly_max_usd})")
        return self


# The largest usage quantity accepted (GB, requests, events, tasks): far beyond any real month, small
# enough that no product of two of them overflows; `.inf` and `.nan` are refused outright.
USAGE_MAX = 1e12


def _usage_number(value: object) -> object:
    """A usage value as written: a finite number in 0..USAGE_MAX (no quoted "100", no true, no .inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"must be a finite number (not {value!r})")
    if value < 0 or value > USAGE_MAX:
        raise ValueError(f"must be between 0 and {USAGE_MAX:g} (got {value:g})")
    return value


class UsageRange(Strict):
    """An assumed average between two bounds, e.g. Fargate tasks or Aurora ACUs over a month."""

    low: Annotated[float, Field(ge=0)]
    high: Annotated[float, Field(ge=0)]

    @field_validator("low", "high", mode="before")
    @classmethod
    def _finite(cls, value: object) -> object:
        return _usage_number(value)

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @model_validator(mode="after")
    def _ordered(self) -> UsageRange:
        if self.low > self.high:
            raise RuleViolation(("low",), f"must not exceed high ({self.high:g})")
        return self


class UsageSettings(Strict):
    """Usage assumptions behind the usage-based prices of `toolkit cost` (per month unless named otherwise).

    Each default says where it comes from; a key nobody has measured defaults to 0 and the estimate
    shows it as "0 (not measured)", so a usage-based price is never silently invented.
    """

    active_students: Annotated[int, Field(ge=1, description=(
        "Active students, for the cost per student. Default: none. Source: sizing plan 003 "
        "(50,000 active students is the production target)."))] | None = None
    cost_per_student_target_usd: UsageRange | None = Field(
        default_factory=lambda: UsageRange(low=0.03, high=0.05),
        description="Target monthly cost per active student. Source: sizing plan 003 success metric (0.03-0.05 USD).")
    requests_per_minute: Annotated[float, Field(ge=0, description=(
        "Average HTTP requests per minute (ALB, WAF). Source: sizing plan 003 scalability target "
        "(1,000+ requests/min)."))] = 1000
    alb_lcu: Annotated[float, Field(ge=0, description=(
        "Average ALB capacity units per hour. Source: 1,000 requests/min (sizing plan 003) is under one LCU's "
        "25 new connections/s and 1 GB/hour, so 1."))] = 1
    nat_processed_gb: Annotated[float, Field(ge=0, description=(
        "GB through the NAT gateways (all of them). Default 0: not measured; take it from the bill."))] = 0
    log_ingestion_gb: Annotated[float, Field(ge=0, description=(
        "GB ingested into CloudWatch Logs (all log groups). Default 0: not measured."))] = 0
    s3_storage_gb: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict, description=(
        "GB stored per bucket key (storage.buckets names). Default: none measured (0)."))
    aurora_storage_gb: Annotated[float, Field(ge=0, description=(
        "GB stored by an Aurora cluster. Default 0: not measured."))] = 0
    aurora_average_acu: UsageRange | None = Field(None, description=(
        "Average Aurora Serverless v2 ACUs. Default: the planned min..max capacity."))
    fargate_average_tasks: UsageRange | None = Field(None, description=(
        "Average running Fargate tasks. Default: the planned autoscaling min..max."))
    cdn_data_out_gb: Annotated[float, Field(ge=0, description=(
        "GB CloudFront serves to viewers. Default 0: not measured."))] = 0
    lambda_gb_seconds: Annotated[float, Field(ge=0, description=(
        "Lambda GB-seconds (the migrations runner). Default 0: it runs only during deploys."))] = 0
    backup_storage_gb: Annotated[float, Field(ge=0, description=(
        "GB held in the AWS Backup vault (warm storage). Default 0: not measured."))] = 0
    rds_backup_gb: Annotated[float, Field(ge=0, description=(
        "RDS backup storage beyond the free allocation (100% of the provisioned storage). "
        "Default 0: not measured."))] = 0
    cache_snapshot_gb: Annotated[float, Field(ge=0, description=(
        "ElastiCache backup storage beyond the free allocation. Default 0: not measured."))] = 0
    cloudtrail_paid_events: Annotated[float, Field(ge=0, description=(
        "Management events recorded by additional trail copies per month. Default 0: the first copy is free."))] = 0
    flow_log_gb: Annotated[float, Field(ge=0, description=(
        "GB of VPC flow logs delivered to CloudWatch Logs (vended logs). Default 0: not measured."))] = 0
    xray_traces: Annotated[float, Field(ge=0, description=(
        "X-Ray traces recorded per month (when enable_xray). Default 0: not measured."))] = 0

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    @field_validator("active_students", mode="before")
    @classmethod
    def _whole_students(cls, value: object) -> object:
        # strict=False would turn "50000" or 5e4 into an int; a count of people must be written as one.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("must be a whole number of students, such as 50000")
        return value

    @field_validator("requests_per_minute", "alb_lcu", "nat_processed_gb", "log_ingestion_gb", "aurora_storage_gb",
                     "cdn_data_out_gb", "lambda_gb_seconds", "backup_storage_gb", "rds_backup_gb", "cache_snapshot_gb",
                     "cloudtrail_paid_events", "flow_log_gb", "xray_traces", mode="before")
    @classmethod
    def _numbers_only(cls, value: object) -> object:
        # A quoted "100" in YAML is a typo for a number, not a number; `.inf` would print Infinity in JSON.
        return _usage_number(value)

    @field_validator("s3_storage_gb", mode="before")
    @classmethod
    def _bucket_sizes(cls, value: object) -> object:
        if isinstance(value, dict):
            for key, size in value.items():
                try:
                    _usage_number(size)
                except ValueError as error:
                    raise RuleViolation((key,), str(error)) from None
        return value


class MigrationsSettings(Strict):
    directory: str = "db/migrations"
    schema_name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = "public"
    history_table: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")] = "toolkit_schema_history"
    dsn_env: str = "TOOLKIT_DATABASE_URL"
    secret_id: str | None = None
    lambda_function: str | None = None
    lock_timeout_seconds: Annotated[int, Field(ge=0)] = 60
    statement_timeout_ms: Annotated[int, Field(ge=0, le=2**31 - 1, description=(
        "PostgreSQL statement_timeout for each migration (0 = none); a file overrides it with "
        "'-- toolkit:statement-timeout 1h'."))] = 900_000
    statement_lock_timeout_ms: Annotated[int, Field(ge=0, le=2**31 - 1, description=(
        "PostgreSQL lock_timeout for each migration statement (0 = wait forever); a file overrides it with "
        "'-- toolkit:lock-timeout 10s'; lock_timeout_seconds is the wait for the runner's own advisory lock."))] = 5_000
    host: str | None = Field(None, description="Database host when the secret holds none (RDS-managed secrets).")
    port: Annotated[int, Field(ge=1, le=65535)] = 5432
    database_name: str | None = Field(None, description="Database name when the secret holds none.")


class Settings(Strict):
    """One environment, merged over the defaults."""

    project: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]
    aws_region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
    protected: bool = False
    allow_auto_apply: bool = Field(False, description="`toolkit apply --auto` (plan and apply in one go).")
    terraform: TerraformSettings = TerraformSettings()
    backend: BackendSettings = BackendSettings()
    network: NetworkSettings = NetworkSettings()
    database: DatabaseSettings = DatabaseSettings()
    cache: CacheSettings = CacheSettings()
    compute: ComputeSettings = ComputeSettings()
    waf: WafSettings = WafSettings()
    cdn: CdnSettings = CdnSettings()
    domain: DomainSettings = DomainSettings()
    enable_xray: bool = Field(False, description="X-Ray daemon sidecar and tracing permissions for the service.")
    audit: AuditSettings = AuditSettings()
    backup: BackupSettings = BackupSettings()
    storage: StorageSettings = StorageSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    budget: BudgetSettings = BudgetSettings()
    usage: UsageSettings = UsageSettings()
    migrations: MigrationsSettings = MigrationsSettings()
    app_settings: dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")], str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict, description=(
        "Tags on every resource, besides the built-in " + ", ".join(BUILT_IN_TAG_KEYS) + "."))
    emulator: EmulatorSettings | None = None

    @field_validator("tags")
    @classmethod
    def _tags_aws_accepts(cls, value: dict[str, str]) -> dict[str, str]:
        # IAM (and several other services) compare tag keys ignoring case: CreateRole answers "Duplicate tag
        # keys found" for Environment next to environment.
        built_in = {key.lower(): key for key in BUILT_IN_TAG_KEYS}
        seen: dict[str, str] = {}
        for key, item in value.items():
            if key.lower() in built_in:
                raise RuleViolation((key,), f"the root sets the built-in tag {built_in[key.lower()]!r} itself and "
                                    "AWS compares tag keys ignoring case (IAM: \"Duplicate tag keys found\"): "
                                    f"remove it; built-in tags: {', '.join(BUILT_IN_TAG_KEYS)}")
            if key.lower() in seen:
                raise RuleViolation((key,), f"duplicates tag {seen[key.lower()]!r} apart from case (AWS compares "
                                    "tag keys ignoring case)")
            seen[key.lower()] = key
            if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
                raise RuleViolation((key,), "a tag key is 1-128 characters and may not start with aws:")
            if len(item) > 256:
                raise RuleViolation((key,), "a tag value is at most 256 characters")
        if len(value) + len(BUILT_IN_TAG_KEYS) > 50:
            raise RuleViolation((), f"at most {50 - len(BUILT_IN_TAG_KEYS)} tags: AWS allows 50 per resource and "
                                f"the root adds {len(BUILT_IN_TAG_KEYS)}")
        return value

    @field_validator("aws_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return known_region(value)

    @field_validator("app_settings", mode="before")
    @classmethod
    def _no_secrets_in_settings(cls, value: Any) -> Any:
        from toolkit.secrets import is_secret_name, looks_like_secret

        if not isinstance(value, dict):
            return value
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                raise RuleViolation((key,), "the name says it holds a secret (password, token, key, credential, "
                                    "DSN, …): secrets come from Secrets Manager (compute.secrets wires them into the "
                                    "task) or TF_VAR_*, never from environment files")
            if isinstance(item, str) and looks_like_secret(item):
                raise RuleViolation((key,), "the value holds a secret (a URL with a password, a PEM block or an AWS "
                                    "secret access key): keep it in Secrets Manager and pass the app its ARN")
        return value

    @model_validator(mode="after")
    def _emulator_only_switches(self) -> Settings:
        if self.emulator is not None:
            return self
        for section, key in EMULATOR_ONLY_SWITCHES:
            if getattr(getattr(self, section), key) is False:
                raise RuleViolation((section, key), "may be false only in an emulator environment (an `emulator:` "
                                    "section, e.g. envs/local.yaml), where moto cannot serve it: a real environment "
                                    "keeps its cache, autoscaling and budget")
        return self

    @model_validator(mode="after")
    def _protected_environment_rules(self) -> Settings:
        if not self.protected:
            return self
        if self.allow_auto_apply:
            raise RuleViolation(("allow_auto_apply",), "must be false in a protected environment: it applies only "
                                "a reviewed, saved plan")
        if not self.database.multi_az:
            raise RuleViolation(("database", "multi_az"), "must be true in a protected environment")
        if not self.database.deletion_protection:
            raise RuleViolation(("database", "deletion_protection"), "must be true in a protected environment")
        if self.database.backup_retention_days < 7:
            raise RuleViolation(("database", "backup_retention_days"),
                                "must be at least 7 in a protected environment")
        if not self.backup.enabled:
            raise RuleViolation(("backup", "enabled"), "must be true in a protected environment (30-day compliance "
                                "retention through AWS Backup)")
        if self.backup.retention_days < 30:
            raise RuleViolation(("backup", "retention_days"), "must be at least 30 in a protected environment")
        if not self.audit.cloudtrail:
            raise RuleViolation(("audit", "cloudtrail"), "must be true in a protected environment")
        if self.domain.name is None:
            raise RuleViolation(("domain", "name"), "required in a protected environment: the HTTPS listener and "
                                "CloudFront need certificates for it (created in domain.hosted_zone, or given as "
                                "domain.alb_certificate_arn / domain.cloudfront_certificate_arn)")
        if self.compute.uses_placeholder_image:
            raise RuleViolation(("compute", "container_image"), "a protected environment runs the application's "
                                "own image, not the placeholder: set compute.ecr_repository and compute.image_tag "
                                "(or container_image), with its container_port and health_check_path")
        if not self.monitoring.alarm_emails and not self.monitoring.alarm_subscriptions:
            raise RuleViolation(("monitoring", "alarm_emails"), "a protected environment's alarms must reach "
                                "someone: name at least one e-mail (alarm_emails) or integration "
                                "(alarm_subscriptions: https, sqs, lambda or firehose)")
        return self

    @model_validator(mode="after")
    def _image_and_port_named(self) -> Settings:
        if self.compute.container_image is None and self.compute.ecr_repository is None:
            raise RuleViolation(("compute", "container_image"), "required: the application image, as container_image "
                                "(a full reference) or ecr_repository with image_tag (a repository of this account)")
        if self.compute.container_port is None:
            raise RuleViolation(("compute", "container_port"), "required: the port the image listens on (the target "
                                "group checks compute.health_check_path there)")
        return self

    @model_validator(mode="after")
    def _plain_http_only_from_known_sources(self) -> Settings:
        if self.domain.name is not None:
            return self
        if OPEN_TO_THE_INTERNET & set(self.compute.ingress_cidr_blocks):
            raise RuleViolation(("compute", "ingress_cidr_blocks"), "without domain.name the load balancer serves "
                                "plain HTTP, so it must not be open to 0.0.0.0/0: set domain.name (HTTPS with its "
                                "certificate) or restrict the sources to the team's ranges")
        return self

    @model_validator(mode="after")
    def _certificates_have_a_source(self) -> Settings:
        domain = self.domain
        if domain.name is None or domain.hosted_zone is not None:
            return self
        missing = ["alb_certificate_arn"] if domain.alb_certificate_arn is None else []
        if self.cdn.enabled and domain.cloudfront_certificate_arn is None:
            missing.append("cloudfront_certificate_arn")
        if missing:
            raise RuleViolation(("domain", missing[0]), "nothing creates the certificates without domain.hosted_zone: "
                                "set domain.hosted_zone (the Route 53 zone of domain.name) or give "
                                + " and ".join(f"domain.{key}" for key in missing)
                                + " (ISSUED, DNS records pointing at the load balancer and CloudFront)")
        return self

    @model_validator(mode="after")
    def _usage_names_buckets(self) -> Settings:
        # A size for a bucket the environment does not have would be silently ignored by the estimate.
        unknown = sorted(set(self.usage.s3_storage_gb) - set(self.storage.buckets))
        if unknown:
            allowed = ", ".join(sorted(self.storage.buckets)) or "none"
            raise RuleViolation(("usage", "s3_storage_gb", unknown[0]),
                                f"names no bucket of storage.buckets (allowed: {allowed})")
        return self

    @model_validator(mode="after")
    def _cdn_needs_a_domain(self) -> Settings:
        if self.cdn.enabled and self.domain.name is None:
            raise RuleViolation(("cdn", "enabled"), "needs domain.name: CloudFront reaches the load balancer over "
                                "HTTPS by a name its certificate covers (domain.origin_name, default origin.<name>)")
        return self

# Keys that configure the toolkit itself; every other top-level key is a root-module variable.
# `usage` only feeds `toolkit cost`: no root-module variable reads it.
TOOLKIT_KEYS = frozenset({"terraform", "backend", "protected", "allow_auto_apply", "migrations", "usage",
                          "emulator"})
# Keys inside a root-module variable that only the toolkit reads (the cost gates of `toolkit cost --gates`).
TOOLKIT_SUBKEYS: dict[str, frozenset[str]] = {"budget": frozenset({"fail_over_max", "max_monthly_increase"})}
# The switches only an emulator environment may turn off (its `features_off`, or by hand): a real or protected
# environment keeps its cache, its autoscaling and its budget (docs/ENGINE.md, "Emulator environments").
EMULATOR_ONLY_SWITCHES = (("cache", "enabled"), ("compute", "autoscaling"), ("budget", "enabled"))


def feature_switch_problem(dotted: str) -> str | None:
    """Why `dotted` cannot be an `emulator.features_off` entry, or None: it must name an existing on/off
    setting of a root-module variable (nested: never the toolkit's own keys, never inside a map or list)."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] in TOOLKIT_KEYS:
        return ("must name an on/off setting of the infrastructure, such as cache.enabled (not a toolkit key "
                "such as protected, backend or emulator)")
    model: type[BaseModel] = Settings
    for index, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            known = ", ".join(sorted(model.model_fields))
            return f"{'.'.join(parts[:index + 1])}: unknown setting; allowed here: {known}"
        annotation = field.annotation
        # X | None is X; a dict or list (buckets, parameters) holds entries, not fixed settings.
        union = get_origin(annotation) in (Union, types.UnionType)
        options = [option for option in (get_args(annotation) if union else (annotation,))
                   if option is not type(None)]
        if index == len(parts) - 1:
            if options != [bool]:
                return f"{dotted} is not an on/off setting (only true/false settings can be switched off)"
            return None
        nested = [option for option in options if isinstance(option, type) and issubclass(option, BaseModel)]
        if not nested:
            return f"{'.'.join(parts[:index + 1])} has no fixed settings inside (a map, list or value)"
        model = nested[0]
    return None
