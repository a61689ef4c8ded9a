"""The whole schema: the core tables and every installed capability's tables on the one `Base`.

Migrations (`store/migrations/env.py`) and the drift test call `metadata()`. It imports the
table modules the capabilities declare (`Capability.tables`), so nothing else needs to; a new
capability with tables declares them in its `capability.py`.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from zhiyun.capabilities import installed
from zhiyun.store import tables as core_tables  # noqa: F401
from zhiyun.store.base import Base


def metadata() -> MetaData:
    """Every table of the platform (imports the capabilities' table modules on first call)."""
    for capability in installed():
        for module in capability.tables:
            importlib.import_module(module)
    return Base.metadata
