"""Writes Iceberg tables the way other engines do, with pyiceberg, through the REST catalog, so a
test can read them with the workbench's reader and compare with pyiceberg's own reading:

- `mapped`: Parquet files written by pyarrow without field ids, added with add_files (pyiceberg
  then sets schema.name-mapping.default), one of them naming a column as the mapping allows;
- `evolved`: rows appended, then a column renamed, one dropped and one added, then more rows;
- `transforms`: partitioned by identity, bucket, truncate and day, rows across their values.

    .cache/jupyter/venv/bin/python test/interop/write_foreign.py CATALOG_URI S3_ENDPOINT NAMESPACE

S3 credentials from the environment: K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY. Prints one JSON object:
{table: {"rows": N, "columns": [...], "sum_id": N, "filtered": {FILTER: rows}}} as pyiceberg reads
each table (FILTERs in the syntax of pyiceberg's row_filter, which is also SQL).
"""

import datetime
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog import load_catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform, TruncateTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestamptzType

FILTERS = {
    "mapped": ["sym = 'BTC'", "price > 10.0"],
    "evolved": ["sym = 'ETH'", "venue IS NULL"],
    "transforms": ["sym = 'SOL'", "id >= 150", "ts >= '2026-11-23T00:00:00+00:00'", "exch = 'BITSTAMP'"],
}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    uri, endpoint, ns = sys.argv[1:]
    props = {
        "type": "rest",
        "uri": uri,
        "s3.endpoint": endpoint,
        "s3.access-key-id": os.environ["K2_S3_ACCESS_KEY"],
        "s3.secret-access-key": os.environ["K2_S3_SECRET_KEY"],
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
    }
    catalog = load_catalog("rest", **props)
    catalog.create_namespace_if_not_exists(ns)
    write_mapped(catalog, ns)
    write_evolved(catalog, ns)
    write_transforms(catalog, ns)
    out = {}
    for name, filters in FILTERS.items():
        tbl = catalog.load_table(f"{ns}.{name}")
        arrow = tbl.scan().to_arrow()
        out[name] = {
            "rows": arrow.num_rows,
            "columns": arrow.column_names,
            "sum_id": int(sum(v for v in arrow.column("id").to_pylist() if v is not None)),
            "filtered": {f: tbl.scan(row_filter=f).to_arrow().num_rows for f in filters},
        }
    print(json.dumps(out))


def write_mapped(catalog, ns):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "sym", StringType(), required=False),
        NestedField(3, "price", DoubleType(), required=False),
    )
    tbl = catalog.create_table(f"{ns}.mapped", schema=schema)
    files = []
    for i, (syms, base) in enumerate([(["BTC", "ETH"], 0), (["BTC", "SOL"], 100)]):
        ids = list(range(base, base + 50))
        table = pa.table({
            "id": pa.array(ids, pa.int64()),
            "sym": pa.array([syms[j % 2] for j in range(50)], pa.string()),
            "price": pa.array([float(j) for j in range(50)], pa.float64()),
        })
        path = f"{tbl.location()}/data/foreign-{i}.parquet"
        with tbl.io.new_output(path).create(overwrite=True) as f:
            pq.write_table(table, f)  # pyarrow writes no Parquet field ids
        files.append(path)
    tbl.add_files(files)


def write_evolved(catalog, ns):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "sym", StringType(), required=False),
        NestedField(3, "px", DoubleType(), required=False),
        NestedField(4, "note", StringType(), required=False),
    )
    tbl = catalog.create_table(f"{ns}.evolved", schema=schema)
    tbl.append(pa.table({
        "id": pa.array(range(0, 40), pa.int64()),
        "sym": pa.array(["ETH" if j % 4 == 0 else "BTC" for j in range(40)]),
        "px": pa.array([j * 1.5 for j in range(40)], pa.float64()),
        "note": pa.array(["old"] * 40),
    }))
    with tbl.update_schema() as update:
        update.rename_column("px", "price")
        update.delete_column("note")
        update.add_column("venue", StringType())
    tbl = catalog.load_table(f"{ns}.evolved")
    tbl.append(pa.table({
        "id": pa.array(range(40, 60), pa.int64()),
        "sym": pa.array(["ETH"] * 20),
        "price": pa.array([j * 1.0 for j in range(20)], pa.float64()),
        "venue": pa.array(["BINANCE"] * 20),
    }))


def write_transforms(catalog, ns):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "sym", StringType(), required=False),
        NestedField(3, "ts", TimestamptzType(), required=False),
        NestedField(4, "exch", StringType(), required=False),
    )
    spec = PartitionSpec(
        PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="sym"),
        PartitionField(source_id=1, field_id=1001, transform=BucketTransform(4), name="id_bucket"),
        PartitionField(source_id=4, field_id=1002, transform=TruncateTransform(2), name="exch_trunc"),
        PartitionField(source_id=3, field_id=1003, transform=DayTransform(), name="ts_day"),
    )
    tbl = catalog.create_table(f"{ns}.transforms", schema=schema, partition_spec=spec)
    start = datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.timezone.utc)
    tbl.append(pa.table({
        "id": pa.array(range(0, 200), pa.int64()),
        "sym": pa.array([["BTC", "ETH", "SOL"][j % 3] for j in range(200)]),
        "ts": pa.array([start + datetime.timedelta(hours=j // 4) for j in range(200)], pa.timestamp("us", tz="UTC")),
        "exch": pa.array([["BINANCE", "BITSTAMP", "COINBASE", "KRAKEN", "OKX"][j % 5] for j in range(200)]),
    }))


if __name__ == "__main__":
    main()
