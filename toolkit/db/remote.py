"""`toolkit db migrate ENV --via lambda`: invoke the in-VPC runner and return its structured result."""

from __future__ import annotations

import json
from typing import Any

from toolkit.errors import AwsError, MigrationError


def invoke_runner(function_name: str, event: dict[str, Any], *, region: str | None = None,
                  endpoint_url: str | None = None, client: Any = None) -> dict[str, Any]:
    """Invoke synchronously (RequestResponse) and return the handler's JSON result.

    An unhandled error inside the function (FunctionError) or a payload that is not the runner's result
    raises MigrationError; AWS API failures raise AwsError.
    """
    if client is None:
        import boto3
        from botocore.config import Config

        # A migration can run for minutes: do not let the HTTP read time out or retry a running invoke.
        client = boto3.client("lambda", region_name=region, endpoint_url=endpoint_url,
                              config=Config(read_timeout=900, retries={"max_attempts": 1}))
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                 Payload=json.dumps(event).encode())
    except ClientError as error:
        details = error.response.get("Error", {})
        raise AwsError(f"cannot invoke {function_name}: {details.get('Code', 'Unknown')}: "
                       f"{details.get('Message', '')}".rstrip(": ")) from error
    except BotoCoreError as error:
        raise AwsError(f"cannot invoke {function_name}: {error}") from error
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw or b"null")
    except json.JSONDecodeError as error:
        raise MigrationError(f"{function_name} returned a payload that is not JSON: {raw[:200]!r}") from error
    if response.get("FunctionError"):
        kind = payload.get("errorType", response["FunctionError"]) if isinstance(payload, dict) else "Error"
        message = payload.get("errorMessage", "") if isinstance(payload, dict) else str(payload)
        raise MigrationError(f"{function_name} failed: {kind}: {message}")
    if not isinstance(payload, dict) or "ok" not in payload:
        raise MigrationError(f"{function_name} did not return a runner result: {str(payload)[:200]}")
    return payload
