"""The org structure as a capability: list, create, import and export units."""
