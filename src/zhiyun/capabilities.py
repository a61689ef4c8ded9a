"""The installed capabilities, in the order their parts are mounted and listed.

Adding a capability is one new package `zhiyun/<name>/` with a `capability.py`, plus one line
here (docs/architecture.md). The faces (API, console, CLI, worker), the composition root and
the schema read this list; none of them names a capability itself.
"""

from __future__ import annotations

import importlib
from functools import cache

from zhiyun.kernel.capability import Capability

INSTALLED: tuple[str, ...] = (
    "reference",  # working-day calendar and time limits
    "accounts",  # users, sessions, API tokens
    "org",  # the unit tree
    "catalog",  # taxonomy and responsibility list
    "geo",  # gazetteer and locating
    "orders",  # the work order's life cycle, lists, attachments, deadlines
    "dedupe",  # duplicate detection and decisions
    "intake",  # live channels
    "open311",  # GeoReport v2
    "routing",  # automatic dispatch and suggestions
    "classifier",  # the category model
    "importer",  # bulk import of history
    "hotline",  # the call-taking seat
    "analytics",  # dashboard and statistics
    "hotspots",  # hot issues (热点问题): grouping and the hot index
    "replies",  # quick replies (常用语) in the note fields
    "knowledge",  # the knowledge base (知识库) and its retrieval
    "grid",  # grid governance: workers, objects, grid items, patrols, ledgers
    "sensing",  # cameras, sensors, drones, satellites: scenes (alarms and events next)
    "outlook",  # seasons, forecasts and early warning (预警, 未诉先办)
    "portal",  # the citizens' portal (市民门户): report, track, rate
    "assistant",  # 小南: answers from the knowledge base, hand-over to a work order
)


@cache
def installed() -> tuple[Capability, ...]:
    """Every installed capability's declaration (imports only the `capability.py` modules)."""
    found: list[Capability] = []
    for name in INSTALLED:
        module = importlib.import_module(f"zhiyun.{name}.capability")
        declared: Capability = module.CAPABILITY
        if declared.name != name:
            raise LookupError(f"zhiyun.{name}.capability declares {declared.name!r}")
        found.append(declared)
    return tuple(found)
