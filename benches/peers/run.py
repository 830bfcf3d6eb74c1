"""Aloe side by side with PostgreSQL 15 and DuckDB on the same data, in one run.

Generates the business, builds silver with Aloe, copies silver into PostgreSQL (a throwaway
cluster on a free port) and DuckDB (in process), then runs the same work on all three:
  (a) the gold models' SQL over silver, full rebuild time;
  (b) the dashboard mix (deploy/metabase/01-08) with 1, 8 and 64 clients: p50/p95 latency and
      throughput (pgbench drives Aloe and PostgreSQL alike; DuckDB runs it in threads);
  (c) small queries over the extended protocol: SELECT 1, a catalog query, a point lookup;
  (d) streaming a 10-million-row result to a client (psql for the servers);
  (e) ingest and generation: a week of silver's web events bulk-loaded from one CSV file;
      a week of the business generated (Aloe's generator writing bronze files, against the
      same number of web-event-shaped rows made by generate_series in the peers); Kafka to
      bronze against librdkafka's raw consume rate (benches/kafka_ingest.rs).
Every figure is also given as a ratio to the peers of the same run; engines alternate and each
figure is the median of --repeats runs. Run it through benches/peers/run.sh.
"""

import argparse
import copy
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import duckdb
import psycopg

ROOT = Path(__file__).resolve().parents[2]
SCALES = {"small": 5_000, "large": 500_000}
START, END = "2025-01-01", "2025-03-28"
WEEK_END = "2025-01-07"
WORKLOADS = "abcde"


def generated_events(n):
    """SQL for n rows shaped like bronze web events (15 columns), for engines without a
    generator; PostgreSQL and DuckDB both run it as written."""
    return (
        "SELECT i AS event_id, TIMESTAMP '2025-01-01' + i * INTERVAL '1 second' AS event_time, "
        "'page_view' AS event_type, md5(CAST(i % 100000 AS TEXT)) AS anonymous_id, "
        "CASE WHEN i % 7 = 0 THEN i % 5000 END AS customer_id, "
        "CASE WHEN i % 3 = 0 THEN 'mobile' ELSE 'desktop' END AS device, 'firefox' AS browser, "
        "'https://example.com/' AS referrer, 'google' AS utm_source, 'cpc' AS utm_medium, "
        "'spring_' || CAST(i % 20 AS TEXT) AS utm_campaign, '/products/' || CAST(i % 24 AS TEXT) AS page, "
        "i % 24 AS product_id, CAST(NULL AS BIGINT) AS order_id, CAST(i % 1000 AS DOUBLE PRECISION) AS value "
        f"FROM generate_series(1, {n}) AS t(i)"
    )


