"""Computes 1-minute (or any interval) OHLCV bars with VWAP for one symbol with Apache Spark,
reading the trades table through the Iceberg REST catalog AT ONE SNAPSHOT, and prints them as JSON,
so a test can check that Spark and our engine give the same bars from the same snapshot (the
scale-out path, docs/scale-out.md).

Run with the project venv (`npm run stack -- up` installs pyspark from stack/jupyter/requirements.txt
and downloads the Iceberg jars into the cache, stack/services/spark.ts). Needs Java 17+:

    .cache/jupyter/venv/bin/python test/interop/spark_bars.py --check --jars A.jar,B.jar
    .cache/jupyter/venv/bin/python test/interop/spark_bars.py --jars A.jar,B.jar \\
        --catalog-uri http://127.0.0.1:8181 --s3-endpoint http://127.0.0.1:9000 --region us-east-1 \\
        --namespace market --table trades --snapshot-id 123 --symbol BTCUSDT \\
        --from-us 1763800000000000 --to-us 1763800600000000 [--interval-us 60000000]

S3 credentials come from the environment only: K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY. They are set
on the running session (spark.conf.set), not passed as --conf, so they never appear in a command line.

The bars (one object on stdout):
    {"spark": VERSION, "iceberg": VERSION, "snapshot": {"id", "total_records", "rows"},
     "bars": [{"start", "open", "high", "low", "close", "volume", "notional", "vwap", "trades",
               "first_trade_id", "last_trade_id"}]}
start is the bar's start in µs since the epoch: floor(epoch µs / interval) × interval. open and
close are the prices of the lowest and highest trade id in the bar. volume = sum(quantity), exact;
notional = sum(price × quantity) (exact DECIMAL(38, 16)) rounded half up to 8 decimals; vwap = the
exact notional / volume rounded half up to 8 decimals, in integers (no decimal division, which
would round twice). Decimals are strings with exactly 8 fractional digits. ANSI mode is on and
decimal precision loss is off, so an overflow fails the query instead of rounding or returning NULL.
snapshot.total_records is the snapshot's summary; snapshot.rows is count(*) read at that snapshot.

Exit codes: 0 ok; 1 Spark failed (the reason on stderr); 2 bad arguments or environment;
3 pyspark or the jars missing (run `npm run stack -- up`).
"""

import argparse
import decimal
import json
import os
import sys

EXIT_FAILED, EXIT_USAGE, EXIT_MISSING = 1, 2, 3
SCALE = decimal.Decimal("0.00000001")
PROVISION_HINT = (
    "Run `npm run stack -- up`: it installs pyspark (stack/jupyter/requirements.txt) into .cache/jupyter/venv "
    "and downloads the Iceberg Spark jars into the cache (stack/services/spark.ts)."
)


def fail(code, message):
    print(f"spark_bars.py: {message}", file=sys.stderr)
    sys.exit(code)


try:
    import pyspark
    from pyspark.sql import SparkSession
except ImportError as err:
    fail(EXIT_MISSING, f"{sys.executable} cannot import {err.name!r}: pyspark is not installed in this venv. {PROVISION_HINT}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="print the pyspark version and check the jars, then exit")
    p.add_argument("--jars", required=True, help="comma-separated jar files for spark.jars")
    p.add_argument("--catalog-uri")
    p.add_argument("--s3-endpoint")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--namespace")
    p.add_argument("--table", default="trades")
    p.add_argument("--snapshot-id", type=int)
    p.add_argument("--symbol")
    p.add_argument("--from-us", type=int)
    p.add_argument("--to-us", type=int)
    p.add_argument("--interval-us", type=int, default=60_000_000)
    p.add_argument("--driver-memory", default="1g")
    args = p.parse_args()
    args.jar_list = [j for j in args.jars.split(",") if j]
    missing = [j for j in args.jar_list if not os.path.isfile(j)]
    if not args.jar_list or missing:
        fail(EXIT_MISSING, f"Spark jars missing: {', '.join(missing) or '(none given)'}. {PROVISION_HINT}")
    if not args.check:
        for name in ("catalog_uri", "s3_endpoint", "namespace", "snapshot_id", "symbol", "from_us", "to_us"):
            if getattr(args, name) is None:
                fail(EXIT_USAGE, f"--{name.replace('_', '-')} is required")
        if args.interval_us <= 0 or args.to_us <= args.from_us:
            fail(EXIT_USAGE, "need --interval-us > 0 and --from-us < --to-us")
    return args


def exact8(value):
    """A decimal as a string with exactly 8 fractional digits; refuses to round."""
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        ctx.traps[decimal.Inexact] = True
        return format(decimal.Decimal(value).quantize(SCALE), "f")


def ident(s):
    return "`" + s.replace("`", "``") + "`"


def session(args):
    key, secret = os.environ.get("K2_S3_ACCESS_KEY"), os.environ.get("K2_S3_SECRET_KEY")
    if not key or not secret:
        fail(EXIT_USAGE, "K2_S3_ACCESS_KEY and K2_S3_SECRET_KEY must be set in the environment")
    # Everything on loopback: the driver would otherwise bind to the host's first interface.
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("k2-spark-bars")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.jars", ",".join(args.jar_list))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    conf = {
        # Exact decimals or a loud failure: no silent scale reduction, overflow is an error.
        "spark.sql.ansi.enabled": "true",
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        # The lake: the same REST catalog and object store our engine reads.
        "spark.sql.catalog.k2": "org.apache.iceberg.spark.SparkCatalog",
        "spark.sql.catalog.k2.type": "rest",
        "spark.sql.catalog.k2.uri": args.catalog_uri,
        "spark.sql.catalog.k2.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        "spark.sql.catalog.k2.s3.endpoint": args.s3_endpoint,
        "spark.sql.catalog.k2.s3.path-style-access": "true",
        "spark.sql.catalog.k2.s3.access-key-id": key,
        "spark.sql.catalog.k2.s3.secret-access-key": secret,
        "spark.sql.catalog.k2.client.region": args.region,
    }
    for k, v in conf.items():
        spark.conf.set(k, v)
    return spark


