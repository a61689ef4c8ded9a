"""Intake (一站接诉): channels, adapters, normalization, location and duplicate detection."""
