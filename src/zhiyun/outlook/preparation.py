"""What to prepare for a season (季节提示): the knowledge base's published items about the season's
category, so that the center checks them before the month comes (docs/outlook.md)."""

from __future__ import annotations

from collections.abc import Sequence

from zhiyun.knowledge.search import Hit, KnowledgeSearch
from zhiyun.outlook.service import SeasonView

PER_SEASON = 3


def knowledge_for_seasons(search: KnowledgeSearch, seasons: Sequence[SeasonView]) -> dict[str, list[Hit]]:
    """For each season's category, the answerable items its name finds (best first, at most three)."""
    found: dict[str, list[Hit]] = {}
    for season in seasons:
        if season.category_code in found:
            continue
        hits = search.ask(season.category[:100], PER_SEASON).hits
        found[season.category_code] = [h for h in hits if h.answerable]
    return found


__all__ = ["knowledge_for_seasons"]
