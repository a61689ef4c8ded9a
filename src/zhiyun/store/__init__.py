"""Storage: ORM tables, the database handle, repositories and migrations."""
