"""Accounts: users, roles, passwords, console sessions and API tokens."""
