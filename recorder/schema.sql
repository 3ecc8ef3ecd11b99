-- schema.sql - the purr recording schema, version 1.
--
-- One SQLite file per run. This text is compiled into purr_recorder and run
-- once when a recording is created; docs/recording.md describes it column
-- by column. A change to any table or view means a new user_version, and a
-- purr reads only the version it writes (PURR_RECORDING_VERSION).
PRAGMA user_version = 1;

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
-- gap-free). payload is purr_datum_encode of the new datum; text is its
-- purr_datum_format text form (NULL when recorded with no_text).
CREATE TABLE transition (
    seq      INTEGER PRIMARY KEY,
    time_ns  INTEGER NOT NULL,
    value_id INTEGER NOT NULL,
    task_id  INTEGER NOT NULL,
    payload  BLOB NOT NULL,
    text     TEXT
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

-- Task events from the observer hook. seq is the loop-wide event number
-- (shared with value events, so it orders task events and transitions);
-- kind is the purr_event_kind number; status the ENDED result or WOKEN
-- code; detail what a BLOCKED task waits for.
CREATE TABLE task_event (
    seq            INTEGER PRIMARY KEY,
    time_ns        INTEGER NOT NULL,
    kind           INTEGER NOT NULL,
    task_id        INTEGER NOT NULL,
    parent_task_id INTEGER NOT NULL,
    status         INTEGER NOT NULL,
    detail         TEXT
) STRICT;

-- Transitions for people: time in seconds, names instead of numbers, the
-- payload as text (hex when the text column was not written).
CREATE VIEW transitions_text AS
SELECT t.seq AS seq,
       printf('%d.%09d', t.time_ns / 1000000000, t.time_ns % 1000000000)
           AS time_s,
       v.name AS value,
       CASE v.role WHEN 1 THEN 'input' WHEN 2 THEN 'output'
                   WHEN 3 THEN 'internal' ELSE '?' END AS role,
       coalesce(k.name, '') AS task,
       coalesce(t.text, 'x''' || hex(t.payload) || '''') AS payload
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
