"""The double-submit CSRF token the console and its scripts share: the cookie `zhiyun_csrf`
repeated in the form field `csrf_token` or the header `X-CSRF-Token`.

The console's forms check it (`web.deps.check_csrf`); an API route that a console script
posts to with the session cookie checks it too (`tokens_match`), while a request with a
bearer token needs none (no browser sends one by itself).
"""

from __future__ import annotations

import hmac

CSRF_COOKIE = "zhiyun_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def tokens_match(cookie: str | None, sent: str | None) -> bool:
    """Whether the token sent repeats the cookie's (both present; compared in constant time)."""
    return bool(cookie) and bool(sent) and hmac.compare_digest(str(cookie), str(sent))


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "tokens_match"]
