"""Reference data: the org snapshot cache, the working calendar, time limits and settings."""
