#!/usr/bin/env python3
"""gen_views.py - prints the decoding views of recorder/schema.sql.

The transition and task_event views unpack the chunk blobs (the record
layout is described in schema.sql and docs/recording.md) with nothing but
SQLite's built-in functions, so that a recording reads as one row per
transition straight from the sqlite3 shell. SQL has no way to name a
sub-expression, so every little-endian field decode is spelled out byte by
byte; this script writes that text, and schema.sql holds its output between
the GENERATED markers. Run it after changing the record layout:

    python3 recorder/gen_views.py > /tmp/views.sql   # then paste
"""

# SQLite gives | & << >> the same precedence, left to right: every shift
# below is parenthesised.
# One byte at pos of blob as an integer: its position in a 256-byte table
# holding every byte value once (the CTE l of each view; an uncorrelated
# scalar subquery is evaluated once).
#
# Order: SQLite (3.40) drops the ORDER BY of a recursive CTE that the
# outer query joins with a table, and the walk then goes breadth-first
# over the chunks (first record of every chunk, then the second...) and
# no longer streams in seq order. So each walk row carries its record's
# bytes (rec: a few dozen bytes, cut from the chunk by the step that
# finds it), the outer selects read the walk alone, and names are looked
# up with scalar subqueries instead of joins.
#
# Cost: a byte lookup is ~0.2 us, so the walk takes two steps per record
# to look each byte up once: a header row (k = 0) reads the record's
# 2-byte header h at pos, then the record row (k = 1) cuts rec (its length
# follows from h and, for transitions, the len field). Fields are then
# decoded from rec with h as a column: a few lookups each.
def byte(blob, pos):
    return f"(instr((SELECT b FROM l), substr({blob}, {pos}, 1)) - 1)"

def le(blob, pos, n, maxn=7):
    """Unsigned little-endian integer of n (an SQL expression, 0..maxn)
    bytes at pos. iif is lazy, so only n bytes are looked up."""
    terms = []
    for k in range(maxn):
        p = f"{pos} + {k}" if k else pos
        t = byte(blob, p)
        if k:
            t = f"({t} << {8 * k})"
        terms.append(f"iif({n} > {k}, {t}, 0)")
    return "(" + "\n         | ".join(terms) + ")"

def field(h, shift):
    return f"(({h} >> {shift}) & 7)"

LUT = "x'" + "".join("%02x" % i for i in range(256)) + "'"

# ---- transitions ---------------------------------------------------------
# record: u16 h = n_len | n_dt << 3 | n_task << 6 | n_value << 9, then
# len, dt, task, value (n_* bytes each, little-endian), then len bytes of
# payload.
def t_pos(pos, h):
    p_len = f"{pos} + 2"
    p_dt = f"{p_len} + {field(h, 0)}"
    p_task = f"{p_dt} + {field(h, 3)}"
    p_value = f"{p_task} + {field(h, 6)}"
    p_pl = f"{p_value} + {field(h, 9)}"
    return p_len, p_dt, p_task, p_value, p_pl

def transition_view():
    r, h = "w.rec", "w.h"
    p_len, p_dt, p_task, p_value, p_pl = t_pos("1", h)
    dt = le(r, p_dt, field(h, 3))
    # the record at w.pos, from its header (k = 0 row) and the len field
    reclen = (f"(2 + {field(h, 0)} + {field(h, 3)} + {field(h, 6)} + "
              f"{field(h, 9)} + {le('c.data', 'w.pos + 2', field(h, 0))})")
    nxt = "w.pos + length(w.rec)"
    return f"""CREATE VIEW transition AS
WITH RECURSIVE
    l(b) AS (SELECT {LUT}),
    walk(chunk, idx, k, pos, h, rec, prev_ns, n) AS (
        SELECT c.first_seq, 0, 0, 1,
               {byte('c.data', '1')} | ({byte('c.data', '2')} << 8),
               NULL, c.first_ns, c.count
        FROM transition_chunk c
        UNION ALL
        SELECT w.chunk, w.idx + w.k, 1 - w.k,
               iif(w.k, {nxt}, w.pos),
               iif(w.k, {byte('c.data', nxt)}
                        | ({byte('c.data', nxt + ' + 1')} << 8), w.h),
               iif(w.k, NULL, substr(c.data, w.pos, {reclen})),
               iif(w.k, w.prev_ns + {dt}, w.prev_ns), w.n
        FROM walk w
        JOIN transition_chunk c ON c.first_seq = w.chunk
        WHERE w.k = 0 OR w.idx + 1 < w.n
        ORDER BY 1, 2, 3)
SELECT w.chunk + w.idx AS seq,
       w.prev_ns + {dt} AS time_ns,
       {le(r, p_value, field(h, 9))} AS value_id,
       {le(r, p_task, field(h, 6))} AS task_id,
       substr({r}, {p_pl}) AS payload,
       w.chunk AS chunk,
       w.pos - 1 + {p_pl} AS payload_pos
FROM walk w
WHERE w.k = 1;"""

