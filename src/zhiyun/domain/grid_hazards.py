"""From a grid hazard to a work order, in words the rules need (issue 17, part 7).

A hazard (隐患) is what a grid worker finds on patrol: an answer of a grid item's checklist
that means a hazard (`grid_items.hazards`), or a free report (随手报) of anything seen. Each
becomes one work order in the `grid` channel, registered at the village/community center of
its grid, and one hazard record that follows it:

- **Status** (`HazardStatus`): `open` (待整改: reported, awaiting the re-check of the next
  visit), `unfixed` (复查未整改: re-checked and not fixed — its order reopened, or still with
  its handler; re-checked again at the next visit), `fixed` (已整改) and `superseded`
  (转新工单: its order had ended while the hazard was still there, so the re-check reported
  it again as a new order and a new hazard that follows this one). `open` and `unfixed` are
  the open ones (`OPEN_STATUSES`): the phone lists them for re-check.
- **Rectification deadline** (整改期限, `rectify_by`): a date the village sets when it solves
  the matter at intake (就地解决), or the report's default period in calendar days
  (`rectify_deadline`). A hazard still open after its day is overdue (`is_overdue`).
- **The re-check** (复查, `recheck_plan`): what the next visit's answer does to the order,
  by the order's status then (below).
- **Who**: a grid worker reports and re-checks only in the grids of their own posts
  (`may_report_in_grid`, `may_recheck`, over `grid.visible_grid_ids`); the village's
  dispatchers and agents, or those of a center above it, set the rectification deadline
  (`may_set_rectification`).
- **Figures** (`LocalFigures`): grid orders registered at village centers, those solved in
  the village (`solved_in_village`), the share 就地解决率 and the hazards found, fixed,
  open and overdue.

The re-check, by the order's status (`recheck_plan`):

| order status | fixed | not fixed |
|---|---|---|
| awaiting callback (the village solved it at intake, or the handler's reply was approved) | close it (the re-check is the check) | call it back as unsatisfied: reopened down its chain (at the village when it never left it); with no reopen left, nothing: the village's callback decides |
| pending dispatch, dispatched, in progress, suspended, replied (still being handled) | nothing on the order: its holder finishes it, the registering center calls it back | nothing on the order; the hazard says 复查未整改 |
| closed, cancelled, merged (ended) | nothing | report it again: a new order (through the same duplicate check) and a new hazard following this one |

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from zhiyun.domain.grid import GridPlace, GridPost, visible_grid_ids
from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role
from zhiyun.domain.workorder import OrderStatus

__all__ = [
    "MAX_RECHECK_NOTE",
    "MAX_RECTIFY_DAYS",
    "OPEN_STATUSES",
    "RECTIFICATION_SETTERS",
    "HazardStatus",
    "LocalFigures",
    "RecheckPlan",
    "RecheckStep",
    "is_overdue",
    "may_recheck",
    "may_report_in_grid",
    "may_set_rectification",
    "recheck_plan",
    "rectify_deadline",
    "solved_in_village",
]

MAX_RECTIFY_DAYS = 365
MAX_RECHECK_NOTE = 2000


class HazardStatus(StrEnum):
    """Where a hazard found on patrol stands."""

    OPEN = "open"
    UNFIXED = "unfixed"
    FIXED = "fixed"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {
            "open": "待整改",
            "unfixed": "复查未整改",
            "fixed": "已整改",
            "superseded": "转新工单",
        }[self.value]

    @property
    def colour(self) -> str:
        return {"open": "orange", "unfixed": "red", "fixed": "green", "superseded": "grey"}[self.value]

    @property
    def is_open(self) -> bool:
        """Still to be re-checked at the next visit."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({HazardStatus.OPEN, HazardStatus.UNFIXED})


class RecheckStep(StrEnum):
    """What a re-check does to the hazard's order."""

    CLOSE = "close"  # Close: the re-check is the check (核查) of a matter solved
    REOPEN = "reopen"  # Callback as unsatisfied: reopened down its chain (重办)
    NOTHING = "nothing"  # the order stays as it is; the hazard records the re-check
    FOLLOW_UP = "follow_up"  # the order ended: the hazard is reported again as a new order


@dataclass(frozen=True)
class RecheckPlan:
    """A re-check's step on the order, the hazard's new status, and why (for people)."""

    step: RecheckStep
    status: HazardStatus
    reason: str


_HANDLING = frozenset(
    {
        OrderStatus.PENDING_DISPATCH,
        OrderStatus.DISPATCHED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.SUSPENDED,
        OrderStatus.REPLIED,
    }
)
_ENDED = frozenset({OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.MERGED})


