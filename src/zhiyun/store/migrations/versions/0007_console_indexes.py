"""Console: indexes behind the workbench queues, filters and search.

Owned by the console work (issue 5); empty until its changes land.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
