"""Tables of the taxonomy (category tree) and the responsibility list (权责清单).

Rows share `zhiyun.store.tables.Base`; `tables` imports this module so that the metadata is whole.
"""

from __future__ import annotations
