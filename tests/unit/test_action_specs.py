"""Each action is described once (domain/actions.py); the API bodies, console forms and docs follow it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from scripts import docs_tables

from tests.unit.world import TZ
from zhiyun.domain.actions import ACTION_SPECS, NOTE_MAX, ActionField, ActionInput, command_for
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import WHO_MAY, Action, CancelReason, Satisfaction
from zhiyun.orders.api.bodies import ACTION_BODIES, Lookups
from zhiyun.orders.pages.actions import FORMS, command_of

COMPLETE = ActionInput(
    note="说明",
    target_unit_id=8,
    approve=True,
    new_due_at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ),
    satisfaction=Satisfaction.SATISFIED,
    reason=CancelReason.INVALID,
    master_id=42,
)
INPUT_FIELD = {
    ActionField.TARGET: "target_unit_id",
    ActionField.APPROVE: "approve",
    ActionField.NEW_DUE: "new_due_at",
    ActionField.SATISFACTION: "satisfaction",
    ActionField.CANCEL_REASON: "reason",
    ActionField.MASTER: "master_id",
}


def test_every_action_on_an_existing_order_has_exactly_one_spec() -> None:
    assert set(ACTION_SPECS) == set(Action) - {Action.REGISTER}
    assert all(spec.action is action for action, spec in ACTION_SPECS.items())
    assert all(spec.summary and spec.note_label for spec in ACTION_SPECS.values())


def test_every_action_has_its_rule_of_who_may_take_it() -> None:
    assert set(WHO_MAY) == set(ACTION_SPECS)
    assert all(spec.who for spec in ACTION_SPECS.values())


def test_a_complete_input_becomes_the_command_of_that_action() -> None:
    for action in ACTION_SPECS:
        assert command_for(action, COMPLETE).action is action


def test_a_field_the_action_asks_for_is_required_and_named_in_the_refusal() -> None:
    for action, spec in ACTION_SPECS.items():
        for field in spec.fields:
            if field is ActionField.ATTACHMENTS:
                continue  # optional: a reply may cite no file
            missing = replace(COMPLETE, **{INPUT_FIELD[field]: None})
            with pytest.raises(ValidationFailed) as refused:
                command_for(action, missing)
            assert refused.value.details.get("field") == field.value, (action, field)


def test_the_note_is_checked_the_same_way_for_every_action() -> None:
    for action, spec in ACTION_SPECS.items():
        with pytest.raises(ValidationFailed, match=f"{spec.note_label}不能超过{NOTE_MAX}字"):
            command_for(action, replace(COMPLETE, note="字" * (NOTE_MAX + 1)))
        blank = replace(COMPLETE, note="   ")
        if spec.note_required:
            with pytest.raises(ValidationFailed, match=f"请填写{spec.note_label}"):
                command_for(action, blank)
        else:
            assert command_for(action, blank).action is action


def test_each_api_body_has_the_fields_its_spec_asks_for_and_requires_the_note_when_the_spec_does() -> None:
    base = {"note", "version", "attachment_ids"}
    by_field = {
        ActionField.TARGET: {"target_unit_id", "target_unit_code"},
        ActionField.APPROVE: {"approve"},
        ActionField.NEW_DUE: {"new_due_at"},
        ActionField.SATISFACTION: {"satisfaction"},
        ActionField.CANCEL_REASON: {"reason"},
        ActionField.MASTER: {"master"},
        ActionField.ATTACHMENTS: set(),
    }
    assert set(ACTION_BODIES) == set(ACTION_SPECS)
    for action, body in ACTION_BODIES.items():
        spec = ACTION_SPECS[action]
        expected = base.union(*(by_field[f] for f in spec.fields))
        assert set(body.model_fields) == expected, action
        assert body.model_fields["note"].is_required() is spec.note_required, action
        assert body.__doc__ == spec.summary


def test_an_api_body_becomes_the_same_command_as_the_console_form() -> None:
    lookups = Lookups(unit_id_for_code=lambda code: 8, order_id_for_key=lambda key: 42)
    json_values = {
        "target_unit_id": 8,
        "approve": True,
        "new_due_at": "2026-12-31",
        "satisfaction": "satisfied",
        "reason": "invalid",
        "master": "NH1",
    }
    form_values = {
        "target_unit_id": "8",
        "approve": "yes",
        "new_due_at": "2026-12-31",
        "satisfaction": "satisfied",
        "reason": "invalid",
        "master": "NH1",
    }
    for action, body in ACTION_BODIES.items():
        fields = body.model_fields
        from_api = body(note="说明", **{k: v for k, v in json_values.items() if k in fields}).command(lookups)
        from_form = command_of(action, {"note": "说明", **form_values}, lambda key: 42)
        assert from_api == from_form, action


def test_the_console_shows_one_form_per_spec_with_the_specs_labels() -> None:
    assert list(FORMS) == list(ACTION_SPECS)
    for action, form in FORMS.items():
        spec = ACTION_SPECS[action]
        assert (form.label, form.note_label, form.note_required) == (
            spec.label,
            spec.note_label,
            spec.note_required,
        )
        assert form.target is spec.asks(ActionField.TARGET)


def test_the_docs_action_table_is_generated_from_the_specs() -> None:
    assert docs_tables.main(["--check"]) == 0, "run: python scripts/docs_tables.py"
