"""Reads a trades or quotes table with pyiceberg (not the workbench's reader) through the REST
catalog, and prints what a test compares with its source of truth: each symbol's ids, sorted, and
a SHA-256 over every row in canonical form, one line per row, lines sorted:

    trades: SYMBOL|TRADE_ID|PRICE|QUANTITY|EVENT_TIME_US
    quotes: SYMBOL|UPDATE_ID|BID_PRICE|ASK_PRICE|EVENT_TIME_US

decimals as exact fixed-point strings at the column's scale, times as µs since the epoch.

    .cache/jupyter/venv/bin/python test/interop/lake_digest.py CATALOG_URI S3_ENDPOINT NAMESPACE TABLE [KIND TIME_COLUMN]

A table of another writer (Kafka Connect's Iceberg sink names columns after the Avro fields and
keeps `timestamp-micros` as a long) gives its KIND (trades or quotes) and its time column; a long
time column is read as µs since the epoch.

S3 credentials from the environment: K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY. Prints
{"rows": N, "snapshot": ID, "ids": {SYMBOL: [ID, ...]}, "hash": HEX}.
"""

import hashlib
import json
import sys

import pyarrow as pa
from k2_catalog import rest_catalog

COLUMNS = {
    "trades": ("trade_id", "price", "quantity"),
    "quotes": ("update_id", "bid_price", "ask_price"),
}


def main():
    if len(sys.argv) not in (5, 7) or (sys.argv[6:] and sys.argv[5] not in COLUMNS) or (not sys.argv[6:] and sys.argv[4] not in COLUMNS):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    uri, endpoint, ns, table = sys.argv[1:5]
    kind, time_col = (sys.argv[5], sys.argv[6]) if len(sys.argv) == 7 else (table, "event_time")
    catalog = rest_catalog(uri, endpoint)
    tbl = catalog.load_table(f"{ns}.{table}")
    id_col, a_col, b_col = COLUMNS[kind]
    arrow = tbl.scan(selected_fields=("symbol", id_col, a_col, b_col, time_col)).to_arrow()
    symbols = arrow.column("symbol").to_pylist()
    ids = arrow.column(id_col).to_pylist()
    a = arrow.column(a_col).to_pylist()
    b = arrow.column(b_col).to_pylist()
    times = arrow.column(time_col)
    micros = (times if pa.types.is_integer(times.type) else times.cast(pa.timestamp("us", tz="UTC"))).cast(pa.int64()).to_pylist()
    lines = sorted(f"{s}|{i}|{format(x, 'f')}|{format(y, 'f')}|{t}" for s, i, x, y, t in zip(symbols, ids, a, b, micros))
    digest = hashlib.sha256()
    for line in lines:
        digest.update(f"{line}\n".encode())
    per_symbol = {}
    for s, i in zip(symbols, ids):
        per_symbol.setdefault(s, []).append(i)
    snapshot = tbl.current_snapshot()
    print(json.dumps({
        "rows": len(lines),
        "snapshot": snapshot.snapshot_id if snapshot else None,
        "ids": {s: sorted(v) for s, v in per_symbol.items()},
        "hash": digest.hexdigest(),
    }))


if __name__ == "__main__":
    main()
