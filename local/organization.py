"""SageMaker in several accounts and regions behind one endpoint, for the hub-and-spoke tests.

Each request is answered by the simulated service of the account its credentials belong to and the
region it is signed for (the SigV4 credential scope), as SageMaker itself would. Which account a
key belongs to is asked of the STS that issued it (moto's, in the sandbox), through
GetCallerIdentity, the way any AWS service resolves a caller. A member account's reader role can be
refused by STS (``refuse_assume_role``), as when it was never deployed there.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import boto3

from local.refused_roles import allow_assume_role, refuse_assume_role
from local.sandbox import FAKE_CREDENTIALS
from local.simulator import InferenceRecommenderSimulator, SimulatedClock, serve

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/sagemaker/aws4_request")


def account_of_key(sts_endpoint_url: str) -> Callable[[str], str]:
    """Which account an access key belongs to, asked of the STS at ``sts_endpoint_url`` (moto's)."""

    def account_of(access_key: str) -> str:
        sts = boto3.client(
            "sts",
            endpoint_url=sts_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=FAKE_CREDENTIALS[
                "AWS_SECRET_ACCESS_KEY"
            ],  # the key alone names its account
        )
        return sts.get_caller_identity()["Account"]

    return account_of


class SimulatedOrganization:
    """One ``InferenceRecommenderSimulator`` per (account, region), created on first use; a region
    listed in ``disabled`` answers like a region not enabled in that account, and a role given to
    ``refuse_assume_role`` cannot be assumed while the organization is open."""

    def __init__(self, *, clock: SimulatedClock, account_of: Callable[[str], str], seed: int = 0) -> None:
        self.clock = clock
        self._account_of = account_of
        self._seed = seed
        self._worlds: dict[tuple[str, str], InferenceRecommenderSimulator] = {}
        self._accounts: dict[str, str] = {}
        self._lock = threading.Lock()
        self.disabled: set[tuple[str, str]] = set()
        self._refused: set[str] = set()
        self.endpoint_url = ""
        self._server: Any = None

    def at(self, account: str, region: str) -> InferenceRecommenderSimulator:
        with self._lock:
            key = (account, region)
            if key not in self._worlds:
                self._worlds[key] = InferenceRecommenderSimulator(
                    clock=self.clock, region=region, account_id=account, seed=self._seed + len(self._worlds)
                )
            return self._worlds[key]

    def adopt(self, account: str, region: str, simulator: InferenceRecommenderSimulator) -> None:
        """Serve an existing simulator (a story's, say) as SageMaker in this account and region."""
        with self._lock:
            self._worlds[(account, region)] = simulator

    def __enter__(self) -> SimulatedOrganization:
        self._server, self.endpoint_url = serve(self.handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        for role_arn in self._refused:
            allow_assume_role(role_arn)

    def refuse_assume_role(self, account: str, role_name: str = "jobwatch-reader") -> str:
        """STS answers AssumeRole of this role with AccessDenied, as STS does for a role that was never
        deployed or does not trust the caller; returns the role's ARN."""
        role_arn = f"arn:aws:iam::{account}:role/{role_name}"
        refuse_assume_role(role_arn)
        self._refused.add(role_arn)
        return role_arn

    def handle(self, headers: Any, target: str, body: bytes) -> tuple[int, str]:
        scope = _CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
        if scope is None:
            return 400, '{"__type": "MissingAuthenticationTokenException", "Message": "unsigned request"}'
        access_key, region = scope.groups()
        account = self._account(access_key)
        if (account, region) in self.disabled:
            return 400, (
                '{"__type": "UnrecognizedClientException", '
                '"Message": "The security token included in the request is invalid."}'
            )
        return self.at(account, region).handle(target, body)

    def _account(self, access_key: str) -> str:
        with self._lock:
            known = self._accounts.get(access_key)
        if known is None:
            known = self._account_of(access_key)
            with self._lock:
                self._accounts[access_key] = known
        return known
