#!/usr/bin/env bash
# Aloe against PostgreSQL 15 and DuckDB on the same data, in one run (see BENCHMARKS.md).
# Usage: benches/peers/run.sh [--scale small|large|both] [--repeats N] [--seconds N] ...
# Installs what it needs (Debian's PostgreSQL 15 and pgbench, DuckDB and psycopg from PyPI),
# builds Aloe in release, and prints the table with Aloe's ratios to each peer. Run as root
# (the throwaway PostgreSQL cluster runs as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v pgbench >/dev/null || ! command -v psql >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-client-15 >/dev/null
fi
venv="${BENCH_VENV:-$HOME/.cache/aloe/bench-venv}"
if ! "$venv/bin/python" -c 'import duckdb, psycopg' >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "psycopg[binary]>=3.2" "duckdb>=1.1"
fi
cargo build --release --bin aloe
exec "$venv/bin/python" benches/peers/run.py --aloe target/release/aloe "$@"
