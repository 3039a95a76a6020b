"""Writes Iceberg tables the way other engines do, with pyiceberg, through the REST catalog, so a
test can read them with the workbench's reader and compare with pyiceberg's own reading:

- `mapped`: Parquet files written by pyarrow without field ids, added with add_files (pyiceberg
  then sets schema.name-mapping.default), one of them naming a column as the mapping allows;
- `evolved`: rows appended, then a column renamed, one dropped and one added, then more rows;
- `transforms`: partitioned by identity, bucket, truncate and day, rows across their values;
- `times`: partitioned by year, month and hour, of a timestamptz, a date and a timestamp, and a
  void field (what a v1 table keeps of a dropped partition field);
- `absent`: identity-partitioned on `exch`, with data files that do not hold `exch` (as DuckDB
  and Hive-style writers leave it out): its value is only in each manifest entry's partition.

    .cache/jupyter/venv/bin/python test/interop/write_foreign.py CATALOG_URI S3_ENDPOINT NAMESPACE

S3 credentials from the environment: K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY. Prints one JSON object:
{table: {"rows": N, "columns": [...], "sum_id": N, "filtered": {FILTER: rows}}} as pyiceberg reads
each table (FILTERs in the syntax of pyiceberg's row_filter, which is also SQL).
"""

import datetime
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from k2_catalog import rest_catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.io.pyarrow import compute_statistics_plan, data_file_statistics_from_parquet_metadata, parquet_path_to_id_mapping
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.transforms import BucketTransform, DayTransform, HourTransform, IdentityTransform, MonthTransform, TruncateTransform, VoidTransform, YearTransform
from pyiceberg.typedef import Record
from pyiceberg.types import DateType, DoubleType, LongType, NestedField, StringType, TimestampType, TimestamptzType

FILTERS = {
    "mapped": ["sym = 'BTC'", "price > 10.0"],
    "evolved": ["sym = 'ETH'", "venue IS NULL"],
    "transforms": ["sym = 'SOL'", "id >= 150", "ts >= '2026-11-23T00:00:00+00:00'", "exch = 'BITSTAMP'"],
    "times": ["ts >= '2025-01-01T00:00:00+00:00'", "d >= '2026-03-01'", "tl >= '2026-11-21T15:00:00'", "tl < '2026-11-21T13:30:00'"],
    "absent": ["exch = 'KRAKEN'", "exch = 'BINANCE' AND sym = 'ETH'", "exch IS NULL"],
}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    uri, endpoint, ns = sys.argv[1:]
    catalog = rest_catalog(uri, endpoint)
    catalog.create_namespace_if_not_exists(ns)
    write_mapped(catalog, ns)
    write_evolved(catalog, ns)
    write_transforms(catalog, ns)
    write_times(catalog, ns)
    write_absent(catalog, ns)
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


def write_times(catalog, ns):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "ts", TimestamptzType(), required=False),
        NestedField(3, "d", DateType(), required=False),
        NestedField(4, "tl", TimestampType(), required=False),
    )
    spec = PartitionSpec(
        PartitionField(source_id=2, field_id=1000, transform=YearTransform(), name="ts_year"),
        PartitionField(source_id=3, field_id=1001, transform=MonthTransform(), name="d_month"),
        PartitionField(source_id=4, field_id=1002, transform=HourTransform(), name="tl_hour"),
        # A void field, as a v1 table keeps one for a partition field it dropped: always null.
        PartitionField(source_id=1, field_id=1003, transform=VoidTransform(), name="id_void"),
    )
    tbl = catalog.create_table(f"{ns}.times", schema=schema, partition_spec=spec)
    utc = datetime.timezone.utc
    n = 120
    tbl.append(pa.table({
        "id": pa.array(range(n), pa.int64()),
        # Three years, eight months of dates, and an hour every 10 rows.
        "ts": pa.array([datetime.datetime(2024 + j % 3, 6, 1, 12, j % 60, tzinfo=utc) for j in range(n)], pa.timestamp("us", tz="UTC")),
        "d": pa.array([datetime.date(2026, 1 + j % 8, 1 + j % 28) for j in range(n)], pa.date32()),
        "tl": pa.array([datetime.datetime(2026, 11, 21, 12) + datetime.timedelta(minutes=j * 6, microseconds=j) for j in range(n)], pa.timestamp("us")),
    }))


def write_absent(catalog, ns):
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "exch", StringType(), required=False),
        NestedField(3, "sym", StringType(), required=False),
    )
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="exch"))
    tbl = catalog.create_table(f"{ns}.absent", schema=schema, partition_spec=spec)
    # The files hold id and sym (with their field ids) and not exch.
    field = lambda name, t, fid: pa.field(name, t, metadata={b"PARQUET:field_id": str(fid).encode()})
    arrow_schema = pa.schema([field("id", pa.int64(), 1), field("sym", pa.string(), 3)])
    with tbl.transaction() as tx:
        with tx.update_snapshot().fast_append() as append:
            for i, exch in enumerate(["BINANCE", "KRAKEN", "OKX"]):
                rows = pa.table({"id": pa.array(range(i * 100, i * 100 + 25), pa.int64()), "sym": pa.array([["BTC", "ETH"][j % 2] for j in range(25)])}, schema=arrow_schema)
                path = f"{tbl.location()}/data/exch={exch}/absent-{i}.parquet"
                with tbl.io.new_output(path).create(overwrite=True) as f:
                    pq.write_table(rows, f)
                meta = pq.read_metadata(tbl.io.new_input(path).open())
                stats = data_file_statistics_from_parquet_metadata(
                    parquet_metadata=meta,
                    stats_columns=compute_statistics_plan(tbl.schema(), tbl.metadata.properties),
                    parquet_column_mapping=parquet_path_to_id_mapping(tbl.schema()),
                )
                append.append_data_file(DataFile.from_args(
                    content=DataFileContent.DATA,
                    file_path=path,
                    file_format=FileFormat.PARQUET,
                    partition=Record(exch),
                    file_size_in_bytes=len(tbl.io.new_input(path)),
                    sort_order_id=None,
                    spec_id=tbl.metadata.default_spec_id,
                    equality_ids=None,
                    key_metadata=None,
                    **stats.to_serialized_dict(),
                ))


if __name__ == "__main__":
    main()
