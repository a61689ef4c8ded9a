"""Bulk import of historical orders: mapping, sources, validation, report and fast writers."""