def kafka_ingest(events):
    """Runs benches/kafka_ingest.rs: (raw consume events/s, Aloe ingest events/s)."""
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "aloe-connectors", "--bench", "kafka_ingest", "--", str(events)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    rates = {}
    for line in out.splitlines():
        m = re.match(r"(raw consume|ingest to bronze).*?([0-9.]+) events/s", line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    return rates["raw consume"], rates["ingest to bronze"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def model_sql(path):
    text = path.read_text()
    return re.sub(r"^\s*/\*.*?\*/", "", text, count=1, flags=re.S).strip().rstrip(";")


def gold_models():
    """The gold models in an order where each comes after the gold tables it reads."""
    models = {p.stem: model_sql(p) for p in sorted((ROOT / "sql/gold").glob("*.sql"))}
    order, done = [], set()

    def visit(name):
        if name in done:
            return
        done.add(name)
        for other in models:
            if other != name and re.search(rf"\bgold\.{other}\b", models[name]):
                visit(other)
        order.append(name)

    for name in models:
        visit(name)
    return [(n, models[n]) for n in order]


def dashboard():
    out = []
    for p in sorted((ROOT / "deploy/metabase").glob("0[1-8]_*.sql")):
        lines = [l for l in p.read_text().splitlines() if not l.lstrip().startswith("--")]
        out.append((p.stem, " ".join(" ".join(lines).split()).rstrip(";")))
    return out


def round_numeric(sql):
    """PostgreSQL has round(numeric, int) only: cast the first argument."""
    out, i = [], 0
    while True:
        j = sql.find("round(", i)
        if j < 0:
            out.append(sql[i:])
            return "".join(out)
        out.append(sql[i:j] + "round((")
        k, depth = j + 6, 0
        while True:
            c = sql[k]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == "," and depth == 0:
                break
            k += 1
        out.append(round_numeric(sql[j + 6:k]) + ")::numeric")
        i = k


def for_postgres(sql):
    sql = re.sub(r"\bAS DOUBLE\)", "AS DOUBLE PRECISION)", sql)
    return round_numeric(sql)


class Aloe:
    name = "aloe"

    def __init__(self, binary, work, events_per_day, result_cache=True, large=False):
        self.work = work
        self.large = large
        limits = [] if result_cache else ["result_cache = 0"]
        if large:
            # Building silver sorts tens of millions of events: with the default (a quarter of
            # the machine) it spills gigabytes to the temp dir, next to 15 GB of bronze.
            limits += ['memory = "18GiB"', 'query_memory = "14GiB"']
        (work / "aloe.toml").write_text(
            f'data_dir = "data"\nmodels_dir = "{ROOT / "sql"}"\nmetrics_listen = "127.0.0.1:0"\n'
            f"gen_schema = false\nbuild_missing_models = false\nmax_connections = 200\n"
            f"[auth]\ntrust = true\n"
            + ("[limits]\n" + "\n".join(limits) + "\n" if limits else "")
        )
        self.binary = binary
        self.events_per_day = events_per_day
        log(f"aloe: generating {events_per_day} events a day")
        self.generate(work / "data", START, END)
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0"], cwd=work,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.port = self.metrics = None
        for line in self.proc.stdout:
            if line.startswith("aloe listening on "):
                self.port = int(line.rsplit(":", 1)[1])
            elif line.startswith("aloe metrics on "):
                self.metrics = line.split()[-1]
            if self.port and self.metrics:  # whichever line comes first
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.dsn = f"host=127.0.0.1 port={self.port} user=aloe dbname=aloe"
        t = time.monotonic()
        with psycopg.connect(self.dsn, autocommit=True) as c:
            c.execute("CALL aloe.run()").fetchall()
        log(f"aloe: silver and gold built in {time.monotonic() - t:.1f} s")
        self.drop_bronze()

    def generate(self, data_dir, start, end):
        """Writes the business from `start` to `end` into `data_dir`'s bronze; returns the
        seconds it took and the rows it wrote."""
        t = time.monotonic()
        out = subprocess.run(
            [self.binary, "generate", "all", "--start-date", start, "--end-date", end,
             "--events-per-day", str(self.events_per_day), "--data-dir", str(data_dir)],
            cwd=self.work, check=True, capture_output=True, text=True,
        )
        seconds = time.monotonic() - t
        out = out.stdout + out.stderr  # the summary line goes to standard error
        rows = sum(int(m) for m in re.findall(r"wrote \d+ files, (\d+) rows", out))
        if rows == 0:
            raise RuntimeError(f"aloe generate reported no rows: {out[-500:]}")
        return seconds, rows

    def drop_bronze(self):
        """Removes bronze's files once silver is built: nothing reads them again, and at the
        large scale their JSON (about 15 GB) would leave no room for the peers' copies."""
        for p in (self.work / "data/bronze").iterdir():
            shutil.rmtree(p) if p.is_dir() else p.unlink()

    def connect(self):
        return psycopg.connect(self.dsn, autocommit=True)

    def count(self, sql):
        with self.connect() as c:
            return c.execute(sql).fetchone()[0]

    def reserved(self):
        """Bytes the server's memory pool holds now (0 between statements)."""
        with urllib.request.urlopen(self.metrics) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("aloe_memory_pool_reserved_bytes "):
                    return int(float(line.split()[1]))
        return -1

    def rebuild(self, models):
        with self.connect() as c:
            for name, sql in models:
                c.execute(f"CREATE OR REPLACE TABLE gold.{name} AS {sql}")
                if self.large:
                    # What a model leaves reserved, to find why a later one runs out.
                    log(f"aloe: gold.{name} rebuilt; memory pool holds {self.reserved()} bytes")

    def load_csv(self, path, table):
        """Loads a CSV file into a lake table: the file is declared as a bronze table, then
        written to silver as Delta."""
        landing = self.work / "data/bronze" / f"{table}_landing"
        landing.mkdir(exist_ok=True)
        shutil.copy(path, landing / "part.csv")
        with self.connect() as c:
            c.execute(f"DROP TABLE IF EXISTS bronze.{table}_csv")
            c.execute(f"CREATE EXTERNAL TABLE bronze.{table}_csv STORED AS CSV "
                      f"LOCATION 'bronze/{table}_landing/' OPTIONS ('format.has_header' 'true')")
            c.execute(f"DROP TABLE IF EXISTS silver.{table}")
            t = time.monotonic()
            c.execute(f"CREATE TABLE silver.{table} AS SELECT * FROM bronze.{table}_csv")
            seconds = time.monotonic() - t
            c.execute(f"DROP TABLE silver.{table}")
            c.execute(f"DROP TABLE bronze.{table}_csv")
        shutil.rmtree(landing)
        return seconds

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Postgres:
    name = "postgres"

    def __init__(self, work):
        self.dir = work / "pg"
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        bin_ = "/usr/lib/postgresql/15/bin"
        self.su(f"{bin_}/initdb -D {self.dir}/data -A trust -U postgres")
        self.su(
            f"{bin_}/pg_ctl -D {self.dir}/data -w -l {self.dir}/log "
            f"-o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections=200 -c shared_buffers=1GB -c work_mem=64MB' start"
        )
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        self.bin = bin_

    def su(self, cmd):
        subprocess.run(["su", "postgres", "-c", cmd], check=True, stdout=subprocess.DEVNULL)

    def connect(self):
        return psycopg.connect(self.dsn, autocommit=True)

    def rebuild(self, models):
        with self.connect() as c:
            for name, sql in models:
                c.execute(f"DROP TABLE IF EXISTS gold.{name}")
                c.execute(f"CREATE TABLE gold.{name} AS {for_postgres(sql)}")
            c.execute("ANALYZE")

    def load_csv(self, path, table, ddl):
        """COPY of a CSV file the server reads itself, into a fresh table."""
        with self.connect() as c:
            c.execute(f"DROP TABLE IF EXISTS silver.{table}")
            c.execute(f"CREATE TABLE silver.{table} ({ddl})")
            t = time.monotonic()
            c.execute(f"COPY silver.{table} FROM '{path}' (FORMAT csv, HEADER true)")
            seconds = time.monotonic() - t
            c.execute(f"DROP TABLE silver.{table}")
            return seconds

    def generate(self, sql):
        with self.connect() as c:
            c.execute("DROP TABLE IF EXISTS generated")
            t = time.monotonic()
            c.execute(f"CREATE TABLE generated AS {sql}")
            seconds = time.monotonic() - t
            c.execute("DROP TABLE generated")
            return seconds

    def stop(self):
        self.su(f"{self.bin}/pg_ctl -D {self.dir}/data -w -m fast stop")


class DuckDb:
    name = "duckdb"

    def __init__(self, work):
        self.con = duckdb.connect(str(work / "bench.duckdb"))

    def rebuild(self, models):
        for name, sql in models:
            self.con.execute(f"CREATE OR REPLACE TABLE gold.{name} AS {sql}")

    def load_csv(self, path, table, ddl):
        self.con.execute(f"CREATE OR REPLACE TABLE silver.{table} ({ddl})")
        t = time.monotonic()
        self.con.execute(f"COPY silver.{table} FROM '{path}' (HEADER true)")
        seconds = time.monotonic() - t
        self.con.execute(f"DROP TABLE silver.{table}")
        return seconds

    def generate(self, sql):
        t = time.monotonic()
        self.con.execute(f"CREATE OR REPLACE TABLE generated AS {sql}")
        seconds = time.monotonic() - t
        self.con.execute("DROP TABLE generated")
        return seconds

    def stop(self):
        self.con.close()


PG_TYPES = {
    "character varying": "text", "text": "text", "bigint": "bigint", "integer": "integer",
    "smallint": "smallint", "double precision": "double precision", "real": "real",
    "boolean": "boolean", "date": "date", "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz", "numeric": "numeric",
}


def copy_silver(aloe, pg, duck, work):
    """Copies every silver table from Aloe to PostgreSQL and DuckDB through CSV; returns
    {table: column DDL}."""
    copied = {}
    with aloe.connect() as a, pg.connect() as p:
        tables = [r[0] for r in a.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver' ORDER BY 1"
        )]
        for schema in ("silver", "gold"):
            p.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            duck.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for t in tables:
            cols = a.execute(
                "SELECT column_name, data_type, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_schema = 'silver' AND table_name = %s "
                "ORDER BY ordinal_position", (t,),
            ).fetchall()
            ddl = ", ".join(
                f'"{c}" ' + (f"numeric({pr},{sc})" if ty == "numeric" and pr else PG_TYPES.get(ty, "text"))
                for c, ty, pr, sc in cols
            )
            path = work / f"{t}.csv"
            with open(path, "wb") as f, a.cursor().copy(
                f"COPY (SELECT * FROM silver.{t}) TO STDOUT (FORMAT csv, HEADER true)"
            ) as cp:
                for chunk in cp:
                    f.write(chunk)
            p.execute(f"CREATE TABLE silver.{t} ({ddl})")
            with open(path, "rb") as f, p.cursor().copy(
                f"COPY silver.{t} FROM STDIN (FORMAT csv, HEADER true)"
            ) as cp:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
            duck.con.execute(f"CREATE TABLE silver.{t} ({ddl})")
            duck.con.execute(f"COPY silver.{t} FROM '{path}' (HEADER true)")
            n = p.execute(f"SELECT count(*) FROM silver.{t}").fetchone()[0]
            log(f"silver.{t}: {n} rows copied")
            copied[t] = ddl
            path.unlink()  # one table's file at a time: the large scale's would fill a disk
        p.execute("ANALYZE")
    return copied


def ingest(args, aloe, pg, duck, silver, work, fig):
    """(e): bulk-loading a week of web events from CSV, generating a week of the business, and
    Kafka to bronze. Each loaded or generated table is dropped after it is timed; a week keeps
    the large scale's files within a disk."""
    ddl = silver["web_events"]
    path = work / "web_events_week.csv"
    week = f"SELECT * FROM silver.web_events WHERE event_date <= DATE '{WEEK_END}'"
    rows = aloe.count(f"SELECT count(*) FROM ({week}) AS w")
    with aloe.connect() as a, open(path, "wb") as f, a.cursor().copy(
        f"COPY ({week}) TO STDOUT (FORMAT csv, HEADER true)"
    ) as cp:
        for chunk in cp:
            f.write(chunk)
    times = {"aloe": [], "postgres": [], "duckdb": []}
    for _ in range(args.repeats):
        times["aloe"].append(aloe.load_csv(path, "web_events_loaded"))
        times["postgres"].append(pg.load_csv(path, "web_events_loaded", ddl))
        times["duckdb"].append(duck.load_csv(path, "web_events_loaded", ddl))
    fig["load_csv_rows_per_s"] = {k: rows / statistics.median(v) for k, v in times.items()}
    fig["load_csv_rows"] = rows
    path.unlink()

    # One week at the scale's rate: the rate is what is compared, and the whole period's
    # JSON would not fit beside the peers at the large scale.
    scratch = work / "generate-again"
    times = {"aloe": [], "postgres": [], "duckdb": []}
    written = 0
    for _ in range(args.repeats):
        seconds, written = aloe.generate(scratch, START, WEEK_END)
        times["aloe"].append(seconds)
        shutil.rmtree(scratch, ignore_errors=True)
        times["postgres"].append(pg.generate(generated_events(written)))
        times["duckdb"].append(duck.generate(generated_events(written)))
    fig["generate_rows_per_s"] = {k: written / statistics.median(v) for k, v in times.items()}
    fig["generate_rows"] = written

    if args.kafka_events > 0:
        runs = [kafka_ingest(args.kafka_events) for _ in range(args.repeats)]
        fig["kafka_events_per_s"] = {
            "librdkafka": statistics.median(r[0] for r in runs),
            "aloe": statistics.median(r[1] for r in runs),
        }
        fig["kafka_events"] = args.kafka_events


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.monotonic()
        fn()
        times.append(time.monotonic() - t)
    return statistics.median(times)


def pgbench(dsn_port, user, db, scripts, clients, seconds, work, mode):
    """Runs pgbench with per-transaction logs: (tps, p50 ms, p95 ms, mean ms). The log's
    latencies are whole microseconds and read 0 for the fastest statements, so the mean comes
    from pgbench's own summary."""
    logdir = Path(tempfile.mkdtemp(dir=work))
    args = ["pgbench", "-n", "-h", "127.0.0.1", "-p", str(dsn_port), "-U", user, "-M", mode,
            "-c", str(clients), "-j", str(min(clients, 4)), "-T", str(seconds),
            "-l", "--log-prefix", str(logdir / "tx")]
    for s in scripts:
        args += ["-f", str(s)]
    out = subprocess.run(args + [db], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    lat = []
    for f in logdir.iterdir():
        for line in f.read_text().splitlines():
            lat.append(int(line.split()[2]) / 1000)
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    mean = float(re.search(r"latency average = ([0-9.]+) ms", out.stdout).group(1))
    lat.sort()
    return tps, lat[len(lat) // 2], lat[int(len(lat) * 0.95)], mean


def duck_mix(duck, queries, clients, seconds):
    lat, lock = [], threading.Lock()
    end = time.monotonic() + seconds

    def worker():
        cur = duck.con.cursor()
        i = 0
        mine = []
        while time.monotonic() < end:
            t = time.monotonic()
            cur.execute(queries[i % len(queries)]).fetchall()
            mine.append((time.monotonic() - t) * 1000)
            i += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t = time.monotonic()
    [th.start() for th in threads]
    [th.join() for th in threads]
    elapsed = time.monotonic() - t
    lat.sort()
    return len(lat) / elapsed, lat[len(lat) // 2], lat[int(len(lat) * 0.95)], statistics.mean(lat)


def stream_rows(port, user, db, sql):
    t = time.monotonic()
    subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", db,
                    "-o", "/dev/null", "-c", sql], check=True)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aloe", default=str(ROOT / "target/release/aloe"), help="the aloe binary")
    ap.add_argument("--scale", choices=[*SCALES, "both"], default="small",
                    help="small: 5,000 events a day (the seed's default); large: 100 times more; "
                         "both: small, then large, in one run")
    ap.add_argument("--events-per-day", type=int, help="override the scale's events a day (for a quick try)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is kept")
    ap.add_argument("--seconds", type=int, default=10, help="length of each pgbench run")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of the streaming test")
    ap.add_argument("--no-result-cache", action="store_true",
                    help="run Aloe without its result cache (the figures before it existed)")
    ap.add_argument("--kafka-events", type=int, default=1_000_000,
                    help="events of the Kafka ingest run in (e); 0 leaves it out")
    ap.add_argument("--only", default=WORKLOADS,
                    help="the workloads to run, e.g. 'c' or 'ab' (default: all of abcde)")
    ap.add_argument("--out", default="benches/peers/results.json")
    args = ap.parse_args()
    if args.scale != "both":
        results = run_scale(args, args.scale)
        Path(args.out).write_text(json.dumps(results, indent=2))
        print(table(results))
        return
    # Both scales, one after the other on fresh lakes and clusters; Kafka's figure does not
    # depend on the scale and is measured once, with the small one.
    both = {"small": run_scale(args, "small")}
    large = copy.copy(args)
    large.kafka_events = 0
    both["large"] = run_scale(large, "large")
    Path(args.out).write_text(json.dumps(both, indent=2))
    print(table(both["small"]) + "\n\n" + table(both["large"]))


def run_scale(args, scale):
    """Generates the business at `scale`, loads it into the three engines and runs the
    workloads; returns the figures."""
    only = set(args.only)
    work = Path(tempfile.mkdtemp(prefix="aloe-peers-"))
    os.chmod(work, 0o755)
    # --events-per-day changes the large scale's rate when both run (the small one is fixed).
    events = (args.events_per_day if args.scale == scale or scale == "large" else None) or SCALES[scale]
    results = {"scale": scale, "events_per_day": events,
               "result_cache": not args.no_result_cache, "rows": args.rows, "figures": {}}
    fig = results["figures"]
    aloe = pg = duck = None
    try:
        aloe = Aloe(str(Path(args.aloe).resolve()), work, events, not args.no_result_cache,
                    scale == "large")
        pg = Postgres(work)
        duck = DuckDb(work)
        silver = copy_silver(aloe, pg, duck, work)
        models = gold_models()

        failed = results.setdefault("failed", {})
        for e in (aloe, pg, duck):
            try:
                e.rebuild(models)  # warm-up, and PostgreSQL's and DuckDB's gold tables
            except Exception as ex:  # noqa: BLE001 - the others' figures are still worth having
                log(f"(a) warm-up failed on {e.name}: {ex}")
                failed[f"(a) {e.name}"] = str(ex)
        if "a" in only and not failed:
            log("(a) gold rebuild")
            times = {e.name: [] for e in (aloe, pg, duck)}
            try:
                for _ in range(args.repeats):
                    for e in (aloe, pg, duck):
                        t = time.monotonic()
                        e.rebuild(models)
                        times[e.name].append(time.monotonic() - t)
                fig["gold_rebuild_s"] = {k: statistics.median(v) for k, v in times.items()}
            except Exception as ex:  # noqa: BLE001 - (b) to (e) still run
                log(f"(a) failed on {e.name}: {ex}")
                failed[f"(a) {e.name}, run {len(times[e.name]) + 1}"] = str(ex)

        if "b" in only:
            log("(b) dashboard mix")
            queries = dashboard()
            scripts = {}
            for engine in ("aloe", "postgres"):
                d = work / f"mix-{engine}"
                d.mkdir()
                scripts[engine] = []
                for name, sql in queries:
                    p = d / f"{name}.sql"
                    p.write_text((for_postgres(sql) if engine == "postgres" else sql) + ";\n")
                    scripts[engine].append(p)
            for clients in (1, 8, 64):
                runs = {"aloe": [], "postgres": [], "duckdb": []}
                for _ in range(args.repeats):
                    runs["aloe"].append(pgbench(aloe.port, "aloe", "aloe", scripts["aloe"], clients, args.seconds, work, "extended"))
                    runs["postgres"].append(pgbench(pg.port, "postgres", "postgres", scripts["postgres"], clients, args.seconds, work, "extended"))
                    runs["duckdb"].append(duck_mix(duck, [q for _, q in queries], clients, args.seconds))
                fig[f"dashboard_{clients}c"] = {
                    k: {"tps": statistics.median(r[0] for r in v), "p50_ms": statistics.median(r[1] for r in v),
                        "p95_ms": statistics.median(r[2] for r in v)} for k, v in runs.items()
                }

        if "c" in only:
            log("(c) small queries")
            small = {
                "select_1": "SELECT 1",
                "catalog": "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                           "ON n.oid = c.relnamespace WHERE n.nspname = 'gold' AND c.relname = 'channel_daily'",
                "point_lookup": "SELECT * FROM gold.campaign_daily WHERE campaign_id = 7 AND day = DATE '2025-02-03'",
            }
            for name, sql in small.items():
                runs = {"aloe": [], "postgres": [], "duckdb": []}
                for engine, port, user, db in (("aloe", aloe.port, "aloe", "aloe"), ("postgres", pg.port, "postgres", "postgres")):
                    p = work / f"small-{engine}-{name}.sql"
                    p.write_text(sql + ";\n")
                    for _ in range(args.repeats):
                        runs[engine].append(pgbench(port, user, db, [p], 1, max(3, args.seconds // 2), work, "extended"))
                dsql = sql if name != "catalog" else "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold' AND table_name = 'channel_daily'"
                for _ in range(args.repeats):
                    runs["duckdb"].append(duck_mix(duck, [dsql], 1, max(3, args.seconds // 2)))
                fig[f"small_{name}"] = {k: {"mean_ms": statistics.median(r[3] for r in v),
                                            "p95_ms": statistics.median(r[2] for r in v)} for k, v in runs.items()}

        if "d" in only:
            log("(d) streaming")
            stream_sql = (f"SELECT x, x * 2 AS doubled, 'row ' || CAST(x AS TEXT) AS label "
                          f"FROM generate_series(1, {args.rows}) AS t(x)")
            runs = {"aloe": [], "postgres": [], "duckdb": []}
            for _ in range(args.repeats):
                runs["aloe"].append(stream_rows(aloe.port, "aloe", "aloe", stream_sql))
                runs["postgres"].append(stream_rows(pg.port, "postgres", "postgres", stream_sql))
                t = time.monotonic()
                # In process, rows reach the caller as Python tuples, batch by batch.
                cur = duck.con.cursor()
                cur.execute(stream_sql)
                while cur.fetchmany(1 << 16):
                    pass
                runs["duckdb"].append(time.monotonic() - t)
            fig["stream_rows_per_s"] = {k: args.rows / statistics.median(v) for k, v in runs.items()}
        if "e" in only:
            log("(e) generation and ingest")
            try:
                ingest(args, aloe, pg, duck, silver, work, fig)
            except Exception as ex:  # noqa: BLE001 - keep (a) to (d), say what failed
                log(f"(e) failed: {ex}")
                failed["(e)"] = str(ex)
    finally:
        for e in (aloe, pg, duck):
            if e is not None:
                try:
                    e.stop()
                except Exception as ex:  # noqa: BLE001 - keep stopping the others
                    log(f"stopping {e.name}: {ex}")
        shutil.rmtree(work, ignore_errors=True)
    return results


def table(results):
    """The results as Markdown, with Aloe's ratio to each peer (>1: Aloe is better)."""
    f = results["figures"]
    cache = "on" if results.get("result_cache", True) else "off"
    lines = [f"Scale: {results['scale']} ({results['events_per_day']} events a day, 2025-01-01 to 2025-03-28); "
             f"Aloe's result cache {cache}", "",
             "| work | Aloe | PostgreSQL | DuckDB | Aloe vs PostgreSQL | Aloe vs DuckDB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]

    def row(label, a, p, d, higher_better, unit):
        ratio = (lambda x: a / x) if higher_better else (lambda x: x / a)
        lines.append(f"| {label} | {a:.4g} {unit} | {p:.4g} {unit} | {d:.4g} {unit} | "
                     f"{ratio(p):.2f}× | {ratio(d):.2f}× |")

    if "gold_rebuild_s" in f:
        g = f["gold_rebuild_s"]
        row("(a) gold rebuild", g["aloe"], g["postgres"], g["duckdb"], False, "s")
    for c in (1, 8, 64):
        if f"dashboard_{c}c" not in f:
            continue
        m = f[f"dashboard_{c}c"]
        row(f"(b) dashboard, {c} clients, throughput", m["aloe"]["tps"], m["postgres"]["tps"], m["duckdb"]["tps"], True, "q/s")
        row(f"(b) dashboard, {c} clients, p50", m["aloe"]["p50_ms"], m["postgres"]["p50_ms"], m["duckdb"]["p50_ms"], False, "ms")
        row(f"(b) dashboard, {c} clients, p95", m["aloe"]["p95_ms"], m["postgres"]["p95_ms"], m["duckdb"]["p95_ms"], False, "ms")
    for name in ("select_1", "catalog", "point_lookup"):
        if f"small_{name}" not in f:
            continue
        m = f[f"small_{name}"]
        row(f"(c) {name}, mean latency", m["aloe"]["mean_ms"], m["postgres"]["mean_ms"], m["duckdb"]["mean_ms"], False, "ms")
    if "stream_rows_per_s" in f:
        s = f["stream_rows_per_s"]
        row(f"(d) streaming {results['rows']:,} rows", s["aloe"], s["postgres"], s["duckdb"], True, "rows/s")
    if "load_csv_rows_per_s" in f:
        g = f["load_csv_rows_per_s"]
        row(f"(e) loading {f['load_csv_rows']:,} web events (a week) from CSV", g["aloe"], g["postgres"], g["duckdb"], True, "rows/s")
    if "generate_rows_per_s" in f:
        g = f["generate_rows_per_s"]
        row(f"(e) generating {f['generate_rows']:,} rows (a week)", g["aloe"], g["postgres"], g["duckdb"], True, "rows/s")
    lines.append("")
    lines.append("Ratios above 1 mean Aloe is faster; below 1, the peer is.")
    for what, error in results.get("failed", {}).items():
        lines.append("")
        lines.append(f"Failed, {what}: {error}")
    if "kafka_events_per_s" in f:
        k = f["kafka_events_per_s"]
        lines.append("")
        lines.append(f"(e) Kafka to bronze, {f['kafka_events']:,} events (librdkafka's mock cluster): "
                     f"Aloe {k['aloe']:.4g} events/s, librdkafka's raw consume {k['librdkafka']:.4g} "
                     f"events/s ({k['aloe'] / k['librdkafka']:.2f}× the ceiling)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
