"""The validated row the importer hands its writers: a list of values in `STAGED_COLUMNS` order.

`zhiyun.importer.validate` builds each row, `zhiyun.importer.pipeline` batches them and the
writers (`zhiyun.importer.writers`) store them; `COL` and the `I_…` indices name the places.
"""

from __future__ import annotations

# The values of one validated row, in this order (see zhiyun.importer.pipeline). A row is a
# list: the SQLite writer fills in `id` and, where the source had none, `number` (the PostgreSQL
# writer gives both in SQL, see `zhiyun.importer.writers.postgres_sql`).
STAGED_COLUMNS: tuple[str, ...] = (
    "id",  # None until an id is taken from the order sequence
    "rownum",  # the row's number in the source file (for the audit row and the report)
    "number",  # the historical order number, or None: one is generated
    "day",  # local registration date YYYYMMDD (for generated numbers)
    "channel",
    "external_id",
    "citizen_name",
    "citizen_phone",
    "title",
    "content",
    "order_type",
    "urgency",
    "category_code",
    "address",
    "latitude",
    "longitude",
    "geo_cell",
    "town_unit_id",
    "village_unit_id",
    "grid_id",  # the grid whose polygon holds the point (with --locate)
    "location_source",
    "confidential",
    "status",
    "registered_unit_id",
    "responsible_unit_id",  # None when the order stayed at the registering center
    "registered_at",  # aware UTC datetimes from here on
    "replied_at",
    "closed_at",
    "satisfaction",
    "result",
)
COL = {name: i for i, name in enumerate(STAGED_COLUMNS)}
I_ID, I_ROWNUM, I_NUMBER, I_DAY = COL["id"], COL["rownum"], COL["number"], COL["day"]
I_CHANNEL, I_EXTERNAL_ID, I_REGISTERED_AT = COL["channel"], COL["external_id"], COL["registered_at"]
