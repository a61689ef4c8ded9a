"""docs/workflow.md's table "Who may do what besides the actions" is the policy table of
domain/access.py, row for row; docs/security.md names every policy."""

from __future__ import annotations

import re
from pathlib import Path

from zhiyun.domain.access import POLICIES

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"(<!-- policies:[^\n]*-->\n)(.*?)(<!-- /policies -->)", re.S)
SECTIONS = {
    "orders": "orders",
    "console": "the workbench and the dashboard",
    "administration": "administration 系统管理",
    "system": "the system's own work",
    "citizens": "citizens",
}


def policy_table() -> str:
    """The markdown table of POLICIES (what, who, the predicate), in the table's order."""
    lines = ["| what | who | policy |", "|---|---|---|"]
    for policy in POLICIES:
        lines.append(f"| {SECTIONS[policy.section]}: {policy.what} | {policy.who} | `{policy.name}` |")
    return "\n".join(lines) + "\n"


def test_the_workflow_docs_table_is_the_policy_table() -> None:
    text = (DOCS / "workflow.md").read_text(encoding="utf-8")
    block = BLOCK.search(text)
    assert block is not None, "docs/workflow.md lost its <!-- policies --> block"
    assert block.group(2) == policy_table(), "regenerate it:\n" + policy_table()


def test_the_security_docs_name_every_policy() -> None:
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    missing = [p.name for p in POLICIES if f"`{p.name}`" not in text]
    assert missing == []


if __name__ == "__main__":  # write the table into docs/workflow.md
    path = DOCS / "workflow.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(BLOCK.sub(lambda m: m.group(1) + policy_table() + m.group(3), text), encoding="utf-8")
