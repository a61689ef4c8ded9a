"""What the importer capability registers: bulk import of history."""

from __future__ import annotations

from zhiyun.kernel.capability import Capability, Command

CAPABILITY = Capability(
    name="importer",
    summary="Bulk import of historical orders from CSV/XLSX: column mapping, validation, a report, resumable loading.",
    commands=(Command("import", "zhiyun.importer.cli:import_app"),),
)
