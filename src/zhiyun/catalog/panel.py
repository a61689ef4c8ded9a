"""The catalog's panel on the order page: the full name of the order's category."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from zhiyun.catalog.responsibility import ListCache
from zhiyun.domain.access import Actor

if TYPE_CHECKING:  # the panel reads the order the page hands it; the catalog does not know orders
    from zhiyun.bootstrap import Services
    from zhiyun.orders.views import OrderDetail


class CategoryNamePanel:
    """The order's category as the taxonomy names it (None when it has none or it was removed)."""

    name = "category_name"

    def __init__(self, lists: ListCache) -> None:
        self.lists = lists

    def read(self, session: Session, actor: Actor, order: OrderDetail) -> str | None:
        code = order.summary.category_code
        taxonomy = self.lists.get(session).taxonomy
        return taxonomy.get(code).name if code is not None and code in taxonomy else None


def category_names(services: Services) -> CategoryNamePanel:
    """The category-names panel over the responsibility list's cache."""
    return CategoryNamePanel(services.responsibility.cache)
