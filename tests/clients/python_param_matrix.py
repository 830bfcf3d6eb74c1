"""psycopg's parameters, server-side bound, for each core type in each position (select
list, comparison, function argument, INSERT values), in text and in binary. Prints one line
per case; the expected lines (python_param_matrix.expected) are PostgreSQL 15's output.

Usage: python_param_matrix.py HOST PORT [USER [DBNAME]] (both default to aloe)."""

import datetime
import decimal
import sys

import psycopg

host, port = sys.argv[1], int(sys.argv[2])
user = sys.argv[3] if len(sys.argv) > 3 else "aloe"
dbname = sys.argv[4] if len(sys.argv) > 4 else "aloe"
conn = psycopg.connect(host=host, port=port, user=user, dbname=dbname, autocommit=True)
conn.execute("SET TimeZone = 'UTC'")
utc = datetime.timezone.utc
# (column, SQL type, the value stored, the parameter bound)
types = [
    ("i4", "int4", "7", 7),
    ("i8", "int8", "3000000000", 3000000000),
    ("f8", "float8", "1.5", 1.5),
    ("n", "numeric(10,2)", "12.50", decimal.Decimal("12.50")),
    ("t", "text", "'aloe'", "aloe"),
    ("b", "bool", "true", True),
    ("d", "date", "'2025-10-01'", datetime.date(2025, 10, 1)),
    ("ts", "timestamp", "'2025-10-01 12:30'", datetime.datetime(2025, 10, 1, 12, 30)),
    ("tz", "timestamptz", "'2025-10-01 12:30+00'", datetime.datetime(2025, 10, 1, 12, 30, tzinfo=utc)),
    ("by", "bytea", "'\\x00ff'::bytea", b"\x00\xff"),
]
conn.execute("DROP TABLE IF EXISTS public.pm")
conn.execute("DROP TABLE IF EXISTS public.pm_in")
columns = ", ".join(f"{c} {t}" for c, t, _, _ in types)
conn.execute(f"CREATE TABLE public.pm ({columns})")
conn.execute(f"INSERT INTO public.pm VALUES ({', '.join(f'{v}::{t}' for _, t, v, _ in types)})")


def run(label, sql, params, binary):
    try:
        cur = conn.cursor(binary=binary)
        cur.execute(sql, params)
        got = cur.fetchall() if cur.description else cur.rowcount
        print(f"{label}: {got!r}")
    except psycopg.Error as e:
        print(f"{label}: error {e.sqlstate}")


for column, sql_type, _, value in types:
    for binary in (False, True):
        mode = "binary" if binary else "text"
        run(f"{column} select {mode}", "SELECT %s", [value], binary)
        run(f"{column} compare {mode}", f"SELECT count(*) FROM public.pm WHERE {column} = %s", [value], binary)
        run(f"{column} function {mode}", f"SELECT coalesce(%s, {column}) FROM public.pm", [value], binary)
        conn.execute(f"CREATE TABLE public.pm_in ({columns})")
        run(f"{column} insert {mode}", f"INSERT INTO public.pm_in ({column}) VALUES (%s)", [value], binary)
        run(f"{column} inserted {mode}", f"SELECT {column} FROM public.pm_in WHERE {column} IS NOT NULL", [], binary)
        conn.execute("DROP TABLE public.pm_in")
conn.execute("DROP TABLE public.pm")
