"""What a credential is: the rules for user names and passwords, how a secret is kept (its
digest only), and the error of a wrong one."""

from __future__ import annotations

import hashlib
import re

from zhiyun.domain.errors import PermissionDenied

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = 8


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthenticationFailed(PermissionDenied):
    """Wrong username/password, or an unknown, expired or revoked token."""

    code = "unauthenticated"
    http_status = 401
