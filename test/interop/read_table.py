"""Reads one Iceberg table through the REST catalog with two independent readers, pyiceberg
and DuckDB's own iceberg extension, and prints what each saw as one JSON object, so a test can
check that tables the sink writes are readable by other engines and agree with our reader.

Run with the project venv (`npm run stack -- up` installs the pinned packages from
stack/jupyter/requirements.txt; see docs/research-interop.md):

    .cache/jupyter/venv/bin/python test/interop/read_table.py CATALOG_URI S3_ENDPOINT NAMESPACE TABLE [FILTER...]
    .cache/jupyter/venv/bin/python test/interop/read_table.py --check

S3 credentials come from the environment only: K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY.

Output (stdout), per reader ("pyiceberg", "duckdb"):
    {"rows": N, "types": {column: type}, "symbols": {SYMBOL: {"count", "distinct_trade_ids",
     "min_trade_id", "max_trade_id", "sum_price", "sum_quantity", "min_event_time", "max_event_time"}}}
Sums are exact decimal strings with 8 fractional digits; times are µs since the epoch (int).
Each FILTER (e.g. "symbol = 'BTCUSDT'", "trade_id >= 1500", "event_time >= '2026-11-23T00:00:00+00:00'":
the syntax pyiceberg's row_filter and SQL share) adds "filtered": {FILTER: rows} to each reader, read
with the filter pushed down, so the readers prune files by our partition values and column bounds;
pyiceberg also reports "files" (all data files) and "planned": {FILTER: files left after pruning}.

Exit codes: 0 ok; 1 a reader failed (the reasons on stderr); 2 bad arguments or environment;
3 packages missing from this Python (run `npm run stack -- up`).
"""

import decimal
import importlib
import json
import os
import pathlib
import sys
import traceback

SCALE = decimal.Decimal("0.00000001")
EXIT_READ_FAILED, EXIT_USAGE, EXIT_MISSING_PACKAGES = 1, 2, 3
DUCKDB_EXTENSIONS = ("httpfs", "avro", "iceberg")  # in load order: iceberg needs avro (manifests) and httpfs (S3, HTTP)


def fail(code, message):
    print(f"read_table.py: {message}", file=sys.stderr)
    sys.exit(code)


try:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyiceberg
    from k2_catalog import rest_catalog
except ImportError as err:
    fail(
        EXIT_MISSING_PACKAGES,
        f"{sys.executable} cannot import {err.name!r}: the interop readers are not installed in this venv. "
        "Run `npm run stack -- up` (it installs stack/jupyter/requirements.txt into .cache/jupyter/venv).",
    )


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def sql_ident(s):
    return '"' + s.replace('"', '""') + '"'


def exact(value):
    """A decimal as a string with exactly 8 fractional digits; refuses to round."""
    d = decimal.Decimal(value)
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        ctx.traps[decimal.Inexact] = True
        return format(d.quantize(SCALE), "f")


def decimal_sum(values):
    with decimal.localcontext() as ctx:
        ctx.prec = 80  # well above DECIMAL(38, s): additions stay exact
        ctx.traps[decimal.Inexact] = True
        return sum(values, decimal.Decimal(0))


def extension_path(name, version):
    """The signed .duckdb_extension shipped in the duckdb-extension-<name> wheel for this DuckDB version."""
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        fail(EXIT_MISSING_PACKAGES, f"{sys.executable} has no duckdb-extension-{name}: run `npm run stack -- up`.")
    root = pathlib.Path(module.__file__).parent
    found = sorted(root.rglob(f"{name}.duckdb_extension"))  # today extensions/<version>/<name>.duckdb_extension
    exact_version = [p for p in found if version in p.parts]
    if not exact_version:
        fail(
            EXIT_MISSING_PACKAGES,
            f"duckdb-extension-{name} in {root} has {[str(p.relative_to(root)) for p in found] or 'no extension file'}, "
            f"expected one built for DuckDB {version}: pin duckdb and duckdb-extension-* to the same version in stack/jupyter/requirements.txt.",
        )
    return exact_version[0]


def duckdb_connection():
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    version = con.sql("PRAGMA version").fetchone()[0]  # e.g. 'v1.5.5'
    for name in DUCKDB_EXTENSIONS:
        con.execute(f"LOAD {sql_string(str(extension_path(name, version)))}")
    return con, version


def check():
    """Imports everything and locates the DuckDB extensions; prints the versions."""
    con, version = duckdb_connection()
    con.close()
    print(json.dumps({"pyiceberg": pyiceberg.__version__, "pyarrow": pa.__version__, "duckdb": version, "duckdb_extensions": list(DUCKDB_EXTENSIONS)}))


# ---------------------------------------------------------------------------------- pyiceberg


