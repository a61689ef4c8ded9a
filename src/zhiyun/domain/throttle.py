"""Login throttling: when a run of failed logins locks a key, and for how long.

Every password attempt is counted under two keys: the account name it tried (whether or
not such a user exists, so that the answers never tell which names are real) and the
client address it came from. Each key remembers its current *streak* of failures:

- The first `free_failures` failures of a streak lock nothing.
- Every failure after them locks the key at once, for `first_lock`, doubled at each further
  failure, at most `max_lock` (with `first_lock == max_lock` the lock is fixed).
- While a key is locked its attempts are refused without checking the password and are
  **not** counted: hammering a locked key neither runs the password hash nor lengthens
  the lock. The lock ends when it says it ends; only a failure after that locks again
  (for twice as long).
- A streak is forgotten `window` after it began, or, once it has locked the key,
  `window` after its last lock ended: five failures spread over a day lock nothing, and
  an attacker who pauses for a whole window after a lock starts again from the free
  failures.
- A successful login forgets the account's streak (the caller deletes it); the address's
  streak stays, so that one good password does not reset an address that sprays others.

Standard library only: the store keeps a `Failures` per key, the accounts service asks
these functions what to do.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

ACCOUNT_KEY_PREFIX = "account:"
ADDRESS_KEY_PREFIX = "address:"
# Keys are stored in a column of 200 characters; a name longer than any real user name is cut.
_MAX_NAME = 150
# An IPv6 client usually holds a whole /64: count the network, not each address in it.
_IPV6_PREFIX = 64


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures a key may have in a window before it is locked, and for how long."""

    free_failures: int
    window: timedelta
    first_lock: timedelta
    max_lock: timedelta

    def __post_init__(self) -> None:
        if self.free_failures < 0:
            raise ValueError("free_failures must not be negative")
        if self.window <= timedelta(0) or self.first_lock <= timedelta(0):
            raise ValueError("window and first_lock must be positive")
        if self.max_lock < self.first_lock:
            raise ValueError("max_lock must not be shorter than first_lock")

    def lock_for(self, failures: int) -> timedelta | None:
        """The lock that the `failures`-th failure of a streak starts; None while still free."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return None
        lock = self.first_lock  # doubled beyond-1 times, but never past max_lock
        for _ in range(beyond - 1):
            if lock >= self.max_lock:
                break
            lock *= 2
        return min(lock, self.max_lock)


@dataclass(frozen=True)
class Failures:
    """What is remembered of one key: its current streak of failed logins (empty: none)."""

    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    locked_until: datetime | None = None


NO_FAILURES = Failures()


def lock_end(state: Failures, now: datetime) -> datetime | None:
    """When the key's lock ends, if it is locked at `now`; None when attempts may go ahead."""
    if state.locked_until is not None and state.locked_until > now:
        return state.locked_until
    return None


def forgotten_at(rule: ThrottleRule, state: Failures) -> datetime | None:
    """The instant from which the streak no longer counts (None: there is no streak)."""
    if state.first_at is None:
        return None
    start = state.locked_until if state.locked_until is not None else state.first_at
    return start + rule.window


def current(rule: ThrottleRule, state: Failures, now: datetime) -> Failures:
    """The streak as it stands at `now`: empty once it is forgotten."""
    until = forgotten_at(rule, state)
    if until is None or now >= until:
        return NO_FAILURES
    return state


def after_failure(rule: ThrottleRule, state: Failures, now: datetime) -> Failures:
    """The streak after a failed password check at `now`.

    A key that is locked at `now` is returned unchanged: a refused attempt is not a failure
    (callers do not check passwords for locked keys; this keeps the rule total).
    """
    if lock_end(state, now) is not None:
        return state
    streak = current(rule, state, now)
    count = streak.count + 1
    lock = rule.lock_for(count)
    return Failures(
        count=count,
        first_at=streak.first_at or now,
        last_at=now,
        locked_until=now + lock if lock is not None else streak.locked_until,
    )


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds until `until` (at least 1): the Retry-After of a refused attempt."""
    return max(1, math.ceil((until - now).total_seconds()))


def account_key(username: str) -> str:
    """The throttle key of an account name, whether or not a user of that name exists."""
    name = username.replace("\x00", "\\x00")
    return ACCOUNT_KEY_PREFIX + name[:_MAX_NAME]


def address_key(address: str | None) -> str:
    """The throttle key of a client address: the address itself, an IPv6 client's /64."""
    text = (address or "unknown").strip()
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return ADDRESS_KEY_PREFIX + text.replace("\x00", "\\x00")[:_MAX_NAME]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return ADDRESS_KEY_PREFIX + str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, _IPV6_PREFIX), strict=False)
        return ADDRESS_KEY_PREFIX + str(network)
    return ADDRESS_KEY_PREFIX + str(parsed)