def bars(spark, args):
    table = f"k2.{ident(args.namespace)}.{ident(args.table)}"
    snap = int(args.snapshot_id)
    meta = spark.sql(f"SELECT summary['total-records'] AS total FROM {table}.snapshots WHERE snapshot_id = {snap}").collect()
    if not meta:
        fail(EXIT_FAILED, f"{table} has no snapshot {snap}")
    rows = spark.sql(f"SELECT count(*) AS n FROM {table} VERSION AS OF {snap}").collect()[0]["n"]

    # Per trade: the unscaled values (10^-8 units) as DECIMAL(38, 0), for the VWAP's integer step.
    # Per bar: exact sums; notional rounded half up by round() (one rounding of an exact value);
    # vwap = (2·N16 + V8) div (2·V8) in 10^-8 units, N16 = notional in 10^-16 units, V8 = volume in
    # 10^-8 units: exact integer division, no intermediate rounding.
    df = spark.sql(
        f"""
        WITH t AS (
          SELECT trade_id, price, quantity, unix_micros(event_time) AS us,
                 CAST(price * 100000000 AS DECIMAL(38, 0)) AS p8,
                 CAST(quantity * 100000000 AS DECIMAL(38, 0)) AS q8
            FROM {table} VERSION AS OF {snap}
           WHERE symbol = :symbol
             AND event_time >= timestamp_micros(:from_us) AND event_time < timestamp_micros(:to_us)
        ), b AS (
          SELECT us - pmod(us, :step) AS start,
                 min_by(price, trade_id) AS open, max(price) AS high, min(price) AS low, max_by(price, trade_id) AS close,
                 sum(quantity) AS volume, sum(price * quantity) AS notional_exact,
                 sum(p8 * q8) AS n16, sum(q8) AS v8,
                 count(*) AS trades, min(trade_id) AS first_trade_id, max(trade_id) AS last_trade_id
            FROM t
           GROUP BY 1
        )
        SELECT start, open, high, low, close, volume,
               round(notional_exact, 8) AS notional,
               CAST((2 * n16 + v8) div (2 * v8) AS DECIMAL(38, 0)) * CAST(0.00000001 AS DECIMAL(9, 8)) AS vwap,
               trades, first_trade_id, last_trade_id,
               typeof(notional_exact) AS notional_type
          FROM b
         ORDER BY start
        """,
        args={"symbol": args.symbol, "from_us": args.from_us, "to_us": args.to_us, "step": args.interval_us},
    )
    out = []
    for r in df.collect():
        if r["notional_type"] != "decimal(38,16)":
            fail(EXIT_FAILED, f"sum(price * quantity) is {r['notional_type']}, not the exact decimal(38,16)")
        out.append(
            {
                "start": int(r["start"]),
                **{k: exact8(r[k]) for k in ("open", "high", "low", "close", "volume", "notional", "vwap")},
                "trades": int(r["trades"]),
                "first_trade_id": int(r["first_trade_id"]),
                "last_trade_id": int(r["last_trade_id"]),
            }
        )
    return {"id": snap, "total_records": int(meta[0]["total"]), "rows": int(rows)}, out


def main():
    args = parse_args()
    if args.check:
        print(json.dumps({"pyspark": pyspark.__version__, "jars": args.jar_list}))
        return
    spark = session(args)
    try:
        iceberg = spark.sparkContext._jvm.org.apache.iceberg.IcebergBuild.version()
        snapshot, result = bars(spark, args)
        print(json.dumps({"spark": spark.version, "iceberg": iceberg, "snapshot": snapshot, "bars": result}))
    except Exception as err:  # a Spark/JVM error: its message is what the test shows
        fail(EXIT_FAILED, f"{type(err).__name__}: {err}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
