"""The whole schema: every capability's tables on the one `Base`.

Migrations (`store/migrations/env.py`) and the drift test read `metadata` from here. Importing
this module imports every table module, so nothing else needs to; a new capability with
tables adds one line below.
"""

from __future__ import annotations

from zhiyun.analytics import tables as analytics_tables  # noqa: F401
from zhiyun.catalog import tables as catalog_tables  # noqa: F401
from zhiyun.classifier import tables as classifier_tables  # noqa: F401
from zhiyun.orders import list_indexes  # noqa: F401
from zhiyun.store import tables as core_tables  # noqa: F401
from zhiyun.store.base import Base

metadata = Base.metadata
