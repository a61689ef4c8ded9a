"""Tables of the classifier: trained model versions (issue 4).

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module so that the metadata is whole.
Dispatch suggestions and training feedback live with the taxonomy work (migration 0003).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow


class ClassifierModelRow(Base):
    """A trained version of the text classifier: the model file (.npz bytes, never pickle),
    its checksum, where it was trained from, its k-fold evaluation, and whether it is the
    one in use. At most one row is active; `previous_version` is the version that was
    active before this one was activated (what `rollback` returns to)."""

    __tablename__ = "classifier_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(500))
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    activated_at: Mapped[datetime | None]
    previous_version: Mapped[int | None] = mapped_column(Integer)
