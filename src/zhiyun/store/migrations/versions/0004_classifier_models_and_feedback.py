"""Classifier model versions, dispatch suggestions and training feedback.

Owned by the classifier work (issue 4); empty until its tables land.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:50:00
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
