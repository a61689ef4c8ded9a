"""The scene catalogue's tables (场景目录): one row per scene, one per published version.

A scene changes only by publishing a new version: `sensing_scene_version` keeps each version's
whole definition (`domain.sensing_scenes.scene_to_json`) with who published it, when and why,
and is never changed afterwards; `sensing_scene.current_version` names the one alarms are
judged by. An event records the version it was judged by, so the versions before stay readable.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module (the sensing
capability's declaration names it) so that the metadata is whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiyun.store.base import Base, utcnow

ACTOR_MAX = 100


class SceneRow(Base):
    """A scene (场景): its code, the name, source and category of its current version (for
    lists), whether alarms of it are taken, the version they are judged by, who last changed it."""

    __tablename__ = "sensing_scene"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(12))
    category_code: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(ACTOR_MAX))


class SceneVersionRow(Base):
    """One published version of a scene: its whole definition, who published it, when and why."""

    __tablename__ = "sensing_scene_version"

    scene_id: Mapped[int] = mapped_column(ForeignKey("sensing_scene.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(ACTOR_MAX))
    note: Mapped[str] = mapped_column(Text, default="")


__all__ = ["SceneRow", "SceneVersionRow"]
