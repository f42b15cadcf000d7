"""moto's STS, able to refuse AssumeRole for chosen roles the way STS does, for the hub-and-spoke tests.

Why this exists: moto's STS grants every AssumeRole; it checks neither that the role exists nor
that its trust policy names the caller. The first failure a hub meets in an organization is
exactly that refusal: a member account where the reader role was never deployed, or trusts
another role. STS then answers HTTP 403 with a query-protocol ``ErrorResponse`` whose ``Code`` is
``AccessDenied`` and whose message reads ``User: <caller ARN> is not authorized to perform:
sts:AssumeRole on resource: <role ARN>``, and botocore raises it as a ClientError of operation
``AssumeRole``.

What it does: AssumeRole for a role ARN listed with ``refuse_assume_role`` raises moto's own
``AccessDeniedError`` (that status, that body) with STS's message, naming the caller as moto's
GetCallerIdentity would. Every other STS call, and AssumeRole of any other role, is moto's. Like
local/atomic_dynamodb.py it patches the response class, so it covers the in-process ``mock_aws``
and the threaded moto server of ``local.sandbox.LocalCloud`` alike; nothing in ``lambdas/`` knows.
"""

from __future__ import annotations

import threading
from functools import wraps
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.sts.responses import TokenResponse

_LOCK = threading.Lock()
_REFUSED: set[str] = set()
_MARKER = "_jobwatch_refusals"


def refuse_assume_role(role_arn: str) -> None:
    """From now on, STS refuses to let anyone assume ``role_arn``; installs the patch on first use."""
    _install()
    with _LOCK:
        _REFUSED.add(role_arn)


def allow_assume_role(role_arn: str) -> None:
    """Undo ``refuse_assume_role`` (as if the role were deployed with the right trust)."""
    with _LOCK:
        _REFUSED.discard(role_arn)


def _refused(role_arn: str) -> bool:
    with _LOCK:
        return role_arn in _REFUSED


def _install() -> None:
    if hasattr(TokenResponse.assume_role, _MARKER):
        return
    granting = TokenResponse.assume_role

    @wraps(granting)
    def assume_role(self: TokenResponse) -> Any:
        role_arn = self._get_param("RoleArn")
        if _refused(role_arn):
            _, caller, _ = self.backend.get_caller_identity(self.get_access_key(), self.region)
            raise AccessDeniedError(user_arn=caller, action=f"sts:AssumeRole on resource: {role_arn}")
        return granting(self)

    setattr(assume_role, _MARKER, granting)
    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
