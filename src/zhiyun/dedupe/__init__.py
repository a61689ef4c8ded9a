"""Duplicate detection (重复件): scoring candidates, their storage and the repair tools."""