def read_pyiceberg(catalog_uri, s3_endpoint, namespace, table, filters, access_key, secret_key):
    catalog = rest_catalog(catalog_uri, s3_endpoint, access_key, secret_key)
    iceberg_table = catalog.load_table((namespace, table))
    # Every column, as a user would read the table (not only the aggregated ones).
    arrow = iceberg_table.scan().to_arrow()
    types = {f.name: str(f.type) for f in arrow.schema}
    event_time = arrow.column("event_time")
    if not pa.types.is_timestamp(event_time.type) or event_time.type.unit != "us":
        raise TypeError(f"event_time is {event_time.type}, expected a µs timestamp")
    ints = pa.table(
        {
            "symbol": arrow.column("symbol"),
            "trade_id": arrow.column("trade_id"),
            "event_time": pc.cast(event_time, pa.int64()),
        }
    )
    grouped = ints.group_by("symbol").aggregate(
        [
            ("trade_id", "count"),
            ("trade_id", "count_distinct"),
            ("trade_id", "min"),
            ("trade_id", "max"),
            ("event_time", "min"),
            ("event_time", "max"),
        ]
    )
    # Decimal sums in Python: exact whatever Arrow's decimal sum would widen or round to.
    prices, quantities = {}, {}
    for symbol, price, quantity in zip(
        arrow.column("symbol").to_pylist(), arrow.column("price").to_pylist(), arrow.column("quantity").to_pylist()
    ):
        prices.setdefault(symbol, []).append(price)
        quantities.setdefault(symbol, []).append(quantity)
    symbols = {}
    for row in grouped.to_pylist():
        s = row["symbol"]
        symbols[s] = {
            "count": row["trade_id_count"],
            "distinct_trade_ids": row["trade_id_count_distinct"],
            "min_trade_id": row["trade_id_min"],
            "max_trade_id": row["trade_id_max"],
            "sum_price": exact(decimal_sum(prices[s])),
            "sum_quantity": exact(decimal_sum(quantities[s])),
            "min_event_time": row["event_time_min"],
            "max_event_time": row["event_time_max"],
        }
    filtered = {f: iceberg_table.scan(row_filter=f).to_arrow().num_rows for f in filters}
    planned = {f: len(list(iceberg_table.scan(row_filter=f).plan_files())) for f in filters}
    return {
        "rows": arrow.num_rows,
        "types": types,
        "symbols": dict(sorted(symbols.items())),
        "filtered": filtered,
        "files": len(list(iceberg_table.scan().plan_files())),
        "planned": planned,
    }


# ---------------------------------------------------------------------------------- DuckDB


def read_duckdb(catalog_uri, s3_endpoint, namespace, table, filters, access_key, secret_key):
    con, _ = duckdb_connection()
    try:
        scheme, _, host = s3_endpoint.partition("://")
        con.execute(
            f"""CREATE SECRET k2_s3 (TYPE s3, PROVIDER config, KEY_ID {sql_string(access_key)}, SECRET {sql_string(secret_key)},
                REGION 'us-east-1', ENDPOINT {sql_string(host.rstrip('/'))}, URL_STYLE 'path', USE_SSL {'true' if scheme == 'https' else 'false'})"""
        )
        # The REST catalog serves one warehouse; the name given here is not used by it.
        con.execute(f"ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT {sql_string(catalog_uri)}, AUTHORIZATION_TYPE 'none')")
        ref = f"lake.{sql_ident(namespace)}.{sql_ident(table)}"
        types = {name: str(kind) for name, kind, *_ in con.sql(f"DESCRIBE {ref}").fetchall()}
        rows = con.sql(f"SELECT count(*) FROM {ref}").fetchone()[0]
        symbols = {}
        result = con.sql(
            f"""SELECT symbol, count(*), count(DISTINCT trade_id), min(trade_id), max(trade_id),
                       sum(price)::VARCHAR, sum(quantity)::VARCHAR, epoch_us(min(event_time)), epoch_us(max(event_time))
                FROM {ref} GROUP BY symbol ORDER BY symbol"""
        ).fetchall()
        for s, n, ids, lo, hi, price, quantity, t0, t1 in result:
            symbols[s] = {
                "count": n,
                "distinct_trade_ids": ids,
                "min_trade_id": lo,
                "max_trade_id": hi,
                "sum_price": exact(price),
                "sum_quantity": exact(quantity),
                "min_event_time": t0,
                "max_event_time": t1,
            }
        filtered = {f: con.sql(f"SELECT count(*) FROM {ref} WHERE {f}").fetchone()[0] for f in filters}
        return {"rows": rows, "types": types, "symbols": symbols, "filtered": filtered}
    finally:
        con.close()


def main(argv):
    if argv == ["--check"]:
        check()
        return
    if len(argv) < 4:
        fail(EXIT_USAGE, "usage: read_table.py CATALOG_URI S3_ENDPOINT NAMESPACE TABLE [FILTER...] (or --check); credentials in K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY")
    missing = [k for k in ("K2_S3_ACCESS_KEY", "K2_S3_SECRET_KEY") if not os.environ.get(k)]
    if missing:
        fail(EXIT_USAGE, f"{' and '.join(missing)} not set: the S3 credentials come from the environment (see .state/credentials.env)")
    args = (*argv[:4], argv[4:], os.environ["K2_S3_ACCESS_KEY"], os.environ["K2_S3_SECRET_KEY"])
    out, errors = {}, []
    for name, reader in (("pyiceberg", read_pyiceberg), ("duckdb", read_duckdb)):
        try:
            out[name] = reader(*args)
        except Exception as err:  # report both readers' failures, not only the first
            where = traceback.extract_tb(err.__traceback__)[-1]
            errors.append(f"{name} could not read {argv[2]}.{argv[3]} from {argv[0]}: {type(err).__name__}: {err} (at {pathlib.Path(where.filename).name}:{where.lineno})")
    if errors:
        fail(EXIT_READ_FAILED, "\n".join(errors))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