def recheck_plan(status: OrderStatus, fixed: bool, *, reopen_count: int, max_reopens: int) -> RecheckPlan:
    """What the re-check (复查) of a hazard does, by its order's status (the module's table)."""
    if status is OrderStatus.AWAITING_CALLBACK:
        if fixed:
            return RecheckPlan(RecheckStep.CLOSE, HazardStatus.FIXED, "复查已整改，工单归档")
        if reopen_count < max_reopens:
            return RecheckPlan(RecheckStep.REOPEN, HazardStatus.UNFIXED, "复查未整改，工单重办")
        return RecheckPlan(
            RecheckStep.NOTHING, HazardStatus.UNFIXED, "复查未整改；重办次数已用完，请登记中心回访处理"
        )
    if status in _HANDLING:
        if fixed:
            return RecheckPlan(
                RecheckStep.NOTHING, HazardStatus.FIXED, "复查已整改；工单仍在办理，办结后回访归档"
            )
        return RecheckPlan(RecheckStep.NOTHING, HazardStatus.UNFIXED, "复查未整改；工单仍在办理")
    if status in _ENDED:
        if fixed:
            return RecheckPlan(RecheckStep.NOTHING, HazardStatus.FIXED, "复查已整改")
        return RecheckPlan(
            RecheckStep.FOLLOW_UP, HazardStatus.SUPERSEDED, "复查未整改；原工单已结束，重新上报为新工单"
        )
    raise ValueError(f"no re-check rule for an order in status {status!r}")  # pragma: no cover


def rectify_deadline(found_on: date, days: int | None) -> date | None:
    """The default rectification deadline: `days` calendar days after the day it was found
    (None without a period). A period must be 1–MAX_RECTIFY_DAYS days."""
    if days is None:
        return None
    if not 1 <= days <= MAX_RECTIFY_DAYS:
        raise ValueError(f"a rectification period is 1–{MAX_RECTIFY_DAYS} days, not {days}")
    return found_on + timedelta(days=days)


def is_overdue(status: HazardStatus, rectify_by: date | None, today: date) -> bool:
    """An open hazard whose rectification deadline has passed (the deadline day itself is in time)."""
    return status.is_open and rectify_by is not None and today > rectify_by


def _own_grid(actor: Actor, grid: GridPlace, org: OrgTree, posts: Iterable[GridPost]) -> bool:
    return actor.role is Role.GRID_WORKER and grid.id in visible_grid_ids(actor, (grid,), org, posts)


def may_report_in_grid(actor: Actor, grid: GridPlace, org: OrgTree, posts: Iterable[GridPost]) -> bool:
    """Whether `actor` may report a hazard in `grid`: a grid worker in a grid of their own posts
    (`posts`: their active posts; a chief's post covers every grid of the village)."""
    return _own_grid(actor, grid, org, posts)


def may_recheck(actor: Actor, grid: GridPlace, org: OrgTree, posts: Iterable[GridPost]) -> bool:
    """Whether `actor` may re-check (复查) a hazard found in `grid`: the same rule as reporting —
    a grid worker whose posts cover the grid, whoever reported it."""
    return _own_grid(actor, grid, org, posts)


# Who sets a rectification deadline (整改期限): those who take an order at a center's intake.
RECTIFICATION_SETTERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENT})


def may_set_rectification(actor: Actor, village_unit_id: int, org: OrgTree) -> bool:
    """Whether `actor` may set the rectification deadline of a hazard of the village
    `village_unit_id`: an admin, or a dispatcher or an agent of that village or of a center
    above it (its town, the district)."""
    if actor.role not in RECTIFICATION_SETTERS:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.unit_id is None or actor.unit_id not in org.units or village_unit_id not in org.units:
        return False
    return org.is_within(village_unit_id, actor.unit_id)


def solved_in_village(
    status: OrderStatus, village_unit_id: int, involved: Iterable[int], org: OrgTree
) -> bool:
    """Whether a grid order registered at the village center `village_unit_id` was solved in the
    village (就地解决): it is closed, and every unit it has ever been at (registration, every
    dispatch, every hand-up: the order's involved units) lies within the village — it never
    went up to the town or the district, nor to a department."""
    if status is not OrderStatus.CLOSED:
        return False
    return all(org.is_within(unit, village_unit_id) for unit in involved if unit in org.units)


@dataclass(frozen=True)
class LocalFigures:
    """The figures of grid problems of one village (or of several, summed) over a period.

    - `registered`: grid orders registered at the village center in the period (one per report);
    - `closed`: of those, the ones closed (归档) by now; merged and cancelled ones are neither;
    - `solved_in_village`: of the closed ones, those that never left the village (`solved_in_village`);
    - `share` (就地解决率): solved in the village ÷ closed; None while none is closed;
    - `hazards_found`: hazard records of those orders; `hazards_fixed`, `hazards_open`
      (待整改 or 复查未整改) and `hazards_overdue` (open past their rectification deadline) of them.
    """

    registered: int = 0
    closed: int = 0
    solved_in_village: int = 0
    hazards_found: int = 0
    hazards_fixed: int = 0
    hazards_open: int = 0
    hazards_overdue: int = 0

    @property
    def share(self) -> float | None:
        if self.closed == 0:
            return None
        return self.solved_in_village / self.closed

    @property
    def share_text(self) -> str:
        """The share as people read it: "80.0%", or "—" while nothing is closed."""
        share = self.share
        return "—" if share is None else f"{share * 100:.1f}%"

    def __add__(self, other: LocalFigures) -> LocalFigures:
        return LocalFigures(
            self.registered + other.registered,
            self.closed + other.closed,
            self.solved_in_village + other.solved_in_village,
            self.hazards_found + other.hazards_found,
            self.hazards_fixed + other.hazards_fixed,
            self.hazards_open + other.hazards_open,
            self.hazards_overdue + other.hazards_overdue,
        )
