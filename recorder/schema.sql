-- schema.sql - the purr recording schema, version 2.
--
-- One SQLite file per run. This text is compiled into purr_recorder and run
-- once when a recording is created; docs/recording.md describes it column
-- by column. A change to any table or view means a new user_version, and a
-- purr reads only the version it writes (PURR_RECORDING_VERSION).
PRAGMA user_version = 2;

-- Run metadata, one row per key: scene, scene_hash, seed, shuffle_seed,
-- purr_version, clock, options, start_ns, end_ns, exit_status, created_by.
CREATE TABLE run (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every value of the run. id is purr_value_id (creation order, from 1).
-- role: 1 input, 2 output, 3 internal. type: the purr_type number (0 nil =
-- any type). initial: the datum at creation, in the payload encoding.
CREATE TABLE value (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       INTEGER NOT NULL,
    type       INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    initial    BLOB NOT NULL
) STRICT;

-- One row per transition. seq is the loop-wide transition number (from 1,
-- gap-free). payload is purr_datum_encode of the new datum: the exact
-- truth, which replay compares. num and text are for people: num holds
-- bool and int payloads as INTEGER and doubles as REAL (NULL for a NaN,
-- which SQLite cannot store as REAL); text holds the purr_datum_format text
-- form of strings, bytes, tuples and NaNs (NULL when recorded with no_text,
-- and for every other type). The column order puts the small, always
-- present columns first.
CREATE TABLE transition (
    seq      INTEGER PRIMARY KEY,
    time_ns  INTEGER NOT NULL,
    num      ANY,
    text     TEXT,
    value_id INTEGER NOT NULL,
    task_id  INTEGER NOT NULL,
    payload  BLOB NOT NULL
) STRICT;

-- Every task seen. parent_task_id: the task owning its nursery (0: none).
-- spawn_site: file:line of purr_spawn, NULL while the observer hook does not
-- carry it.
CREATE TABLE task (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    parent_task_id INTEGER NOT NULL,
    spawn_site     TEXT
) STRICT;

-- Task events from the observer hook, packed: one row holds up to 1024
-- consecutive events as a JSON array of arrays
--   [seq - first_seq, time_ns - first_ns, kind, task_id, parent_task_id,
--    status]                       (and a 7th item, detail, when present)
-- so that a run's many task events cost a few bytes each. Rows never
-- straddle a commit, so how events are grouped depends on wall time; the
-- events themselves, read through the task_event view, do not.
CREATE TABLE task_event_chunk (
    first_seq INTEGER PRIMARY KEY,
    first_ns  INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    events    TEXT NOT NULL
) STRICT;

-- One row per task event. seq is the loop-wide event number (shared with
-- value events, so it orders task events and transitions); kind is the
-- purr_event_kind number; status the ENDED result or WOKEN code; detail
-- what a BLOCKED task waits for.
CREATE VIEW task_event AS
SELECT c.first_seq + (e.value ->> 0) AS seq,
       c.first_ns + (e.value ->> 1) AS time_ns,
       e.value ->> 2 AS kind,
       e.value ->> 3 AS task_id,
       e.value ->> 4 AS parent_task_id,
       e.value ->> 5 AS status,
       e.value ->> 6 AS detail
FROM task_event_chunk c, json_each(c.events) e;

-- Transitions for people: time in seconds, names instead of numbers, the
-- datum as text: text when set, else num (bools as true/false; doubles as
-- SQLite prints a REAL, to 15 digits), nil for nil, else the payload in
-- hex (a NaN, a string... recorded with no_text).
CREATE VIEW transitions_text AS
SELECT t.seq AS seq,
       printf('%d.%09d', t.time_ns / 1000000000, t.time_ns % 1000000000)
           AS time_s,
       v.name AS value,
       CASE v.role WHEN 1 THEN 'input' WHEN 2 THEN 'output'
                   WHEN 3 THEN 'internal' ELSE '?' END AS role,
       coalesce(k.name, '') AS task,
       CASE WHEN t.text IS NOT NULL THEN t.text
            WHEN t.num IS NOT NULL THEN
                CASE WHEN substr(t.payload, 1, 1) = x'01'
                     THEN iif(t.num, 'true', 'false') ELSE t.num END
            WHEN t.payload = x'00' THEN 'nil'
            ELSE 'x''' || hex(t.payload) || '''' END AS payload
FROM transition t
JOIN value v ON v.id = t.value_id
LEFT JOIN task k ON k.id = t.task_id
ORDER BY t.seq;

-- One row per value: how often it changed, and when first and last.
CREATE VIEW values_summary AS
SELECT v.name AS name,
       CASE v.role WHEN 1 THEN 'input' WHEN 2 THEN 'output'
                   WHEN 3 THEN 'internal' ELSE '?' END AS role,
       CASE v.type WHEN 0 THEN 'any' WHEN 1 THEN 'bool' WHEN 2 THEN 'int'
                   WHEN 3 THEN 'double' WHEN 4 THEN 'string'
                   WHEN 5 THEN 'bytes' WHEN 6 THEN 'tuple' ELSE '?' END
           AS type,
       count(t.seq) AS transitions,
       printf('%d.%09d', min(t.time_ns) / 1000000000,
              min(t.time_ns) % 1000000000) AS first_s,
       printf('%d.%09d', max(t.time_ns) / 1000000000,
              max(t.time_ns) % 1000000000) AS last_s
FROM value v
LEFT JOIN transition t ON t.value_id = v.id
GROUP BY v.id
ORDER BY v.id;

-- Task events for people.
CREATE VIEW task_events_text AS
SELECT e.seq AS seq,
       printf('%d.%09d', e.time_ns / 1000000000, e.time_ns % 1000000000)
           AS time_s,
       coalesce(k.name, '#' || e.task_id) AS task,
       CASE e.kind WHEN 1 THEN 'spawned' WHEN 2 THEN 'started'
                   WHEN 3 THEN 'blocked' WHEN 4 THEN 'woken'
                   WHEN 5 THEN 'cancelled' WHEN 6 THEN 'ended'
                   ELSE '?' END AS kind,
       e.status AS status,
       e.detail AS detail
FROM task_event e
LEFT JOIN task k ON k.id = e.task_id
ORDER BY e.seq;
