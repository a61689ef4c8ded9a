"""Tables of the classifier: model versions, dispatch suggestions, training feedback.

Rows share `zhiyun.store.tables.Base`; `tables` imports this module so that the metadata is whole.
"""

from __future__ import annotations
