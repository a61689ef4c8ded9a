"""Who acts: the principals of the platform and their roles.

A principal is a staff user (a role at a unit), the system itself, or — once the citizens'
portal exists — a citizen. What each may do is decided by the named policies of
`domain/access.py` and, for an order's life cycle, by `domain/workorder/`; this module only
says who is who, so that both can import it.

- Staff users have one of the STAFF_ROLES; only those roles can be given to an account.
- The system (`Actor.system(name)`) is the platform acting on its own: a channel's interface
  registering what the channel delivered, automatic dispatch, the deadline sweep, scheduled
  housekeeping and training runs. It has a name (for the audit trail) and the few rights
  those jobs need, never an administrator's.
- A citizen (`Actor.citizen(...)`) will follow and rate their own requests on the portal,
  and nothing else: every staff policy refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a principal is: a staff role in the center, the system, or a citizen."""

    ADMIN = "admin"
    AGENT = "agent"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    INSPECTOR = "inspector"
    LEADER = "leader"
    GRID_WORKER = "grid_worker"
    SYSTEM = "system"
    CITIZEN = "citizen"

    @property
    def label(self) -> str:
        return {
            "admin": "系统管理员",
            "agent": "话务员",
            "dispatcher": "派单员",
            "handler": "承办人",
            "inspector": "质检员",
            "leader": "领导",
            "grid_worker": "网格员",
            "system": "系统",
            "citizen": "市民",
        }[self.value]

    @property
    def is_staff(self) -> bool:
        """A role a user account of the center may have."""
        return self in STAFF_ROLES


# The roles of user accounts, in the order the console lists them.
STAFF_ROLES: tuple[Role, ...] = (
    Role.ADMIN,
    Role.AGENT,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.INSPECTOR,
    Role.LEADER,
    Role.GRID_WORKER,
)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user with a role at a unit, the system, or a citizen.

    `user_id` is the account behind a staff user or a citizen (None for the system and for
    the command line's operator, who has no account); `name` is what the audit trail shows.
    """

    user_id: int | None
    role: Role
    unit_id: int | None
    name: str = ""

    @classmethod
    def system(cls, name: str = "系统") -> Actor:
        """The platform acting on its own (a channel's interface, automatic dispatch, the worker)."""
        return cls(user_id=None, role=Role.SYSTEM, unit_id=None, name=name)

    @classmethod
    def citizen(cls, account_id: int | None, name: str = "市民") -> Actor:
        """A member of the public (the portal, later): sees and rates only their own requests."""
        return cls(user_id=account_id, role=Role.CITIZEN, unit_id=None, name=name)

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM

    @property
    def is_citizen(self) -> bool:
        return self.role is Role.CITIZEN

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff


# Who the worker's scheduled jobs act as: the system principal, with the rights of its jobs only
# (domain.access: may_run_sweep, may_run_housekeeping), never an administrator's.
SCHEDULED_JOBS = Actor.system("定时任务")
