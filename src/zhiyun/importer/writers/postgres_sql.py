"""The SQL of the PostgreSQL writer (`zhiyun.importer.writers.postgres`), statement by statement.

Rows are copied (binary COPY) into a temporary staging table; one statement numbers the staged
rows and inserts the orders, their audit rows and unit rows (`insert_batch`); on a unique
conflict, from a savepoint, the careful path with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import functools

from zhiyun.importer.staged_row import STAGED_COLUMNS

STAGING = "zhiyun_import_staging"

STAGING_TYPES = {
    "id": "bigint",
    "rownum": "integer",
    "number": "text",
    "day": "text",
    "channel": "text",
    "external_id": "text",
    "citizen_name": "text",
    "citizen_phone": "text",
    "title": "text",
    "content": "text",
    "order_type": "text",
    "urgency": "text",
    "category_code": "text",
    "address": "text",
    "latitude": "double precision",
    "longitude": "double precision",
    "geo_cell": "bigint",
    "town_unit_id": "integer",
    "village_unit_id": "integer",
    "grid_id": "integer",
    "location_source": "text",
    "confidential": "boolean",
    "status": "text",
    "registered_unit_id": "integer",
    "responsible_unit_id": "integer",
    "registered_at": "timestamptz",
    "replied_at": "timestamptz",
    "closed_at": "timestamptz",
    "satisfaction": "text",
    "result": "text",
}
# Each staged row carries, after the columns of the order, the group of its audit record (AuditPlan).
_STAGING_COLUMNS = (*STAGED_COLUMNS, "audit_group")
COPY_STAGING = f"COPY {STAGING} ({', '.join(_STAGING_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
STAGING_COPY_TYPES = [*(STAGING_TYPES[c] for c in STAGED_COLUMNS), "integer"]

STORED_KEYS = """
SELECT w.channel, w.external_id
FROM work_order w JOIN unnest(%(channels)s::text[], %(ids)s::text[]) AS k(channel, external_id)
  ON w.channel = k.channel AND w.external_id = k.external_id
"""
KEY_SEPARATOR = "\x1f"  # the unit separator: never in a validated external id (checked per batch)
STORED_KEYS_OF_CHANNEL = """
SELECT w.channel, w.external_id
FROM work_order w JOIN unnest(string_to_array(%(ids)s::text, E'\\x1f')) AS k(external_id)
  ON w.channel = %(channel)s AND w.external_id = k.external_id
"""
STORED_NUMBERS = "SELECT number FROM work_order WHERE number = ANY(%(numbers)s::text[])"

# Historical numbers of the generated shape push their day's counter past them; then each
# day's range is reserved with one upsert per day (all days in one statement, in day order
# so that concurrent importers never deadlock).
BUMP_COUNTERS = """
INSERT INTO order_number_counter AS c (day, last)
SELECT day, last FROM unnest(%(days)s::text[], %(lasts)s::integer[]) AS b(day, last) ORDER BY day
ON CONFLICT (day) DO UPDATE SET last = GREATEST(c.last, excluded.last)
"""
RESERVE_NUMBERS = """
INSERT INTO order_number_counter AS c (day, last)
SELECT day, n FROM unnest(%(days)s::text[], %(counts)s::integer[]) AS b(day, n) ORDER BY day
ON CONFLICT (day) DO UPDATE SET last = c.last + excluded.last
RETURNING c.day, c.last
"""

# Ids and generated numbers are given in SQL, from the staged rows: the next value of the order
# sequence, and prefix + day + the day's reserved range in order of registration (then of the
# row in the file), as `numbering.format_number` writes them. `firsts` pairs each day with the
# first number of its range.
_NUMBERED = f"""
SELECT s.*, nextval(%(sequence)s::regclass) AS order_id,
       COALESCE(s.number, %(prefix)s || s.day || CASE WHEN s.seq < 10000 THEN lpad(s.seq::text, 4, '0')
                                                      ELSE s.seq::text END) AS order_number
FROM (
    SELECT s.*, f.first + row_number() OVER (PARTITION BY s.day ORDER BY s.registered_at, s.rownum) - 1 AS seq
    FROM {STAGING} s LEFT JOIN unnest(%(days)s::text[], %(firsts)s::bigint[]) AS f(day, first) ON f.day = s.day
) AS s
ORDER BY s.registered_at, s.rownum
"""

_ORDER_COLUMNS = """
    id, number, channel, external_id, citizen_name, citizen_phone, title, content,
    order_type, urgency, category_code, address, latitude, longitude, confidential,
    town_unit_id, village_unit_id, grid_id, location_source, geo_cell, possible_duplicate,
    status, chain, registered_unit_id, current_unit_id, responsible_unit_id,
    registered_at, replied_at, closed_at,
    sign_provisional, reply_provisional, sign_alert, reply_alert,
    extension_count, reopen_count, rework_count, return_count, callback_attempts, urge_count,
    satisfaction, supervised, has_instruction, result, version, created_at, updated_at
