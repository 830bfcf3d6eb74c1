"""SQLAlchemy's inspector, Table reflection and pandas.read_sql_table over a lake table.

Usage: python python_inspector.py HOST PORT [USER [DATABASE]]. The expected values are what
PostgreSQL 15 answers for the same table, view and index (the script passes against it too:
run it with a PostgreSQL server's port, user and database). Exits non-zero on the first
failed check.
"""

import sys

import pandas as pd
import psycopg
import sqlalchemy as sa

host, port = sys.argv[1], int(sys.argv[2])
user = sys.argv[3] if len(sys.argv) > 3 else "aloe"
database = sys.argv[4] if len(sys.argv) > 4 else "aloe"

SETUP = [
    "DROP VIEW IF EXISTS public.insp_v",
    "DROP TABLE IF EXISTS public.insp",
    "CREATE TABLE public.insp (id BIGINT, name TEXT, price DOUBLE PRECISION, day DATE)",
    "INSERT INTO public.insp VALUES (1, 'aloe', 9.5, DATE '2025-01-02'), (2, NULL, NULL, NULL)",
    "CREATE VIEW public.insp_v AS SELECT id, name FROM public.insp WHERE id > 0",
    "CREATE INDEX insp_day ON public.insp (day, id)",
]


def expect(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")
    print(f"ok {what}")


with psycopg.connect(
    f"host={host} port={port} user={user} dbname={database}", autocommit=True
) as conn:
    for statement in SETUP:
        conn.execute(statement)

engine = sa.create_engine(f"postgresql+psycopg://{user}@{host}:{port}/{database}")
inspector = sa.inspect(engine)

expect(
    "get_pk_constraint",
    inspector.get_pk_constraint("insp", schema="public"),
    {"name": None, "constrained_columns": []},
)
expect("get_foreign_keys", inspector.get_foreign_keys("insp", schema="public"), [])
expect(
    "get_indexes",
    inspector.get_indexes("insp", schema="public"),
    [
        {
            "name": "insp_day",
            "unique": False,
            "column_names": ["day", "id"],
            "dialect_options": {"postgresql_include": []},
        }
    ],
)
expect(
    "get_unique_constraints",
    inspector.get_unique_constraints("insp", schema="public"),
    [],
)
expect(
    "get_check_constraints",
    inspector.get_check_constraints("insp", schema="public"),
    [],
)
expect(
    "get_table_comment",
    inspector.get_table_comment("insp", schema="public"),
    {"text": None},
)
columns = inspector.get_columns("insp", schema="public")
expect(
    "get_columns",
    [
        (c["name"], str(c["type"]), c["nullable"], c["default"], c["autoincrement"])
        for c in columns
    ],
    [
        ("id", "BIGINT", True, None, False),
        ("name", "TEXT", True, None, False),
        ("price", "DOUBLE PRECISION", True, None, False),
        ("day", "DATE", True, None, False),
    ],
)
expect("get_view_names", inspector.get_view_names(schema="public"), ["insp_v"])

# PostgreSQL deparses a view into its own layout (` SELECT insp.id,\n    insp.name ...`);
# what must hold in both is that the definition is the view's query: run, it gives the
# view's rows.
definition = inspector.get_view_definition("insp_v", schema="public")
if not (definition.startswith(" SELECT") and definition.endswith(";")):
    raise AssertionError(f"view definition in PostgreSQL's form: {definition!r}")
with engine.connect() as c:
    from_definition = c.execute(sa.text(definition.rstrip(";") + " ORDER BY 1")).all()
    from_view = c.execute(sa.text("SELECT * FROM public.insp_v ORDER BY 1")).all()
expect("get_view_definition runs as the view", from_definition, from_view)
expect("the view's rows", [tuple(r) for r in from_view], [(1, "aloe"), (2, None)])

table = sa.Table("insp", sa.MetaData(), autoload_with=engine, schema="public")
expect(
    "Table(autoload_with=)",
    [(c.name, str(c.type), c.nullable) for c in table.columns],
    [
        ("id", "BIGINT", True),
        ("name", "TEXT", True),
        ("price", "DOUBLE PRECISION", True),
        ("day", "DATE", True),
    ],
)
expect("reflected primary key", list(table.primary_key.columns.keys()), [])
expect(
    "reflected indexes",
    sorted((i.name, [c.name for c in i.columns], i.unique) for i in table.indexes),
    [("insp_day", ["day", "id"], False)],
)

frame = pd.read_sql_table("insp", engine, schema="public").sort_values("id")
expect(
    "read_sql_table dtypes",
    {k: str(v) for k, v in frame.dtypes.items()},
    {
        "id": "int64",
        "name": str(frame.dtypes["name"]),
        "price": "float64",
        "day": "datetime64[s]",
    },
)
if not pd.api.types.is_string_dtype(frame.dtypes["name"]):
    raise AssertionError(f"name is not a string column: {frame.dtypes['name']}")
records = frame.to_dict("records")
expect("read_sql_table ids", [r["id"] for r in records], [1, 2])
expect("read_sql_table first row name and price", (records[0]["name"], records[0]["price"]), ("aloe", 9.5))
expect("read_sql_table first row day", str(records[0]["day"]), "2025-01-02 00:00:00")
expect(
    "read_sql_table second row is all missing",
    [pd.isna(records[1][k]) for k in ("name", "price", "day")],
    [True, True, True],
)

print("all inspector checks passed")
