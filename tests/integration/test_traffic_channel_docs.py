"""docs/channels.md documents every channel the demo traffic posts to, exactly as the models are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zhiyun.demo.traffic.catalog import EXTERNAL_ID_FIELDS
from zhiyun.intake.channels import CHANNEL_SPECS

DOC = Path(__file__).resolve().parents[2] / "docs" / "channels.md"
JSON_CHANNELS = [code for code, spec in CHANNEL_SPECS.items() if spec.payload is not None]
_ROW = re.compile(
    r"^\| `(?P<field>[a-z_0-9]+)` \| (?P<type>.+?) \| (?P<required>yes|no) \| (?P<meaning>.+) \|$"
)


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(code: str) -> str:
    text = _text()
    heading = f"### `{code}`"
    start = text.index(heading) + len(heading)
    end = re.compile(r"^##+ ", re.M).search(text, start)
    return text[start : end.start() if end else len(text)]


def test_every_field_of_every_payload_model_appears_in_docs_channels_md() -> None:
    text = _text()
    missing = [
        f"{spec.payload.__name__}.{name}"
        for spec in CHANNEL_SPECS.values()
        if spec.payload is not None
        for name in spec.payload.model_fields
        if f"`{name}`" not in text
    ]
    assert missing == []


@pytest.mark.parametrize("code", JSON_CHANNELS)
def test_each_channel_section_has_its_model_fields_required_flags_and_example(code: str) -> None:
    spec = CHANNEL_SPECS[code]
    assert spec.payload is not None
    section = _section(code)
    rows = {m["field"]: m for m in (_ROW.match(line) for line in section.splitlines()) if m}
    fields = spec.payload.model_fields
    assert list(rows) == list(fields), "the table lists the model's fields, in order"
    for name, info in fields.items():
        assert (rows[name]["required"] == "yes") is info.is_required(), name
        assert rows[name]["meaning"].strip(), name
    example = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert example is not None and json.loads(example.group(1)) == spec.example
    assert f"POST /api/v1/intake/{code}" in section
    assert f"external id `{EXTERNAL_ID_FIELDS[code]}`" in section


def test_the_doc_says_how_to_post_repeat_fail_and_manage_keys() -> None:
    text = _text()
    for needle in (
        "X-Channel-Key",
        "## Idempotency",
        "(channel, external id)",
        "**401 `invalid_channel_key`**",
        "**404 `not_found`**",
        "**422 `validation_failed`**",
        "**413 `payload_too_large`**",
        "zhiyun channel key 12345",
        "zhiyun channel revoke 12345",
        "docs/open311.md",
        "`open311`",
    ):
        assert needle in text, needle
    errors = [json.loads(block) for block in re.findall(r"```json\n(\{\n  \"error\".*?)\n```", text, re.S)]
    assert {e["error"] for e in errors} == {
        "invalid_channel_key",
        "not_found",
        "validation_failed",
        "payload_too_large",
    }
    assert all(e["message"] for e in errors)
