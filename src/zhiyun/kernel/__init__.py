"""Shared helpers that know no capability (HTTP edge rules, …)."""
