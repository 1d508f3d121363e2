"""Create an environment's S3 state bucket (versioned) and, for `backend.lock` dynamodb or both, its DynamoDB
lock table, if they are missing.

Used by `make demo` and the tests against the emulator (`python -m toolkit.engine.bootstrap sandbox`);
with real AWS the bucket and table come from the account's bootstrap stack instead, so an environment that does not
point at an emulator on this machine is refused unless `--real-aws` says so (a forgotten `export` of the endpoint
variable would otherwise create the bucket in whatever account the credentials reach).
"""

from __future__ import annotations

import sys

from toolkit.aws import aws_client, call, error_code
from toolkit.config import load_environment
from toolkit.errors import ConfigError, ToolkitError
from toolkit.project import Project


def ensure_state_backend(project: Project, environment: str, *, real_aws: bool = False) -> str:
    """Make sure the bucket (with versioning, so state versions exist for rollback) and any lock table exist: on the
    emulator the environment names (backend.endpoint_from_env, a loopback URL), or in real AWS when `real_aws`."""
    import os

    from toolkit.emulator import check_loopback
    from toolkit.emulator_server import find_running_emulator

    config = load_environment(project, environment)
    backend = config.settings.backend
    if backend.type != "s3":
        raise ConfigError(f"{environment}: backend.type is {backend.type}; only an s3 backend needs a bucket")
    region = backend.region or config.settings.aws_region
    if backend.endpoint_from_env:
        find_running_emulator(project, backend.endpoint_from_env)  # as every other command finds it
    endpoint = os.environ.get(backend.endpoint_from_env) if backend.endpoint_from_env else None
    if backend.endpoint_from_env and not endpoint:
        raise ConfigError(f"envs/{environment}.yaml: backend.endpoint_from_env names {backend.endpoint_from_env}, "
                          f"which is not set: export it (the emulator's URL), or start one with `toolkit emulator up`; "
                          "nothing was created")
    if endpoint:
        check_loopback(environment, backend.endpoint_from_env or "", endpoint)
    elif not real_aws:
        raise ConfigError(f"envs/{environment}.yaml: the backend has no emulator endpoint (backend.endpoint_from_env "
                          f"is unset), so s3://{backend.bucket} would be created in real AWS: pass --real-aws to "
                          "mean it (the account's bootstrap stack is the usual home of state buckets); nothing was "
                          "created")
    s3 = aws_client("s3", region=region, endpoint_url=endpoint)
    try:
        call(f"s3:CreateBucket {backend.bucket}", s3.create_bucket, Bucket=backend.bucket,
             CreateBucketConfiguration={"LocationConstraint": region})
    except ToolkitError as error:
        if error_code(error.__cause__) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    call(f"s3:PutBucketVersioning {backend.bucket}", s3.put_bucket_versioning, Bucket=backend.bucket,
         VersioningConfiguration={"Status": "Enabled"})
    if not backend.uses_lock_table:
        return f"s3://{backend.bucket} (versioned, lock files) ready in {region}"
    dynamodb = aws_client("dynamodb", region=region, endpoint_url=endpoint)
    try:
        call(f"dynamodb:CreateTable {backend.dynamodb_table}", dynamodb.create_table,
             TableName=backend.dynamodb_table, BillingMode="PAY_PER_REQUEST",
             KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
             AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
    except ToolkitError as error:
        if error_code(error.__cause__) != "ResourceInUseException":
            raise
    return f"s3://{backend.bucket} (versioned) and DynamoDB table {backend.dynamodb_table} ready in {region}"


def main(arguments: list[str]) -> int:
    real_aws = "--real-aws" in arguments
    names = [argument for argument in arguments if argument != "--real-aws"]
    if len(names) != 1 or names[0].startswith("-"):
        print("usage: python -m toolkit.engine.bootstrap ENVIRONMENT [--real-aws]", file=sys.stderr)
        return 2
    try:
        print(ensure_state_backend(Project.discover(), names[0], real_aws=real_aws))
    except ToolkitError as error:
        print(f"Error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
