"""docs/workflow.md's table "Who may do what besides the actions" is the policy table of
domain/access.py, row for row (scripts/docs_tables.py writes it); docs/security.md names
every policy."""

from __future__ import annotations

import re
from pathlib import Path

from scripts import docs_tables

from zhiyun.domain.access import POLICIES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_workflow_docs_table_is_the_policy_table() -> None:
    text = (DOCS / "workflow.md").read_text(encoding="utf-8")
    block = re.search(
        re.escape(docs_tables.POLICIES_BEGIN) + r"\n(.*?)\n" + re.escape(docs_tables.POLICIES_END), text, re.S
    )
    assert block is not None, "docs/workflow.md lost its policies markers"
    assert block.group(1) == docs_tables.policies_table(), "run: python scripts/docs_tables.py"
    rows = [line for line in block.group(1).splitlines()[2:]]
    assert [row.rsplit("`", 2)[1] for row in rows] == [p.name for p in POLICIES]
    assert set(docs_tables.POLICY_SECTIONS) == {p.section for p in POLICIES}


def test_the_security_docs_name_every_policy() -> None:
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    missing = [p.name for p in POLICIES if f"`{p.name}`" not in text]
    assert missing == []
