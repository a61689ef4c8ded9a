"""The citizens' portal's pure rules: phone digits, public steps, ratings and throttle windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhiyun.domain import portal as rules
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import Action, OrderStatus, Satisfaction

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_phone_digits_are_exactly_four_digits_half_or_full_width() -> None:
    assert rules.phone_tail("5678") == "5678"
    assert rules.phone_tail(" ５６ ７８") == "5678"
    for bad in ("567", "56789", "56a8", "", None, "5678\x00"):
        assert rules.phone_tail(bad) is None


def test_a_claim_is_proven_by_the_last_four_digits_of_the_orders_phone_only() -> None:
    assert rules.OrderClaim("13812345678", "5678", OrderStatus.CLOSED).proven()
    assert rules.OrderClaim("0757-86281234", "1234", OrderStatus.CLOSED).proven()
    assert not rules.OrderClaim("13812345678", "1234", OrderStatus.CLOSED).proven()
    assert not rules.OrderClaim(None, "5678", OrderStatus.CLOSED).proven()
    assert not rules.OrderClaim("", "----", OrderStatus.CLOSED).proven()
    assert not rules.OrderClaim("567", "x567", OrderStatus.CLOSED).proven()


def test_the_public_sees_the_steps_of_handling_but_not_the_inside_ones() -> None:
    assert rules.public_step("register", "pending_dispatch", {}) == "已受理"
    assert rules.public_step("dispatch", "dispatched", {}) == "已转交承办单位"
    assert rules.public_step("review", "awaiting_callback", {"approved": True}) == rules.REPLY_SHOWN
    assert rules.public_step("callback", "dispatched", {"reopened": True}) == "市民不满意，已重新办理"
    for inside in (
        "return",
        "urge",
        "supervise",
        "instruct",
        "request_extension",
        "reply",
        "attach",
        "flag_duplicate",
    ):
        assert rules.public_step(inside, "in_progress", {}) is None, inside
    assert rules.public_step("review", "in_progress", {"rework": True}) is None  # a rejected reply
    assert rules.public_step("decide_suspension", "in_progress", {}) is None
    assert set(rules.PUBLIC_STEPS) <= set(Action)


def test_every_status_reads_in_a_citizens_words() -> None:
    assert {rules.public_status(s) for s in OrderStatus} and all(rules.public_status(s) for s in OrderStatus)


def test_a_citizen_rates_satisfied_basically_satisfied_or_unsatisfied_never_unreachable() -> None:
    assert [r.label for r in rules.RATINGS] == ["满意", "基本满意", "不满意"]
    assert rules.rating_of("unsatisfied") is Satisfaction.UNSATISFIED
    for bad in ("unreachable", "", None, "满意"):
        with pytest.raises(ValidationFailed):
            rules.rating_of(bad)


def test_a_window_counts_hits_and_starts_again_once_its_span_has_passed() -> None:
    window = rules.Window(3, timedelta(hours=1), "test")
    hits = None
    for expected in (1, 2, 3, 4):
        hits = rules.after_hit(window, hits, T0 + timedelta(minutes=expected))
        assert hits.count == expected and hits.started_at == T0 + timedelta(minutes=1)
    assert hits is not None and rules.over(window, hits)
    assert rules.retry_after(window, hits, T0 + timedelta(minutes=30)) == 31 * 60 + 1
    again = rules.after_hit(window, hits, T0 + timedelta(minutes=61))
    assert again == rules.Hits(T0 + timedelta(minutes=61), 1) and not rules.over(window, again)


def test_throttle_keys_keep_no_phone_or_place_in_the_clear() -> None:
    key = rules.throttle_key("report-phone", "13812345678")
    assert key.startswith("report-phone:") and "13812345678" not in key and len(key) <= 80
    assert key == rules.throttle_key("report-phone", "13812345678")
    assert key != rules.throttle_key("report-phone", "13812345679")


def test_one_place_is_the_address_folded_or_the_point_to_about_a_hundred_metres() -> None:
    assert rules.place_of("桂城 夏北路３号。", None, None) == rules.place_of("桂城夏北路3号", 23.0, 113.0)
    assert rules.place_of(None, 23.01234, 113.11111) == rules.place_of("", 23.01201, 113.11149)
    assert rules.place_of(None, None, None) is None


def test_the_title_is_the_first_line_of_the_words_shortened() -> None:
    assert rules.title_of("\n路灯不亮\n第二行") == "路灯不亮"
    long = "路" * 40
    assert rules.title_of(long) == "路" * (rules.TITLE_CHARS - 1) + "…"
