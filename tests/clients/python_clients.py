"""Aloe through Python's PostgreSQL stack: psycopg 3 (extended protocol, each parameter
type, prepared statements, server-side cursors), SQLAlchemy 2 (engine first-connect and the
inspector's schemas, tables and columns) and pandas.read_sql.

Usage: python_clients.py HOST PORT. Exits non-zero on the first failed check."""

import datetime
import decimal
import sys
import uuid

import pandas as pd
import psycopg
import sqlalchemy as sa

host, port = sys.argv[1], int(sys.argv[2])
dsn = f"host={host} port={port} user=aloe dbname=aloe"


def check(label, got, want):
    if got != want:
        raise SystemExit(f"{label}: got {got!r}, want {want!r}")
    print(f"ok {label}")


with psycopg.connect(dsn, autocommit=True) as conn:
    cur = conn.cursor()
    cases = [
        ("int", 42, "SELECT %s::int8 + 1", 43),
        ("float", 1.25, "SELECT %s::float8 * 2", 2.5),
        ("text", "aloe", "SELECT upper(%s)", "ALOE"),
        ("bool", True, "SELECT NOT %s", False),
        ("decimal", decimal.Decimal("12.50"), "SELECT %s::numeric(10,2)", decimal.Decimal("12.50")),
        ("date", datetime.date(2025, 3, 1), "SELECT %s::date", datetime.date(2025, 3, 1)),
        (
            "timestamp",
            datetime.datetime(2025, 3, 1, 12, 30),
            "SELECT %s::timestamp",
            datetime.datetime(2025, 3, 1, 12, 30),
        ),
        ("bytes", b"\x00\xff", "SELECT %s::bytea", b"\x00\xff"),
        ("uuid", uuid.UUID(int=7), "SELECT %s::uuid", str(uuid.UUID(int=7))),
    ]
    for label, value, sql, want in cases:
        cur.execute(sql, (value,))
        check(f"psycopg param {label}", cur.fetchone()[0], want)
    # The same statement many times: psycopg prepares it server-side from the 5th run.
    total = 0
    for q in range(1, 8):
        cur.execute("SELECT count(*) FROM gen.orders WHERE items = %s", (q % 4 + 1,))
        total += cur.fetchone()[0]
    check("psycopg prepared statement reruns", total > 0, True)
    # A server-side cursor reads a big result in pieces.
    with conn.transaction():
        with conn.cursor(name="big") as named:
            named.itersize = 1000
            named.execute("SELECT value FROM generate_series(1, 25000) AS t(value)")
            check("psycopg server-side cursor rows", sum(1 for _ in named), 25000)
    try:
        cur.execute("SELECT * FROM no_such_table")
        raise SystemExit("psycopg: an error was expected")
    except psycopg.errors.UndefinedTable:
        print("ok psycopg undefined table is UndefinedTable")
    cur.execute("SELECT 1")
    check("psycopg usable after an error", cur.fetchone()[0], 1)

engine = sa.create_engine(f"postgresql+psycopg://aloe@{host}:{port}/aloe")
with engine.connect() as conn:
    check("sqlalchemy select", conn.execute(sa.text("SELECT count(*) FROM gen.products")).scalar(), 120)
inspector = sa.inspect(engine)
schemas = inspector.get_schema_names()
check("sqlalchemy schemas include gen", "gen" in schemas, True)
check("sqlalchemy table names", sorted(inspector.get_table_names(schema="gen")), ["ad_daily", "campaigns", "customers", "influencer_posts", "influencers", "order_items", "orders", "products", "promotions", "truth_campaign_daily", "truth_influencer_daily", "truth_promotion_daily", "web_events"])
columns = {c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns("products", schema="gen")}
check("sqlalchemy column names", list(columns), ["product_id", "sku", "name", "category", "subcategory", "price", "cost", "launch_date"])
check(
    "sqlalchemy column types",
    [columns["product_id"], columns["price"], columns["launch_date"]],
    # As SQLAlchemy reflects the same table from PostgreSQL 15.
    [("BIGINT", False), ("NUMERIC(12, 2)", False), ("DATE", False)],
)

# Money arrives as Decimal to the cent, and the server's sum is the exact sum of the rows.
with psycopg.connect(dsn, autocommit=True) as money:
    revenues = [r[0] for r in money.execute("SELECT revenue FROM gen.orders WHERE order_date < DATE '2025-09-15'")]
    total = money.execute("SELECT sum(revenue) FROM gen.orders WHERE order_date < DATE '2025-09-15'").fetchone()[0]
check("psycopg money is Decimal to the cent", {(type(r).__name__, r.as_tuple().exponent) for r in revenues}, {("Decimal", -2)})
check("psycopg sum of money is exact", (total, len(revenues) > 100), (sum(revenues), True))

frame = pd.read_sql("SELECT category, count(*) AS n FROM gen.products GROUP BY category ORDER BY category", engine)
check("pandas read_sql rows", len(frame), 4)
check("pandas read_sql total", int(frame["n"].sum()), 120)
print("all python client checks passed")
