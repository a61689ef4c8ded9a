"""Users: add them, enable and disable them, set their passwords, look them up.

Adding, enabling and disabling ask `may_administer_users`; a password asks
`may_manage_credentials_of` (the user themself, or an admin). A new password or a disabled
account ends every console session and API token of the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from zhiyun.accounts.service.base import AccountServiceBase
from zhiyun.accounts.service.credentials import MIN_PASSWORD, USERNAME_RE
from zhiyun.accounts.service.views import UserView, user_view
from zhiyun.domain.access import (
    STAFF_ROLES,
    Actor,
    Role,
    may_administer_users,
    may_manage_credentials_of,
    require,
)
from zhiyun.domain.errors import Conflict, NotFound, ValidationFailed
from zhiyun.store.tables import ApiTokenRow, LoginSessionRow, OrgUnitRow, UserRow


@dataclass(frozen=True)
class NewUser:
    """One user of a bulk addition (`add_users`): name, role, unit (code) and display name."""

    username: str
    role: Role | str
    unit_code: str | None = None
    display_name: str | None = None
    phone: str | None = None


class UserAdministration(AccountServiceBase):
    """Add, enable, disable and look up users; set a password."""

    def add_user(
        self,
        actor: Actor,
        *,
        username: str,
        password: str,
        role: Role | str,
        unit_code: str | None = None,
        display_name: str | None = None,
        phone: str | None = None,
        password_hash: str | None = None,
    ) -> UserView:
        """Create a user. Every role but admin and leader belongs to a unit.

        `password_hash`, when given, is an argon2 hash computed elsewhere (accounts moved from
        another system, the demo's shared password) and is stored as is instead of hashing
        `password`. Only staff roles can be given (never the system's or a citizen's).
        """
        require(may_administer_users, actor)
        errors: dict[str, str] = {}
        if not USERNAME_RE.match(username or ""):
            errors["username"] = "用户名须为 2–64 位字母、数字、下划线、点或连字符"
        if password_hash is not None:
            if not password_hash.startswith("$argon2"):
                errors["password"] = "密码哈希须为 argon2 格式"
        elif len(password or "") < MIN_PASSWORD:
            errors["password"] = f"密码至少 {MIN_PASSWORD} 位"
        try:
            role = Role(role)
            if not role.is_staff:
                raise ValueError(role)
        except ValueError:
            errors["role"] = f"未知角色 {role}，可选：{', '.join(r.value for r in STAFF_ROLES)}"
        if errors:
            raise ValidationFailed("; ".join(errors.values()), fields=errors)
        assert isinstance(role, Role)
        with self.db.transaction() as session:
            unit = None
            if unit_code:
                unit = session.scalars(select(OrgUnitRow).where(OrgUnitRow.code == unit_code)).one_or_none()
                if unit is None:
                    raise ValidationFailed(f"组织单位编码 {unit_code} 不存在", field="unit_code")
            elif role not in (Role.ADMIN, Role.LEADER, Role.INSPECTOR):
                raise ValidationFailed(f"{role.label}必须属于一个组织单位（--unit）", field="unit_code")
            if session.scalars(select(UserRow.id).where(UserRow.username == username)).first() is not None:
                raise Conflict(f"用户名 {username} 已存在", field="username")
            row = UserRow(
                username=username,
                display_name=display_name or username,
                password_hash=password_hash or self.hasher.hash(password),
                role=role.value,
                unit_id=unit.id if unit else None,
                phone=phone,
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return user_view(row, unit)

    def add_users(self, actor: Actor, users: Sequence[NewUser], *, password_hash: str) -> dict[str, int]:
        """Create many users in one transaction, all with one argon2 hash computed elsewhere (a
        move from another system that shares an initial password, the demo's generated grid
        workers): the checks of `add_user` for each, every problem reported at once, nothing
        written when there is one. Returns username → id of the users created.

        One hash for all because hashing is the expensive part on purpose (~0.5 s each): a
        thousand accounts would take minutes. Admins only (`may_administer_users`).
        """
        require(may_administer_users, actor)
        if not password_hash.startswith("$argon2"):
            raise ValidationFailed("密码哈希须为 argon2 格式", field="password")
        problems: list[str] = []
        seen: set[str] = set()
        for u in users:
            if not USERNAME_RE.match(u.username or ""):
                problems.append(f"{u.username[:64]}：用户名须为 2–64 位字母、数字、下划线、点或连字符")
            elif u.username in seen:
                problems.append(f"{u.username}：用户名重复")
            seen.add(u.username)
            role = Role(u.role) if u.role in {r.value for r in Role} else None
            if role is None or not role.is_staff:
                problems.append(
                    f"{u.username}：未知角色 {u.role}，可选：{', '.join(r.value for r in STAFF_ROLES)}"
                )
            elif not u.unit_code and role not in (Role.ADMIN, Role.LEADER, Role.INSPECTOR):
                problems.append(f"{u.username}：{role.label}必须属于一个组织单位")
        now = self.clock()
        with self.db.transaction() as session:
            codes = {u.unit_code for u in users if u.unit_code}
            units = dict(
                session.execute(
                    select(OrgUnitRow.code, OrgUnitRow.id).where(OrgUnitRow.code.in_(codes))
                ).all()
            )
            problems.extend(f"组织单位编码 {code} 不存在" for code in sorted(codes - set(units)))
            taken: set[str] = set()
            names = sorted(seen)
            for start in range(0, len(names), 1000):
                chunk = names[start : start + 1000]
                taken.update(session.scalars(select(UserRow.username).where(UserRow.username.in_(chunk))))
            problems.extend(f"用户名 {name} 已存在" for name in sorted(taken))
            if problems:
                shown = "；".join(problems[:20]) + (
                    f"；另有 {len(problems) - 20} 处" if len(problems) > 20 else ""
                )
                raise ValidationFailed(
                    f"未添加任何用户（{len(problems)} 处问题）：{shown}", problems=problems
                )
            rows = [
                {
                    "username": u.username,
                    "display_name": u.display_name or u.username,
                    "password_hash": password_hash,
                    "role": Role(u.role).value,
                    "unit_id": units[u.unit_code] if u.unit_code else None,
                    "phone": u.phone,
                    "active": True,
                    "created_at": now,
                }
                for u in users
            ]
            if rows:
                session.execute(insert(UserRow), rows)
            created: dict[str, int] = {}
            for start in range(0, len(names), 1000):
                chunk = names[start : start + 1000]
                created.update(
                    session.execute(
                        select(UserRow.username, UserRow.id).where(UserRow.username.in_(chunk))
                    ).all()
                )
            return created

    def _credentials_row(self, session: Session, actor: Actor, username: str) -> UserRow:
        """The user `username` if `actor` may change their password and tokens: PermissionDenied
        otherwise (also for a name nobody has, so that non-admins learn nothing of who exists)."""
        row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            require(may_administer_users, actor)
            raise NotFound(f"用户 {username} 不存在")
        require(may_manage_credentials_of, actor, row.id)
        return row

    def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Set a new password (the user themself, or an admin): every session and token dies."""
        with self.db.transaction() as session:
            row = self._credentials_row(session, actor, username)
            if len(password or "") < MIN_PASSWORD:
                raise ValidationFailed(f"密码至少 {MIN_PASSWORD} 位", field="password")
            row.password_hash = self.hasher.hash(password)
            self._revoke_credentials(session, row.id)

    def _revoke_credentials(self, session: Session, user_id: int) -> None:
        """End every console session and revoke every API token of the user (reset, disable)."""
        now = self.clock()
        for table in (LoginSessionRow, ApiTokenRow):
            session.execute(
                update(table)
                .where(table.user_id == user_id, table.revoked_at.is_(None))
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )

    def list_users(self) -> list[UserView]:
        # Columns, not rows, and the units' names once: a district has thousands of grid workers.
        query = select(
            UserRow.id, UserRow.username, UserRow.display_name, UserRow.role, UserRow.unit_id, UserRow.active
        ).order_by(UserRow.username)
        with self.db.reading() as session:
            units = dict(session.execute(select(OrgUnitRow.id, OrgUnitRow.name)).all())
            rows = session.execute(query).all()
        labels = {role.value: role.label for role in Role}
        return [
            UserView(
                uid,
                username,
                display,
                role,
                labels[role],
                unit_id,
                units.get(unit_id) if unit_id is not None else None,
                bool(active),
            )
            for uid, username, display, role, unit_id, active in rows
        ]

    def get_user(self, user_id: int) -> UserView:
        with self.db.reading() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFound("用户不存在")
            return self._user_view(session, row)

    def set_active(self, actor: Actor, username: str, active: bool) -> UserView:
        """Enable or disable a user (admins; never themselves): disabling ends their sessions and tokens."""
        require(may_administer_users, actor)
        with self.db.transaction() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            if not active and row.id == actor.user_id:
                raise ValidationFailed("不能停用自己的账号", field="username")
            row.active = active
            if not active:
                self._revoke_credentials(session, row.id)
            return self._user_view(session, row)

    def user_by_name(self, username: str) -> UserView:
        """The user called `username`; NotFound otherwise."""
        with self.db.reading() as session:
            row = session.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
            if row is None:
                raise NotFound(f"用户 {username} 不存在")
            return self._user_view(session, row)
