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
# holding every byte value once.
def byte(blob, pos):
    return f"(instr(l.b, substr({blob}, {pos}, 1)) - 1)"

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
    d = "c.data"
    p_len, p_dt, p_task, p_value, p_pl = t_pos("w.pos", "w.h")
    length = le(d, p_len, field("w.h", 0))
    dt = le(d, p_dt, field("w.h", 3))
    nxt = f"({p_pl} + {length})"
    h0 = f"({byte(d, 1)} | ({byte(d, 2)} << 8))"
    hn = f"({byte(d, nxt)} | ({byte(d, nxt + ' + 1')} << 8))"
    return f"""CREATE VIEW transition AS
WITH RECURSIVE
    l(b) AS (SELECT {LUT}),
    walk(chunk, idx, pos, h, prev_ns) AS (
        SELECT c.first_seq, 0, 1, {h0}, c.first_ns
        FROM transition_chunk c, l
        UNION ALL
        SELECT w.chunk, w.idx + 1, {nxt},
               {hn},
               w.prev_ns + {dt}
        FROM walk w, l
        JOIN transition_chunk c ON c.first_seq = w.chunk
        WHERE w.idx + 1 < c.count
        ORDER BY 1, 2)
SELECT w.chunk + w.idx AS seq,
       w.prev_ns + {dt} AS time_ns,
       {le(d, p_value, field("w.h", 9))} AS value_id,
       {le(d, p_task, field("w.h", 6))} AS task_id,
       substr({d}, {p_pl}, {length}) AS payload,
       w.chunk AS chunk,
       {p_pl} AS payload_pos
FROM walk w, l
JOIN transition_chunk c ON c.first_seq = w.chunk;"""

# ---- task events ---------------------------------------------------------
# record: kind byte, u16 h = n_dseq | n_dt << 3 | n_task << 6 |
# n_status << 9 | n_detail << 12, then dseq, dt, task, zigzag status,
# detail (n_* bytes each).
def task_event_view():
    d = "c.data"
    pos, h = "w.pos", "w.h"
    p_dseq = f"{pos} + 3"
    p_dt = f"{p_dseq} + {field(h, 0)}"
    p_task = f"{p_dt} + {field(h, 3)}"
    p_status = f"{p_task} + {field(h, 6)}"
    p_detail = f"{p_status} + {field(h, 9)}"
    nxt = f"({p_detail} + {field(h, 12)})"
    dseq = le(d, p_dseq, field(h, 0))
    dt = le(d, p_dt, field(h, 3))
    z = le(d, p_status, field(h, 9))
    h0 = f"({byte(d, 2)} | ({byte(d, 3)} << 8))"
    hn = f"({byte(d, nxt + ' + 1')} | ({byte(d, nxt + ' + 2')} << 8))"
    return f"""CREATE VIEW task_event AS
WITH RECURSIVE
    l(b) AS (SELECT {LUT}),
    walk(chunk, idx, pos, h, prev_seq, prev_ns) AS (
        SELECT c.first_seq, 0, 1, {h0}, c.first_seq, c.first_ns
        FROM task_event_chunk c, l
        UNION ALL
        SELECT w.chunk, w.idx + 1, {nxt},
               {hn},
               w.prev_seq + {dseq},
               w.prev_ns + {dt}
        FROM walk w, l
        JOIN task_event_chunk c ON c.first_seq = w.chunk
        WHERE w.idx + 1 < c.count
        ORDER BY 1, 2)
SELECT w.prev_seq + {dseq} AS seq,
       w.prev_ns + {dt} AS time_ns,
       {byte(d, pos)} AS kind,
       {le(d, p_task, field(h, 6))} AS task_id,
       coalesce(k.parent_task_id, 0) AS parent_task_id,
       iif({z} & 1, -({z} >> 1) - 1, {z} >> 1) AS status,
       x.text AS detail
FROM walk w, l
JOIN task_event_chunk c ON c.first_seq = w.chunk
LEFT JOIN task k ON k.id = {le(d, p_task, field(h, 6))}
LEFT JOIN detail x ON x.id = {le(d, p_detail, field(h, 12))};"""


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
                        FROM item, l
                        WHERE n + 1 < {u32(pl, "2")}
                          AND {byte(pl, "pos")} != 6)
                SELECT coalesce(group_concat({scalar_text(pl, "pos")}, ', '), '')
                FROM item, l) || ')'"""
    return f"""CREATE VIEW transitions_text AS
WITH l(b) AS (SELECT {LUT})
SELECT t.seq AS seq,
       printf('%d.%09d', t.time_ns / 1000000000, t.time_ns % 1000000000)
           AS time_s,
       v.name AS value,
       CASE v.role WHEN 1 THEN 'input' WHEN 2 THEN 'output'
                   WHEN 3 THEN 'internal' ELSE '?' END AS role,
       coalesce(k.name, '') AS task,
       CASE WHEN {byte(pl, "1")} = 6 THEN {tuple_text}
            ELSE {scalar_text(pl, "1")} END AS payload
FROM transition t, l
JOIN value v ON v.id = t.value_id
LEFT JOIN task k ON k.id = t.task_id;"""

print("-- GENERATED by recorder/gen_views.py: do not edit by hand.")
print(transition_view())
print()
print(task_event_view())
print()
print(transitions_text_view())
print("-- END GENERATED")
