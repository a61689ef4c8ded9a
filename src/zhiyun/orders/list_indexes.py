"""Indexes behind the lists of orders, the API's and the console's (no tables of its own): queues, sorts and Chinese search.

Rows share `zhiyun.store.base.Base`; `store/schema.py` imports this module so that the metadata is whole.
Migration 0007 creates these (0008 makes the search index partial).

- ix_work_order_updated_at_id, ix_work_order_reply_due_at_id: the keyset pages of the
  "最近更新" and "办理期限最近" sorts (the newest-first sort has ix_work_order_registered_at_id);
- ix_work_order_possible_duplicate, _supervised, _instructed: the 疑似重复, 督办件 and 批示件
  queues, partial (only flagged rows are indexed);
- ix_work_order_search_tsv (PostgreSQL only): GIN over to_tsvector('simple', search_text),
  the space-joined words intake segments every order into; partial (orders with words only,
  `SEARCH_INDEXED` must be in the query), so that a bulk import, which leaves the words to the
  search backfill, does not add an empty entry per order;
- ix_work_order_unsegmented: the few orders without search_text (registered by hand), whose
  titles are searched for the words instead.
"""

from __future__ import annotations

from sqlalchemy import Index, func, literal_column, text

from zhiyun.store.base import table_of
from zhiyun.store.tables import WorkOrderRow

_c = table_of(WorkOrderRow).c

# The exact expression the search queries use, so that PostgreSQL matches it to the index.
SEARCH_DOCUMENT = func.to_tsvector(
    literal_column("'simple'"), func.coalesce(_c.search_text, literal_column("''"))
)


def _partial(name: str, condition: str) -> Index:
    where = text(condition)
    return Index(name, _c.registered_at, _c.id, postgresql_where=where, sqlite_where=where)


UPDATED_INDEX = Index("ix_work_order_updated_at_id", _c.updated_at, _c.id)
REPLY_DUE_INDEX = Index("ix_work_order_reply_due_at_id", _c.reply_due_at, _c.id)
DUPLICATE_INDEX = _partial("ix_work_order_possible_duplicate", "possible_duplicate")
SUPERVISED_INDEX = _partial("ix_work_order_supervised", "supervised")
INSTRUCTED_INDEX = _partial("ix_work_order_instructed", "has_instruction")
UNSEGMENTED_INDEX = _partial("ix_work_order_unsegmented", "search_text IS NULL")
# The search index's condition: a query must state it for PostgreSQL to use the index.
SEARCH_INDEXED = _c.search_text.is_not(None)
# A functional index names no column, so it is bound to its table explicitly.
SEARCH_INDEX = Index(
    "ix_work_order_search_tsv",
    SEARCH_DOCUMENT,
    postgresql_using="gin",
    postgresql_where=text("search_text IS NOT NULL"),
    _table=table_of(WorkOrderRow),
).ddl_if(dialect="postgresql")