"""
_ORDER_VALUES = """
    {id}, {number}, channel, external_id, citizen_name, citizen_phone, title, content,
    order_type, urgency, category_code, address, latitude, longitude, confidential,
    town_unit_id, village_unit_id, grid_id, location_source, geo_cell, false,
    status,
    CASE WHEN responsible_unit_id IS NULL THEN json_build_array(registered_unit_id)
         ELSE json_build_array(registered_unit_id, responsible_unit_id) END,
    registered_unit_id, COALESCE(responsible_unit_id, registered_unit_id), responsible_unit_id,
    registered_at AT TIME ZONE 'UTC', replied_at AT TIME ZONE 'UTC', closed_at AT TIME ZONE 'UTC',
    false, false, '', '',
    0, 0, 0, 0, 0, 0,
    satisfaction, false, false, result, 1, %(now)s, %(now)s
"""
_AUDIT_COLUMNS = (
    "order_id, action, from_status, to_status, from_unit_id, to_unit_id, "
    "actor_user_id, actor_name, actor_role, actor_unit_id, note, details, created_at"
)
_AUDIT_GROUPS = """
unnest(%(g_action)s::text[], %(g_from_status)s::text[], %(g_to_status)s::text[],
       %(g_from_unit_id)s::integer[], %(g_to_unit_id)s::integer[], %(g_note)s::text[])
  WITH ORDINALITY AS g(action, from_status, to_status, from_unit_id, to_unit_id, note, n)
"""


def insert_audit(source: str, id_column: str, details_sql: str) -> str:
    """The audit rows of the staged rows in `source` (alias s), from their AuditPlan groups."""
    return (
        f"INSERT INTO transition ({_AUDIT_COLUMNS}) "
        f"SELECT s.{id_column}, g.action, g.from_status, g.to_status, g.from_unit_id, g.to_unit_id, "
        "%(actor_user_id)s::integer, %(actor)s, %(role)s, %(actor_unit_id)s::integer, g.note, "
        f"{details_sql}, %(now)s FROM {source} s JOIN {_AUDIT_GROUPS} ON g.n = s.audit_group"
    )


_UNIT_VALUES = """
SELECT {id}, registered_unit_id FROM {source}
UNION ALL
SELECT {id}, responsible_unit_id FROM {source} WHERE responsible_unit_id IS NOT NULL
"""


# The usual batch: orders, their audit rows and unit rows in one statement, without ON
# CONFLICT, whose check of the three unique indexes before every row is a tenth of the
# database's work. A conflict is rare (stored keys and numbers were set aside already): if one
# comes up (another importer of the same rows, a generated number that a historical one
# took), the batch goes back to a savepoint and takes the careful path below.
@functools.cache
def insert_batch(details_sql: str) -> str:
    return f"""
WITH staged AS MATERIALIZED ({_NUMBERED}),
orders AS (
    INSERT INTO work_order ({_ORDER_COLUMNS})
    SELECT {_ORDER_VALUES.format(id="order_id", number="order_number")} FROM staged
),
audit AS ({insert_audit("staged", "order_id", details_sql)}),
units AS (
    INSERT INTO work_order_unit (order_id, unit_id) {_UNIT_VALUES.format(id="order_id", source="staged")}
)
SELECT count(*) FROM staged
"""


SAVEPOINT = "SAVEPOINT zhiyun_import_orders"
BACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT zhiyun_import_orders"

# The careful path: ids and numbers written into the staging table, the orders inserted
# skipping conflicts, the rows skipped (looked up, reported, unstaged), then the trail of the
# orders stored.
NUMBER_STAGED = f"""
UPDATE {STAGING} t SET id = n.order_id, number = n.order_number
FROM ({_NUMBERED}) AS n WHERE t.rownum = n.rownum
"""
INSERT_ORDERS_SKIPPING_CONFLICTS = f"""
WITH inserted AS (
    INSERT INTO work_order ({_ORDER_COLUMNS})
    SELECT {_ORDER_VALUES.format(id="id", number="number")} FROM {STAGING}
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT count(*) FROM inserted
"""
SKIPPED = f"""
SELECT s.id, s.rownum,
       EXISTS (SELECT 1 FROM work_order w WHERE w.channel = s.channel AND w.external_id = s.external_id)
FROM {STAGING} s
WHERE NOT EXISTS (SELECT 1 FROM work_order w WHERE w.id = s.id)
"""
UNSTAGE = f"DELETE FROM {STAGING} WHERE id = ANY(%(ids)s::bigint[])"
INSERT_UNITS = (
    f"INSERT INTO work_order_unit (order_id, unit_id) {_UNIT_VALUES.format(id='id', source=STAGING)}"
)


# The units a batch refers to, locked as PostgreSQL's own foreign-key checks lock them (FOR KEY
# SHARE: nobody deletes them or changes their id until the batch commits); their count says
# whether all of them exist.
LOCK_UNITS = (
    "SELECT count(*) FROM (SELECT id FROM org_unit WHERE id = ANY(%(ids)s::integer[]) FOR KEY SHARE) AS u"
)
SKIP_FK_TRIGGERS = "SET LOCAL session_replication_role = replica"
