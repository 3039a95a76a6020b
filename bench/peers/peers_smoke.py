"""The Python peers answer on this machine: chDB reads our Parquet with exact decimals, ArcticDB
writes and reads a symbol on our MinIO bucket and deletes its library again.

stdin: {"parquet": path, "s3": {"host", "port", "bucket", "prefix"}}; the S3 keys come from the
environment (K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY), never from arguments. stdout: one JSON object.
"""
import json
import os
import sys

import arcticdb
import chdb
import pandas as pd

req = json.load(sys.stdin)
out = {"chdb": chdb.__version__, "arcticdb": arcticdb.__version__}

# chDB: ClickHouse's Parquet reader, decimals kept exact (toString of a Decimal prints every digit).
sql = (
    "SELECT symbol, toString(sum(quantity)) AS volume, toString(max(price)) AS high, count() AS trades "
    f"FROM file('{req['parquet']}', Parquet) GROUP BY symbol ORDER BY symbol"
)
out["chdbRows"] = json.loads(str(chdb.query(sql, "JSONCompact")))["data"]

# ArcticDB on the S3 backend, plain HTTP to MinIO, under a prefix of the caller's.
s3 = req["s3"]
url = (
    f"s3://{s3['host']}:{s3['bucket']}?port={s3['port']}&path_prefix={s3['prefix']}"
    f"&access={os.environ['K2_S3_ACCESS_KEY']}&secret={os.environ['K2_S3_SECRET_KEY']}"
)
ac = arcticdb.Arctic(url)
lib = ac.get_library("smoke", create_if_missing=True)
df = pd.read_parquet(req["parquet"]).set_index("event_time").sort_index()
df["price"] = df["price"].astype(str)
df["quantity"] = df["quantity"].astype(str)
lib.write("trades", df)
back = lib.read("trades").data
out["arcticdbRows"] = len(back)
out["arcticdbFirst"] = {"symbol": str(back["symbol"].iloc[0]), "price": str(back["price"].iloc[0])}
ac.delete_library("smoke")
out["arcticdbLibrariesAfter"] = ac.list_libraries()
print(json.dumps(out))
