"""Account use cases: add users, check passwords, open console sessions, issue API tokens.

Password checks are throttled per account name and per client address (the rules are in
domain/throttle.py, the counts in the table login_throttle, shared by every API process);
API tokens always expire, are listed and revoked by their owner and by admins, and die with
a password reset or a disabled account, as console sessions do.

Every change takes the acting principal and asks the policies of `domain/access.py` first:
`may_administer_users` (add, enable, disable), `may_manage_credentials_of` (a password and
API tokens: the user themself, or an admin).

`AccountService` is made of one part per job, each in its module: `users.py` (add, enable,
disable, passwords), `login.py` (the password check and its throttle), `sessions.py` (console
sessions), `tokens.py` (API tokens); `base.py` is the state they share, `views.py` what they
hand out and `credentials.py` the rules of names, passwords and secrets.
"""

from __future__ import annotations

from zhiyun.accounts.service.login import PasswordLogin
from zhiyun.accounts.service.sessions import ConsoleSessions
from zhiyun.accounts.service.tokens import ApiTokens
from zhiyun.accounts.service.users import NewUser, UserAdministration


class AccountService(UserAdministration, PasswordLogin, ConsoleSessions, ApiTokens):
    """Users, passwords, sessions and tokens."""


__all__ = ["AccountService", "NewUser"]
