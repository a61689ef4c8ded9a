"""What every part of AccountService shares: the database, the settings, the clock, the password
hasher and the login throttle's rules (built once, from the settings), and how a user is shown."""

from __future__ import annotations

import threading
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from zhiyun.accounts.service.views import UserView, user_view
from zhiyun.config import Settings
from zhiyun.domain.throttle import ThrottleRule
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database
from zhiyun.store.tables import OrgUnitRow, UserRow


class AccountServiceBase:
    """The state of the account use cases; the parts of AccountService add the use cases."""

    def __init__(
        self,
        db: Database,
        settings: Settings | None = None,
        *,
        clock: Clock = system_clock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock
        # argon2id with the site's costs (ZHIYUN_PASSWORD_*); a stored hash made with other
        # costs is rehashed at the next successful login
        self.hasher = hasher or PasswordHasher(
            time_cost=self.settings.password_time_cost,
            memory_cost=self.settings.password_memory_kib,
            parallelism=self.settings.password_parallelism,
        )
        self._dummy_hash: str | None = None
        # argon2 costs ~0.5 s of CPU: at most this many checks run at once in this process, so
        # that parallel password guessing cannot starve every other request of CPU.
        self._password_checks = threading.BoundedSemaphore(self.settings.login_concurrency)
        s = self.settings
        self.account_rule = ThrottleRule(
            free_failures=s.login_account_free_failures,
            window=timedelta(minutes=s.login_account_window_minutes),
            first_lock=timedelta(minutes=s.login_account_lock_minutes),
            max_lock=timedelta(minutes=max(s.login_account_max_lock_minutes, s.login_account_lock_minutes)),
        )
        self.address_rule = ThrottleRule(
            free_failures=s.login_address_free_failures,
            window=timedelta(minutes=s.login_address_window_minutes),
            first_lock=timedelta(minutes=s.login_address_lock_minutes),
            max_lock=timedelta(minutes=max(s.login_address_max_lock_minutes, s.login_address_lock_minutes)),
        )

    def _user_view(self, session: Session, row: UserRow) -> UserView:
        unit = session.get(OrgUnitRow, row.unit_id) if row.unit_id is not None else None
        return user_view(row, unit)
