"""What several pages show beside orders: channel names, units to pick, dispatch targets."""

from __future__ import annotations

from collections.abc import Mapping

from zhiyun.bootstrap import Services
from zhiyun.domain.access import DISTRICT_WIDE_READERS, Actor, may_dispatch_in_bulk
from zhiyun.domain.errors import DomainError
from zhiyun.domain.org import OrgTree
from zhiyun.orders.service import reference_snapshot

MANUAL_CHANNEL = ("manual", "人工登记")


def org_tree(services: Services) -> OrgTree:
    return reference_snapshot(services.orders).org


def channel_names(services: Services) -> dict[str, str]:
    """Channel code → name, for labels and the channel filter."""
    return with_manual({c.code: c.name for c in services.channels.channels()})


def with_manual(names: Mapping[str, str]) -> dict[str, str]:
    """Channel names with hand registration's own (it is no channel of the registry)."""
    out = dict(names)
    out.setdefault(*MANUAL_CHANNEL)
    return out


def unit_label(org: OrgTree, unit_id: int) -> str:
    unit = org.get(unit_id)
    depth = len(list(org.ancestors(unit_id)))
    return "\u3000" * max(depth - 1, 0) + unit.name


def filter_units(services: Services, actor: Actor) -> list[tuple[int, str]]:
    """Units the actor may narrow a list to: the whole tree for district-wide readers, else their subtree."""
    org = org_tree(services)
    if actor.role in DISTRICT_WIDE_READERS or actor.unit_id is None:
        ids = _tree_order(org, org.root().id)
    else:
        ids = _tree_order(org, actor.unit_id)
    return [(uid, unit_label(org, uid)) for uid in ids]


def _tree_order(org: OrgTree, top: int) -> list[int]:
    out: list[int] = []

    def walk(uid: int) -> None:
        out.append(uid)
        for child in sorted(org.children.get(uid, ()), key=lambda c: org.get(c).code):
            walk(child)

    walk(top)
    return out


def dispatch_targets(services: Services, actor: Actor) -> list[tuple[int, str]]:
    """Units the actor's center may dispatch to (none for roles that do not dispatch)."""
    if not may_dispatch_in_bulk(actor):
        return []
    org = org_tree(services)
    top = actor.unit_id if actor.unit_id is not None else org.root().id
    return [(uid, unit_label(org, uid)) for uid in _tree_order(org, top) if uid != top]


def category_names(services: Services) -> dict[str, tuple[str, str]]:
    """Category code → (its name, its first-level category's name), for labels and legends."""
    taxonomy = getattr(services, "taxonomy", None)
    if taxonomy is None:
        return {}
    try:
        tree = taxonomy.taxonomy()
    except DomainError:  # names are a convenience: never fail the page for them
        return {}
    return {code: (c.name, tree.top(code).name) for code, c in tree.categories.items()}


def category_choices(services: Services) -> list[tuple[str, str]]:
    """(code, name) of the taxonomy's active categories, when the taxonomy service is installed."""
    taxonomy = getattr(services, "taxonomy", None)
    if taxonomy is None:
        return []
    try:
        return [(c.code, c.name) for c in taxonomy.categories() if c.active]
    except DomainError:  # the list is a convenience on the workbench: never fail the page for it
        return []
