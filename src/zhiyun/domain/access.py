"""Roles, the acting user, and who may see what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from zhiyun.domain.org import OrgTree


class Role(StrEnum):
    """What a user does in the center."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    INSPECTOR = "inspector"
    LEADER = "leader"
    GRID_WORKER = "grid_worker"

    @property
    def label(self) -> str:
        return {
            "admin": "系统管理员",
            "dispatcher": "派单员",
            "handler": "承办人",
            "inspector": "质检员",
            "leader": "领导",
            "grid_worker": "网格员",
        }[self.value]


# Roles that read every order in the district.
DISTRICT_WIDE_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR})
# Roles that see a citizen's phone number unmasked (confidential orders: only the first three).
CONTACT_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.INSPECTOR, Role.HANDLER})
CONFIDENTIAL_CONTACT_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.INSPECTOR})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with a role at a unit, or the system itself (user_id None)."""

    user_id: int | None
    role: Role
    unit_id: int | None
    name: str = ""

    @classmethod
    def system(cls, name: str = "系统") -> Actor:
        return cls(user_id=None, role=Role.ADMIN, unit_id=None, name=name)

    @property
    def is_system(self) -> bool:
        return self.user_id is None


def can_view(actor: Actor, involved_unit_ids: Iterable[int], org: OrgTree) -> bool:
    """Whether `actor` may read an order that has been at `involved_unit_ids`."""
    if actor.role in DISTRICT_WIDE_READERS:
        return True
    if actor.unit_id is None:
        return False
    involved = set(involved_unit_ids)
    if actor.role is Role.DISPATCHER:
        return bool(involved & org.subtree_ids(actor.unit_id))
    return actor.unit_id in involved


def can_see_contact(actor: Actor, confidential: bool) -> bool:
    """Whether `actor` sees the citizen's phone unmasked."""
    allowed = CONFIDENTIAL_CONTACT_READERS if confidential else CONTACT_READERS
    return actor.role in allowed


def mask_phone(phone: str | None) -> str | None:
    """138****5678 for mobiles; landlines keep area code and last four digits."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    # keep the area code with its dash ("020-", "0757-"), else the first three characters
    keep_head = digits.index("-") + 1 if "-" in digits[:5] else 3
    if len(digits) - keep_head - 4 < 4:
        # too short to keep a head and still hide four characters (a local number such
        # as 86281234): show only the last four
        keep_head = 0
    head = digits[:keep_head]
    tail = digits[-4:]
    return f"{head}{'*' * max(len(digits) - keep_head - 4, 4)}{tail}"


def mask_name(name: str | None) -> str | None:
    """张** : family name kept."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


# Numbers a citizen or an agent may type into free text: mainland mobiles and the 18-digit
# resident ID (15-digit old IDs too). Masked in text for readers who see the phone field masked.
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_OLD_ID_CARD_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{6}(\d{3})(?![\dA-Za-z])")


def mask_personal_numbers(text: str) -> str:
    """`text` with mobile numbers (138****5678) and ID card numbers (440602********1234) masked."""
    text = _ID_CARD_IN_TEXT.sub(r"\1********\2", text)
    text = _OLD_ID_CARD_IN_TEXT.sub(r"\1******\2", text)
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)


def text_for(actor: Actor, confidential: bool, text: str | None) -> str | None:
    """Free text of an order (title, content, address, notes) as `actor` may read it: personal
    numbers typed into it are masked for whoever sees the citizen's phone masked."""
    if not text or can_see_contact(actor, confidential):
        return text
    return mask_personal_numbers(text)
