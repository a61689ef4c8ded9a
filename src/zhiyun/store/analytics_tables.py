"""Tables of the analytics: rollups behind the leader dashboard.

Rows share `zhiyun.store.tables.Base`; `tables` imports this module so that the metadata is whole.
"""

from __future__ import annotations
