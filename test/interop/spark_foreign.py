"""Writes, with Apache Spark and Iceberg's own Java library, the tables pyiceberg cannot: merge-on-read
deletes and v3 column defaults. A test then reads them with the workbench's reader, which must
refuse the deletes (it does not apply them) and read the defaults as Spark does.

- `pos_deletes`: format v2, 'write.delete.mode' merge-on-read; 100 rows, then DELETE of every
  tenth: a position delete file.
- `dv_deletes`: the same at format v3: a deletion vector in a Puffin file.
- `defaults`: format v3; 30 rows, then two columns added with defaults through Iceberg's Java
  UpdateSchema (Spark SQL's DDL cannot set them yet: apache/iceberg#16698), then 10 rows that set
  them. The first 30 read as the initial defaults.

    .cache/jupyter/venv/bin/python test/interop/spark_foreign.py --jars A.jar,B.jar \\
        --catalog-uri http://127.0.0.1:8181 --s3-endpoint http://127.0.0.1:9000 --namespace NS

S3 credentials from the environment (K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY), as spark_bars.py.
Prints one JSON object, as Spark reads each table:
    {table: {"rows", "sum_id", "deletes": [{"content", "format"}], "groups": [{"venue", "lots", "n"}]}}
Exit codes as spark_bars.py's.
"""

import argparse
import json
import sys

from spark_bars import EXIT_USAGE, fail, ident, session


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jars", required=True)
    p.add_argument("--catalog-uri", required=True)
    p.add_argument("--s3-endpoint", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--namespace", required=True)
    p.add_argument("--driver-memory", default="1g")
    args = p.parse_args()
    args.jar_list = [j for j in args.jars.split(",") if j]
    if not args.jar_list:
        fail(EXIT_USAGE, "--jars names no jar")
    return args


def write_deletes(spark, table, version):
    spark.sql(
        f"CREATE TABLE {table} (id BIGINT, sym STRING) USING iceberg "
        f"TBLPROPERTIES ('format-version' = '{version}', 'write.delete.mode' = 'merge-on-read')"
    )
    spark.sql(f"INSERT INTO {table} SELECT id, CASE WHEN id % 2 = 0 THEN 'BTC' ELSE 'ETH' END FROM range(100)")
    spark.sql(f"DELETE FROM {table} WHERE id % 10 = 0")


def write_defaults(spark, namespace, table):
    spark.sql(f"CREATE TABLE {table} (id BIGINT, sym STRING) USING iceberg TBLPROPERTIES ('format-version' = '3')")
    spark.sql(f"INSERT INTO {table} SELECT id, 'BTC' FROM range(30)")
    jvm = spark._jvm
    catalog = spark._jsparkSession.sessionState().catalogManager().catalog("k2").icebergCatalog()
    t = catalog.loadTable(jvm.org.apache.iceberg.catalog.TableIdentifier.parse(f"{namespace}.defaults"))
    types, literal = jvm.org.apache.iceberg.types.Types, jvm.org.apache.iceberg.expressions.Literal
    update = t.updateSchema()
    update.addColumn("venue", types.StringType.get(), "added with a default", literal.of("BINANCE"))
    update.addColumn("lots", types.IntegerType.get(), "added with a default", literal.of(7))
    update.commit()
    spark.sql(f"REFRESH TABLE {table}")
    spark.sql(f"INSERT INTO {table} SELECT id, 'ETH', 'OKX', 1 FROM range(30, 40)")


def describe(spark, table):
    row = spark.sql(f"SELECT count(*) AS n, sum(id) AS s FROM {table}").collect()[0]
    deletes = [{"content": int(r["content"]), "format": r["file_format"]} for r in spark.sql(f"SELECT content, file_format FROM {table}.delete_files").collect()]
    out = {"rows": int(row["n"]), "sum_id": int(row["s"] or 0), "deletes": deletes}
    if "venue" in spark.table(table).columns:
        groups = spark.sql(f"SELECT venue, lots, count(*) AS n FROM {table} GROUP BY venue, lots ORDER BY venue").collect()
        out["groups"] = [{"venue": g["venue"], "lots": g["lots"], "n": int(g["n"])} for g in groups]
    return out


def main():
    args = parse_args()
    spark = session(args)
    try:
        ns = args.namespace
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS k2.{ident(ns)}")
        name = lambda t: f"k2.{ident(ns)}.{ident(t)}"
        write_deletes(spark, name("pos_deletes"), 2)
        write_deletes(spark, name("dv_deletes"), 3)
        write_defaults(spark, ns, name("defaults"))
        print(json.dumps({t: describe(spark, name(t)) for t in ("pos_deletes", "dv_deletes", "defaults")}))
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