# ---- task events ---------------------------------------------------------
# record: kind byte, u16 h = n_dseq | n_dt << 3 | n_task << 6 |
# n_status << 9 | n_detail << 12, then dseq, dt, task, zigzag status,
# detail (n_* bytes each).
def task_event_view():
    r, h = "w.rec", "w.h"
    p_dseq = "4"
    p_dt = f"{p_dseq} + {field(h, 0)}"
    p_task = f"{p_dt} + {field(h, 3)}"
    p_status = f"{p_task} + {field(h, 6)}"
    p_detail = f"{p_status} + {field(h, 9)}"
    dseq = le(r, p_dseq, field(h, 0))
    dt = le(r, p_dt, field(h, 3))
    z = le(r, p_status, field(h, 9))
    task = le(r, p_task, field(h, 6))
    reclen = (f"(3 + {field(h, 0)} + {field(h, 3)} + {field(h, 6)} + "
              f"{field(h, 9)} + {field(h, 12)})")
    nxt = "w.pos + length(w.rec)"
    return f"""CREATE VIEW task_event AS
WITH RECURSIVE
    l(b) AS (SELECT {LUT}),
    walk(chunk, idx, k, pos, h, rec, prev_seq, prev_ns, n) AS (
        SELECT c.first_seq, 0, 0, 1,
               {byte('c.data', '2')} | ({byte('c.data', '3')} << 8),
               NULL, c.first_seq, c.first_ns, c.count
        FROM task_event_chunk c
        UNION ALL
        SELECT w.chunk, w.idx + w.k, 1 - w.k,
               iif(w.k, {nxt}, w.pos),
               iif(w.k, {byte('c.data', nxt + ' + 1')}
                        | ({byte('c.data', nxt + ' + 2')} << 8), w.h),
               iif(w.k, NULL, substr(c.data, w.pos, {reclen})),
               iif(w.k, w.prev_seq + {dseq}, w.prev_seq),
               iif(w.k, w.prev_ns + {dt}, w.prev_ns), w.n
        FROM walk w
        JOIN task_event_chunk c ON c.first_seq = w.chunk
        WHERE w.k = 0 OR w.idx + 1 < w.n
        ORDER BY 1, 2, 3)
SELECT w.prev_seq + {dseq} AS seq,
       w.prev_ns + {dt} AS time_ns,
       {byte(r, "1")} AS kind,
       {task} AS task_id,
       coalesce((SELECT k.parent_task_id FROM task k WHERE k.id = {task}),
                0) AS parent_task_id,
       iif({z} & 1, -({z} >> 1) - 1, {z} >> 1) AS status,
       (SELECT x.text FROM detail x
        WHERE x.id = {le(r, p_detail, field(h, 12))}) AS detail
FROM walk w
WHERE w.k = 1;"""


# ---- payload text --------------------------------------------------------
def i64(blob, pos):
    return le(blob, pos, "8", 8)

def u32(blob, pos):
    return le(blob, pos, "4", 4)

def double_text(bits):
    e = f"(({bits} >> 52) & 2047)"
    m = f"({bits} & 4503599627370495)"
    # SQLite prints a REAL -0.0 as 0.0: spell it out.
    return (f"CASE WHEN {bits} = -9223372036854775808 THEN '-0.0'\n"
            f"              WHEN {e} = 2047 THEN iif({m}, 'nan', "
            f"iif({bits} < 0, '-inf', 'inf'))\n"
            f"              ELSE iif({bits} < 0, -1.0, 1.0) * ({m} + iif({e}, "
            f"4503599627370496, 0)) * power(2, max({e}, 1) - 1075) END")

QQ = "''''"
def scalar_text(blob, pos):
    tag = byte(blob, pos)
    n = u32(blob, f"{pos} + 1")
    return f"""CASE {tag}
            WHEN 0 THEN 'nil'
            WHEN 1 THEN iif({byte(blob, pos + ' + 1')}, 'true', 'false')
            WHEN 2 THEN {i64(blob, pos + ' + 1')}
            WHEN 3 THEN {double_text(i64(blob, pos + ' + 1'))}
            WHEN 4 THEN '"' || CAST(substr({blob}, {pos} + 5, {n}) AS TEXT) || '"'
            WHEN 5 THEN 'x''' || hex(substr({blob}, {pos} + 5, {n})) || {QQ}
            ELSE '...' END"""

def scalar_size(blob, pos):
    tag = byte(blob, pos)
    return (f"CASE {tag} WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 9 "
            f"WHEN 3 THEN 9 WHEN 6 THEN length({blob}) "
            f"ELSE 5 + {u32(blob, pos + ' + 1')} END")

def transitions_text_view():
    pl = "t.payload"
    tuple_text = f"""'(' || (
                WITH RECURSIVE
                    l(b) AS (SELECT {LUT}),
                    item(pos, n) AS (
                        SELECT 6, 0 WHERE {u32(pl, "2")} > 0
                        UNION ALL
                        SELECT pos + {scalar_size(pl, "pos")}, n + 1
                        FROM item
                        WHERE n + 1 < {u32(pl, "2")}
                          AND {byte(pl, "pos")} != 6)
                SELECT coalesce(group_concat({scalar_text(pl, "pos")}, ', '), '')
                FROM item) || ')'"""
    return f"""CREATE VIEW transitions_text AS
WITH l(b) AS (SELECT {LUT})
SELECT t.seq AS seq,
       printf('%d.%09d', t.time_ns / 1000000000, t.time_ns % 1000000000)
           AS time_s,
       (SELECT v.name FROM value v WHERE v.id = t.value_id) AS value,
       (SELECT CASE v.role WHEN 1 THEN 'input' WHEN 2 THEN 'output'
                           WHEN 3 THEN 'internal' ELSE '?' END
        FROM value v WHERE v.id = t.value_id) AS role,
       coalesce((SELECT k.name FROM task k WHERE k.id = t.task_id), '')
           AS task,
       CASE WHEN {byte(pl, "1")} = 6 THEN {tuple_text}
            ELSE {scalar_text(pl, "1")} END AS payload
FROM transition t;"""

print("-- GENERATED by recorder/gen_views.py: do not edit by hand.")
print(transition_view())
print()
print(task_event_view())
print()
print(transitions_text_view())
print("-- END GENERATED")
