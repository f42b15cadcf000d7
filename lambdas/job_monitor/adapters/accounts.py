"""Clients per account and region: the function's own credentials at home, a reader role elsewhere.

A member account is read through its reader role, assumed with botocore's own machinery: an
``AssumeRoleCredentialFetcher`` behind ``DeferredRefreshableCredentials``, which assumes the role
on first use and again before the credentials expire. Every client is created by boto3 for its
region, so ``AWS_ENDPOINT_URL_<SERVICE>`` (STS, SageMaker, IAM) applies as it does anywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import ClientError, EndpointConnectionError

from job_monitor.domain import Origin

_LOG = logging.getLogger(__name__)
ROLE_SESSION_NAME = "jobwatch"
_THROTTLING = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
)
_REGION_DISABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired"})
# The state table's reads made while a source is read (its cursor and health, its tracked jobs).
_STATE_TABLE_READS = frozenset({"BatchGetItem", "Query"})


def _default_session() -> boto3.Session:
    """boto3's default session, the one ``boto3.client`` uses: the function's own credentials."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION


class _AssumedRole(CredentialProvider):
    """Hands botocore the refreshable credentials of one reader role."""

    METHOD = "assume-role"
    CANONICAL_NAME = "jobwatch-reader-role"

    def __init__(self, credentials: DeferredRefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> DeferredRefreshableCredentials:
        return self._credentials


class AccountClients:
    """Builds and caches, per container, the sessions, clients and account names of every source."""

    def __init__(
        self,
        *,
        home_account: str,
        home_region: str,
        role_name: str,
        session: boto3.Session | None = None,
        sts_config: Config | None = None,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
    ) -> None:
        self._home = session or _default_session()
        self._log = logger or _LOG
        self._home_account = home_account
        self._home_region = home_region
        self._role_name = role_name
        self._sts_config = sts_config
        self._partition = self._home.get_partition_for_region(home_region)
        self._sessions: dict[str, boto3.Session] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def role_arn(self, account: str) -> str:
        return f"arn:{self._partition}:iam::{account}:role/{self._role_name}"

    def client(self, service: str, origin: Origin, *, config: Config) -> Any:
        """A client of ``service`` in the origin's account and region."""
        return self._session(origin.account).client(
            service, region_name=origin.region or self._home_region, config=config
        )

    def account_name(self, origin: Origin) -> str:
        """The account's alias when its role may read it (``iam:ListAccountAliases``), else its ID.

        Asked once per container and account; a failure is logged and the ID used from then on.
        """
        account = origin.account or self._home_account
        with self._lock:
            if account in self._names:
                return self._names[account]
        name = account
        try:
            iam = self._session(origin.account).client(
                "iam", region_name=self._home_region, config=self._sts_config
            )
            aliases = iam.list_account_aliases().get("AccountAliases") or []
            if aliases:
                name = f"{aliases[0]} ({account})"
        except Exception as error:  # the name only decorates messages: never fail a tick for it
            self._log.warning(
                "could not read the account alias; messages name the account by its ID",
                extra={"account": account, "error": f"{type(error).__name__}: {error}"},
            )
        with self._lock:
            self._names[account] = name
        return name

    def hint(self, origin: Origin, kind: str) -> Callable[[Exception], str]:
        """A function that says, for an error reading this source, what an operator should fix."""
        account = origin.account or self._home_account
        region = origin.region or self._home_region
        role_arn = self.role_arn(account)

        def what_to_fix(error: Exception) -> str:
            if isinstance(error, EndpointConnectionError):
                return f"no SageMaker endpoint answers in {region}: check the region name in REGIONS"
            if not isinstance(error, ClientError):
                return "an unexpected error; the source is read again next tick"
            code = error.response.get("Error", {}).get("Code", "")
            if error.operation_name in _STATE_TABLE_READS:
                return (
                    f"the state table failed {error.operation_name} ({code}) beyond the retries, not the "
                    "source; the source is read again next tick (if it persists, check the table and its key)"
                )
            if error.operation_name == "AssumeRole":
                return (
                    f"the function may not assume {role_arn}: deploy the reader role to account {account} "
                    "(the reader stack, or the StackSet's organizational units) trusting this function's role, "
                    "or remove the account from ACCOUNTS"
                )
            if code in _REGION_DISABLED:
                return (
                    f"region {region} is not enabled in account {account}: enable it there, "
                    "or remove it from REGIONS"
                )
            if code in _THROTTLING:
                return (
                    f"SageMaker throttled {kind} listings in {account}/{region} beyond the retries: "
                    "watch fewer sources per function or schedule ticks further apart"
                )
            if code in ("AccessDenied", "AccessDeniedException"):
                return (
                    f"the role reading account {account} may not call {error.operation_name}: deploy the "
                    "reader role of this jobwatch version (it grants each kind's list and describe calls)"
                )
            return f"{code or 'an error'} from {error.operation_name}; the source is read again next tick"

        return what_to_fix

    def _session(self, account: str) -> boto3.Session:
        if account in ("", self._home_account):
            return self._home
        with self._lock:
            if account not in self._sessions:
                self._sessions[account] = self._assumed(account)
            return self._sessions[account]

    def _assumed(self, account: str) -> boto3.Session:
        """A session whose credentials are the reader role's, assumed lazily and refreshed before expiry."""
        home = self._home._session  # boto3 exposes its botocore session only under this name
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=lambda service, **kwargs: home.create_client(
                service, region_name=self._home_region, config=self._sts_config, **kwargs
            ),
            source_credentials=home.get_credentials(),
            role_arn=self.role_arn(account),
            extra_args={"RoleSessionName": ROLE_SESSION_NAME},
        )
        credentials = DeferredRefreshableCredentials(
            refresh_using=fetcher.fetch_credentials, method=_AssumedRole.METHOD
        )
        member = botocore.session.Session()
        member.register_component("credential_provider", CredentialResolver([_AssumedRole(credentials)]))
        return boto3.Session(botocore_session=member)
