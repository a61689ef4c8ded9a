"""The login throttle's rules (domain/throttle.py): free failures, exponential locks, forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.domain.throttle import (
    NO_FAILURES,
    Failures,
    ThrottleRule,
    account_key,
    address_key,
    after_failure,
    current,
    lock_end,
    retry_after_seconds,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ACCOUNT = ThrottleRule(
    free_failures=5,
    window=timedelta(minutes=15),
    first_lock=timedelta(minutes=1),
    max_lock=timedelta(minutes=30),
)
ADDRESS = ThrottleRule(
    free_failures=30,
    window=timedelta(minutes=15),
    first_lock=timedelta(minutes=15),
    max_lock=timedelta(minutes=15),
)

rules = st.builds(
    ThrottleRule,
    free_failures=st.integers(0, 50),
    window=st.integers(1, 24 * 60).map(lambda m: timedelta(minutes=m)),
    first_lock=st.integers(1, 120).map(lambda m: timedelta(minutes=m)),
    max_lock=st.just(timedelta(days=1)),
)
# seconds between two attempts
gaps = st.lists(st.integers(0, 3 * 3600), min_size=1, max_size=60)


def fail(rule: ThrottleRule, state: Failures, now: datetime) -> Failures:
    return after_failure(rule, state, now)


def test_five_failures_lock_nothing_and_the_sixth_locks_the_account_for_a_minute() -> None:
    state = NO_FAILURES
    for i in range(5):
        state = fail(ACCOUNT, state, T0 + timedelta(seconds=i))
        assert lock_end(state, T0 + timedelta(seconds=i)) is None
    state = fail(ACCOUNT, state, T0 + timedelta(seconds=5))
    assert lock_end(state, T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=5, minutes=1)
    assert state.count == 6


def test_each_failure_after_a_lock_doubles_it_up_to_the_longest_lock() -> None:
    state, now, locks = NO_FAILURES, T0, []
    for _ in range(12):
        state = fail(ACCOUNT, state, now)
        end = lock_end(state, now)
        if end is not None:
            locks.append(end - now)
            now = end  # the next attempt comes when the lock ends
        now += timedelta(seconds=1)
    assert [lock.total_seconds() / 60 for lock in locks] == [1, 2, 4, 8, 16, 30, 30]


def test_an_attempt_while_locked_is_not_a_failure_and_does_not_lengthen_the_lock() -> None:
    state = NO_FAILURES
    for i in range(6):
        state = fail(ACCOUNT, state, T0 + timedelta(seconds=i))
    locked = state
    for i in range(100):
        state = fail(ACCOUNT, state, T0 + timedelta(seconds=10 + i / 10))
    assert state == locked


def test_failures_spread_over_more_than_the_window_lock_nothing() -> None:
    state, now = NO_FAILURES, T0
    for _ in range(50):
        state = fail(ACCOUNT, state, now)
        assert lock_end(state, now) is None
        now += timedelta(minutes=4)  # 4 failures per 15 minutes at most


def test_a_streak_is_forgotten_a_window_after_its_last_lock_ended() -> None:
    state = NO_FAILURES
    for i in range(7):  # two locks: 1 min, then 2 min
        now = T0 + timedelta(minutes=2 * i)
        state = fail(ACCOUNT, state, now)
    assert state.locked_until is not None
    assert current(ACCOUNT, state, state.locked_until + timedelta(minutes=14)) == state
    assert current(ACCOUNT, state, state.locked_until + timedelta(minutes=15)) == NO_FAILURES


def test_an_address_is_locked_for_fifteen_minutes_after_thirty_failures_and_not_longer_after_more() -> None:
    state = NO_FAILURES
    for i in range(31):
        state = fail(ADDRESS, state, T0 + timedelta(seconds=i))
    assert state.locked_until == T0 + timedelta(seconds=30, minutes=15)
    later = state.locked_until + timedelta(seconds=1)
    again = fail(ADDRESS, state, later)
    assert again.locked_until == later + timedelta(minutes=15)


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    assert retry_after_seconds(T0 + timedelta(seconds=59.2), T0) == 60
    assert retry_after_seconds(T0, T0) == 1
    assert retry_after_seconds(T0 - timedelta(hours=1), T0) == 1


def test_an_account_key_is_the_name_as_typed_whether_or_not_the_user_exists() -> None:
    assert account_key("admin") == "account:admin"
    assert account_key("Admin") != account_key("admin")
    assert "\x00" not in account_key("ad\x00min")
    assert len(account_key("x" * 10_000)) <= 200


def test_an_address_key_counts_an_ipv6_client_by_its_slash_64() -> None:
    assert address_key("203.0.113.7") == "address:203.0.113.7"
    assert (
        address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "address:2001:db8:1:2::/64"
    )
    assert address_key("::ffff:203.0.113.7") == "address:203.0.113.7"
    assert address_key(None) == "address:unknown"
    assert address_key("testclient") == "address:testclient"


def test_a_rule_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        ThrottleRule(free_failures=-1, window=timedelta(1), first_lock=timedelta(1), max_lock=timedelta(1))
    with pytest.raises(ValueError):
        ThrottleRule(free_failures=1, window=timedelta(1), first_lock=timedelta(2), max_lock=timedelta(1))


@given(rules, gaps)
def test_no_lock_is_ever_longer_than_the_longest_lock(rule: ThrottleRule, steps: list[int]) -> None:
    state, now = NO_FAILURES, T0
    for gap in steps:
        now += timedelta(seconds=gap)
        state = fail(rule, state, now)
        end = lock_end(state, now)
        if end is not None:
            assert end - now <= rule.max_lock


@given(rules, gaps)
def test_the_free_failures_within_a_window_never_lock(rule: ThrottleRule, steps: list[int]) -> None:
    state, now = NO_FAILURES, T0
    for gap in steps[: rule.free_failures]:
        now += timedelta(seconds=gap)
        state = fail(rule, state, now)
        assert lock_end(state, now) is None


@given(rules, gaps)
def test_attempts_while_locked_never_change_the_streak(rule: ThrottleRule, steps: list[int]) -> None:
    state, now = NO_FAILURES, T0
    for gap in steps:
        now += timedelta(seconds=gap)
        if lock_end(state, now) is not None:
            assert fail(rule, state, now) == state
        else:
            state = fail(rule, state, now)


@given(rules, st.integers(0, 200))
def test_locks_of_a_streak_never_get_shorter(rule: ThrottleRule, extra: int) -> None:
    durations = [rule.lock_for(n) for n in range(1, rule.free_failures + extra + 2)]
    locks = [d for d in durations if d is not None]
    assert locks == sorted(locks)
    assert all(d is None for d in durations[: rule.free_failures])
