"""Benchmarks one in-process peer, chDB (ClickHouse embedded) or ArcticDB (tick data on our MinIO),
on trades/quotes given as local Parquet files: load them through the peer's own normal path, then
time the 8 queries of bench:peers and return their canonical rows.

stdin: {"system": "chdb" | "arcticdb", "trades": [paths], "quotes": [paths], "workDir": dir,
        "s3": {"host", "port", "bucket", "prefix"}, "runs", "warmups", "queries": [{"name", "params"}]}
The S3 keys come from the environment (K2_S3_ACCESS_KEY, K2_S3_SECRET_KEY), never from arguments.
stdout: one JSON object {"system", "version", "loadSeconds", "bytesOnDisk", "rows", "peakRssBytes",
"queries", "notes"}; everything else goes to stderr (native libraries included: fd 1 is pointed at
stderr while the peers run).

Canonical rows: decimals as strings with exactly 8 fractional digits (ArcticDB has no decimal type:
its float64 values are formatted with "%.8f"), times as integer microseconds since the epoch (UTC),
ids and counts as ints, "float" columns as floats, missing values as null.
"""
import json
import os
import resource
import sys
import time
from collections import defaultdict

QUERY_PARAMS = {
    "recent_trades": ("symbol", "from_us", "to_us", "limit"),
    "symbol_time_filter": ("symbol", "from_us", "to_us", "limit"),
    "bars_1h_1m": ("symbol", "from_us", "to_us", "step_us"),
    "bars_24h_all": ("from_us", "to_us", "step_us"),
    "latest_per_symbol": ("from_us", "to_us"),
    "asof_join": ("symbol", "from_us", "to_us", "quote_from_us", "limit"),
    "vwap_1s": ("symbol", "from_us", "to_us", "step_us"),
    "asof_all": ("from_us", "to_us", "quote_from_us"),
}


class NotExpressible(Exception):
    """The peer cannot express a query; its message says why."""


def fail(message):
    print(f"peers_bench: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------


def _check_files(req, key):
    paths = req.get(key)
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        fail(f'"{key}" must be a non-empty list of Parquet paths')
    for p in paths:
        if not os.path.isabs(p) or not os.path.isfile(p):
            fail(f'"{key}": {p!r} is not an absolute path to an existing file')


def _check_queries(req):
    queries = req.get("queries")
    if not isinstance(queries, list):
        fail('"queries" must be a list of {"name", "params"}')
    for q in queries:
        name = q.get("name") if isinstance(q, dict) else None
        if name not in QUERY_PARAMS:
            fail(f"unknown query {name!r}; known: {', '.join(QUERY_PARAMS)}")
        params = q.get("params")
        missing = [k for k in QUERY_PARAMS[name] if not isinstance(params, dict) or k not in params]
        if missing:
            fail(f"query {name}: missing params {missing}")
        for k in QUERY_PARAMS[name]:
            want = str if k == "symbol" else int
            if not isinstance(params[k], want) or isinstance(params[k], bool):
                fail(f"query {name}: param {k} must be {want.__name__}")


def _check_system(req):
    if req.get("system") == "chdb":
        if not isinstance(req.get("workDir"), str) or not os.path.isabs(req["workDir"]):
            fail('chdb needs "workDir", an absolute path')
    elif req.get("system") == "arcticdb":
        s3 = req.get("s3")
        if not isinstance(s3, dict) or any(k not in s3 for k in ("host", "port", "bucket", "prefix")):
            fail('arcticdb needs "s3": {"host", "port", "bucket", "prefix"}')
        if not isinstance(s3["prefix"], str) or not s3["prefix"].strip("/"):
            fail('"s3.prefix" must be a non-empty string')
        for key in ("K2_S3_ACCESS_KEY", "K2_S3_SECRET_KEY"):
            if not os.environ.get(key):
                fail(f"arcticdb needs {key} in the environment")
    else:
        fail('"system" must be "chdb" or "arcticdb"')


def read_request():
    try:
        req = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        fail(f"stdin is not JSON: {e}")
    if not isinstance(req, dict):
        fail("stdin must be a JSON object")
    _check_system(req)
    _check_files(req, "trades")
    _check_files(req, "quotes")
    _check_queries(req)
    for key in ("runs", "warmups"):
        if not isinstance(req.get(key), int) or req[key] < 0:
            fail(f'"{key}" must be a non-negative integer')
    if req["runs"] < 1:
        fail('"runs" must be at least 1')
    return req


# ---------------------------------------------------------------------------------------------
# chDB: a persistent ClickHouse database under workDir, MergeTree tables filled from file(Parquet)
# ---------------------------------------------------------------------------------------------

TRADES_DDL = """
CREATE TABLE trades (
  symbol LowCardinality(String), trade_id Int64, event_time DateTime64(6, 'UTC'),
  price Decimal(18, 8), quantity Decimal(38, 8)
) ENGINE = MergeTree PARTITION BY toDate(event_time) ORDER BY (symbol, event_time)"""

QUOTES_DDL = """
CREATE TABLE quotes (
  symbol LowCardinality(String), update_id Int64, event_time DateTime64(6, 'UTC'),
  bid_price Decimal(18, 8), bid_size Decimal(38, 8), ask_price Decimal(18, 8), ask_size Decimal(38, 8)
) ENGINE = MergeTree PARTITION BY toDate(event_time) ORDER BY (symbol, event_time)"""

TABLE_COLUMNS = {
    "trades": "symbol, trade_id, event_time, price, quantity",
    "quotes": "symbol, update_id, event_time, bid_price, bid_size, ask_price, ask_size",
}

# Fragments, composed with str.replace so that ClickHouse's {name:Type} parameters stay literal.
IN_RANGE = (
    "event_time >= fromUnixTimestamp64Micro({from_us:Int64}, 'UTC') "
    "AND event_time < fromUnixTimestamp64Micro({to_us:Int64}, 'UTC')"
)
OF_SYMBOL = "symbol = {symbol:String} AND "
D8 = "toDecimalString($X, 8)"

# One quote per (symbol, event_time), the highest update_id: ASOF JOIN picks an arbitrary row among
# right-hand rows with equal times, so ties are resolved before the join.
QUOTES_AT = """SELECT symbol, event_time, argMax(bid_price, update_id) AS bid_price,
    argMax(ask_price, update_id) AS ask_price, toUInt8(1) AS hit
  FROM quotes
  WHERE $SYM event_time >= fromUnixTimestamp64Micro({quote_from_us:Int64}, 'UTC')
    AND event_time < fromUnixTimestamp64Micro({to_us:Int64}, 'UTC')
  GROUP BY symbol, event_time"""

BUCKET = "intDiv(toUnixTimestamp64Micro(event_time), {step_us:Int64}) * {step_us:Int64}"
VWAP = "toFloat64(sum(toDecimal256(price, 8) * quantity)) / toFloat64(sum(quantity))"


def _d8(expr):
    return D8.replace("$X", expr)


def _trades_sql(order):
    return (
        f"SELECT trade_id, toUnixTimestamp64Micro(event_time), {_d8('price')}, {_d8('quantity')} "
        f"FROM trades WHERE {OF_SYMBOL}{IN_RANGE} ORDER BY trade_id {order} LIMIT {{limit:UInt64}}"
    )


def _bars_sql(where):
    return f"""SELECT symbol, {BUCKET} AS bucket,
  {_d8('argMin(price, trade_id)')}, {_d8('max(price)')}, {_d8('min(price)')},
  {_d8('argMax(price, trade_id)')}, {_d8('sum(quantity)')}, count(), {VWAP}
FROM trades WHERE {where} GROUP BY symbol, bucket ORDER BY symbol, bucket"""


CHDB_SQL = {
    "recent_trades": _trades_sql("DESC"),
    "symbol_time_filter": _trades_sql("ASC"),
    "bars_1h_1m": _bars_sql(OF_SYMBOL + IN_RANGE),
    "bars_24h_all": _bars_sql(IN_RANGE),
    "latest_per_symbol": f"""SELECT symbol, max(trade_id),
  toUnixTimestamp64Micro(argMax(event_time, trade_id)),
  {_d8('argMax(price, trade_id)')}, {_d8('argMax(quantity, trade_id)')}
FROM trades WHERE {IN_RANGE} GROUP BY symbol ORDER BY symbol""",
    "asof_join": f"""SELECT t.trade_id, {_d8('t.price')}, {_d8('q.bid_price')}, {_d8('q.ask_price')}
FROM (SELECT symbol, trade_id, event_time, price FROM trades WHERE {OF_SYMBOL}{IN_RANGE}
      ORDER BY trade_id LIMIT {{limit:UInt64}}) AS t
ASOF LEFT JOIN ({QUOTES_AT.replace('$SYM', OF_SYMBOL)}) AS q
  ON t.symbol = q.symbol AND t.event_time >= q.event_time
ORDER BY t.trade_id LIMIT {{limit:UInt64}} SETTINGS join_use_nulls = 1""",
    "vwap_1s": f"""SELECT {BUCKET} AS bucket, {VWAP}, {_d8('sum(quantity)')}, count()
FROM trades WHERE {OF_SYMBOL}{IN_RANGE} GROUP BY bucket ORDER BY bucket""",
    "asof_all": f"""SELECT t.symbol, count() AS trades, count(q.hit) AS matched,
  if(matched = 0, NULL, toFloat64(sum(q.ask_price - q.bid_price)) / matched)
FROM (SELECT symbol, event_time FROM trades WHERE {IN_RANGE}) AS t
ASOF LEFT JOIN ({QUOTES_AT.replace('$SYM', '')}) AS q
  ON t.symbol = q.symbol AND t.event_time >= q.event_time
GROUP BY t.symbol ORDER BY t.symbol SETTINGS join_use_nulls = 1""",
}

# Columns that are floats in the canonical rows (JSON prints an integral float like an int).
FLOAT_COLUMNS = {"bars_1h_1m": (8,), "bars_24h_all": (8,), "vwap_1s": (1,), "asof_all": (3,)}

CHDB_NOTES = {
    "bars_1h_1m": "argMin/argMax(price, trade_id); exact Decimal sums; vwap = toFloat64 of the "
    "Decimal256 sum(price*quantity) / toFloat64(sum(quantity))",
    "asof_join": "ASOF LEFT JOIN on quotes reduced to one row per (symbol, event_time), the highest "
    "update_id (ASOF picks an arbitrary row among equal times); the LIMIT is pushed into the trades",
    "asof_all": "ASOF LEFT JOIN on quotes reduced to one row per (symbol, event_time), the highest update_id",
}


class ChdbPeer:
    """ClickHouse in-process: MergeTree tables in a persistent session database under workDir."""

    def __init__(self, req):
        import chdb
        from chdb import session

        os.makedirs(req["workDir"], exist_ok=True)
        self.version = chdb.__version__
        self.sess = session.Session(os.path.join(req["workDir"], "chdb"))
        self.sql("SET output_format_json_quote_64bit_integers = 0")
        self.notes = [f"ClickHouse engine {self.rows('SELECT version()')[0][0]}"]

    def sql(self, text, params=None):
        return self.sess.query(text, "JSONCompact", params=params or {})

    def rows(self, text, params=None):
        body = self.sql(text, params).bytes()
        return json.loads(body)["data"] if body else []

    def load(self, req):
        for table, ddl in (("trades", TRADES_DDL), ("quotes", QUOTES_DDL)):
            self.sql(f"DROP TABLE IF EXISTS {table}")
            self.sql(ddl)
            for path in req[table]:
                literal = path.replace("\\", "\\\\").replace("'", "\\'")
                cols = TABLE_COLUMNS[table]
                self.sql(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM file('{literal}', Parquet)")
            self.sql(f"OPTIMIZE TABLE {table} FINAL")
        self.notes.append("load: INSERT ... SELECT FROM file(Parquet) per file, then OPTIMIZE TABLE FINAL")

    def stats(self):
        parts = self.rows(
            "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE active AND "
            "database = currentDatabase() AND table IN ('trades', 'quotes') GROUP BY table"
        )
        size = {t: int(b) for t, b in parts}
        count = {t: self.rows(f"SELECT count() FROM {t}")[0][0] for t in ("trades", "quotes")}
        return {t: size.get(t, 0) for t in ("trades", "quotes")}, count

    def query(self, name, params):
        rows = self.rows(CHDB_SQL[name], {k: params[k] for k in QUERY_PARAMS[name]})
        for i in FLOAT_COLUMNS.get(name, ()):
            for row in rows:
                row[i] = None if row[i] is None else float(row[i])
        return rows

    def note(self, name):
        return CHDB_NOTES.get(name)

    def close(self):
        self.sess.close()


# ---------------------------------------------------------------------------------------------
# ArcticDB: one symbol per market symbol and table on our MinIO, indexed by event_time
# ---------------------------------------------------------------------------------------------

TABLE_SPEC = {
    "trades": ("trade_id", ["price", "quantity"]),
    "quotes": ("update_id", ["bid_price", "bid_size", "ask_price", "ask_size"]),
}

ARCTIC_NOTES = {
    "recent_trades": "date_range read, then pandas nlargest(trade_id)",
    "symbol_time_filter": "date_range read, then pandas nsmallest(trade_id)",
    "bars_1h_1m": "QueryBuilder apply(price*quantity) + resample(first/max/min/last/sum/count) in "
    "ArcticDB; open/close are first/last in stored (event_time, trade_id) order; vwap divided in pandas",
    "bars_24h_all": "read_batch of the trades symbols with the same QueryBuilder resample as bars_1h_1m",
    "latest_per_symbol": "per symbol tail(1) when it falls inside the window and trade ids rise with "
    "time, else a date_range read and pandas max(trade_id)",
    "asof_join": "read_batch of trades and quotes date ranges, pandas merge_asof (backward); the "
    "LIMIT is applied to the trades before the join",
    "vwap_1s": "QueryBuilder apply(price*quantity) + resample(sum/count) in ArcticDB, vwap divided in pandas",
    "asof_all": "read_batch of every trades and quotes symbol, pandas merge_asof (backward) per symbol",
}


def _f8(values):
    return [f"{x:.8f}" for x in values]


def _micros(index):
    return (index.asi8 // 1000).tolist()


def _arrow_to_frames(path, id_col, value_cols):
    """One Parquet file as {market symbol: DataFrame}, decimals as float64, times as naive UTC ns."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tbl = pq.read_table(path, columns=["symbol", id_col, "event_time", *value_cols])
    tbl = tbl.set_column(2, "event_time", pc.cast(tbl["event_time"], pa.timestamp("ns")))
    for i, col in enumerate(value_cols, start=3):
        tbl = tbl.set_column(i, col, pc.cast(tbl[col], pa.float64()))
    df = tbl.to_pandas()
    return {sym: g.drop(columns="symbol") for sym, g in df.groupby("symbol", sort=False)}


class ArcticPeer:
    """ArcticDB's S3 backend on our MinIO, library `peers` under the caller's prefix."""

    def __init__(self, req):
        import arcticdb

        self.adb = arcticdb
        self.version = arcticdb.__version__
        s3 = req["s3"]
        self.s3 = s3
        url = (
            f"s3://{s3['host']}:{s3['bucket']}?port={s3['port']}&path_prefix={s3['prefix']}"
            f"&access={os.environ['K2_S3_ACCESS_KEY']}&secret={os.environ['K2_S3_SECRET_KEY']}"
        )
        self.ac = arcticdb.Arctic(url)
        if "peers" in self.ac.list_libraries():
            self.ac.delete_library("peers")
        self.lib = None
        self.symbols = {"trades": [], "quotes": []}
        self.rising_ids = {}
        self.counts = {"trades": 0, "quotes": 0}
        self.notes = ["prices and sizes stored as float64 (ArcticDB has no decimal type), printed with %.8f"]

    def load(self, req):
        self.lib = self.ac.get_library("peers", create_if_missing=True)
        for table in ("trades", "quotes"):
            self._load_table(table, req[table])
        self.notes.append(
            "load: pyarrow reads each Parquet file (decimals cast to float64), pandas splits by symbol "
            "and sorts by (event_time, id), one lib.write per market symbol and table"
        )

    def _load_table(self, table, paths):
        import pandas as pd

        id_col, value_cols = TABLE_SPEC[table]
        parts = defaultdict(list)
        for path in paths:
            for sym, frame in _arrow_to_frames(path, id_col, value_cols).items():
                parts[sym].append(frame)
        for sym in sorted(parts):
            df = pd.concat(parts.pop(sym), ignore_index=True)
            df = df.sort_values(["event_time", id_col], kind="stable").set_index("event_time")
            if table == "trades":
                self.rising_ids[sym] = bool(df["trade_id"].is_monotonic_increasing)
            self.lib.write(f"{table}/{sym}", df)
            self.symbols[table].append(sym)
            self.counts[table] += len(df)

    def stats(self):
        sizes = {}
        tools = self.lib.admin_tools()
        for table, syms in self.symbols.items():
            per_symbol = (tools.get_sizes_for_symbol(f"{table}/{s}") for s in syms)
            sizes[table] = sum(v.bytes_compressed for d in per_symbol for v in d.values())
        self.notes.append(
            "bytesOnDisk: ArcticDB's own per-symbol storage stats (AdminTools.get_sizes_for_symbol, "
            "compressed bytes of all keys); boto3 is not in the venv"
        )
        total = self._objects_under_prefix()
        if total is not None:
            self.notes.append(f"all objects under the prefix (pyarrow S3 listing, incl. library config): {total} bytes")
        if not all(self.rising_ids.values()):
            bad = sorted(s for s, ok in self.rising_ids.items() if not ok)
            self.notes.append(f"trade ids do not rise with time for {bad}: bar open/close follow time order there")
        return sizes, dict(self.counts)

    def _objects_under_prefix(self):
        try:
            from pyarrow import fs

            s3 = fs.S3FileSystem(
                access_key=os.environ["K2_S3_ACCESS_KEY"], secret_key=os.environ["K2_S3_SECRET_KEY"],
                endpoint_override=f"{self.s3['host']}:{self.s3['port']}", scheme="http", region="us-east-1",
            )
            infos = s3.get_file_info(fs.FileSelector(f"{self.s3['bucket']}/{self.s3['prefix']}", recursive=True))
            return sum(i.size for i in infos if i.type == fs.FileType.File)
        except Exception as e:  # a cross-check only
            print(f"peers_bench: S3 listing failed: {e}", file=sys.stderr)
            return None

    def close(self):
        self.ac.delete_library("peers")

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _range(from_us, to_us):
        import pandas as pd

        return (pd.Timestamp(from_us, unit="us"), pd.Timestamp(to_us - 1, unit="us"))

    def _read_batch(self, requests):
        """read_batch of (symbol, date_range, columns, query_builder); DataFrames in the same order."""
        reqs = [self.adb.ReadRequest(s, date_range=r, columns=c, query_builder=q) for s, r, c, q in requests]
        out = []
        for res in self.lib.read_batch(reqs) if reqs else []:
            if isinstance(res, self.adb.DataError):
                raise RuntimeError(f"ArcticDB read of {res.symbol} failed: {res.exception_string}")
            out.append(res.data)
        return out

    def _trades(self, p, columns):
        if p["symbol"] not in self.symbols["trades"]:
            return None
        rng = self._range(p["from_us"], p["to_us"])
        return self.lib.read(f"trades/{p['symbol']}", date_range=rng, columns=columns).data

    def query(self, name, params):
        return getattr(self, "q_" + name)(params)

    def note(self, name):
        return ARCTIC_NOTES.get(name)

    # -- the 8 queries -----------------------------------------------------------------------

    def _trade_rows(self, df):
        return [list(r) for r in zip(df["trade_id"].tolist(), _micros(df.index), _f8(df["price"]), _f8(df["quantity"]))]

    def q_recent_trades(self, p):
        df = self._trades(p, ["trade_id", "price", "quantity"])
        return [] if df is None else self._trade_rows(df.nlargest(p["limit"], "trade_id"))

    def q_symbol_time_filter(self, p):
        df = self._trades(p, ["trade_id", "price", "quantity"])
        return [] if df is None else self._trade_rows(df.nsmallest(p["limit"], "trade_id"))

    def _bar_query(self, step_us, bars):
        q = self.adb.QueryBuilder()
        q = q.apply("notional", q["price"] * q["quantity"])
        aggs = {"volume": ("quantity", "sum"), "trades": ("trade_id", "count"), "notional": ("notional", "sum")}
        if bars:
            aggs.update(open=("price", "first"), high=("price", "max"), low=("price", "min"), close=("price", "last"))
        return q.resample(f"{step_us}us").agg(aggs)

    def _bar_frames(self, p, syms):
        rng = self._range(p["from_us"], p["to_us"])
        q = self._bar_query(p["step_us"], bars=True)
        return zip(syms, self._read_batch([(f"trades/{s}", rng, None, q) for s in syms]))

    @staticmethod
    def _bar_rows(sym, df):
        vwap = (df["notional"] / df["volume"]).tolist()
        cols = [_micros(df.index), _f8(df["open"]), _f8(df["high"]), _f8(df["low"]), _f8(df["close"]),
                _f8(df["volume"]), df["trades"].tolist(), vwap]
        return [[sym, *r] for r in zip(*cols)]

    def q_bars_1h_1m(self, p):
        syms = [p["symbol"]] if p["symbol"] in self.symbols["trades"] else []
        return [row for sym, df in self._bar_frames(p, syms) for row in self._bar_rows(sym, df)]

    def q_bars_24h_all(self, p):
        return [row for sym, df in self._bar_frames(p, self.symbols["trades"]) for row in self._bar_rows(sym, df)]

    def q_latest_per_symbol(self, p):
        rows = []
        for sym in self.symbols["trades"]:
            df = None
            if self.rising_ids[sym]:
                df = self.lib.tail(f"trades/{sym}", n=1, columns=["trade_id", "price", "quantity"]).data
                if len(df) and df.index[0].value // 1000 >= p["to_us"]:
                    df = None  # the window ends before the symbol's data does
            if df is None:
                df = self._trades({**p, "symbol": sym}, ["trade_id", "price", "quantity"]).nlargest(1, "trade_id")
            if len(df) and p["from_us"] <= df.index[0].value // 1000 < p["to_us"]:
                rows.append([sym, *self._trade_rows(df)[0]])
        return rows

    def _asof_frames(self, p, syms, trade_cols):
        t_rng = self._range(p["from_us"], p["to_us"])
        q_rng = self._range(p["quote_from_us"], p["to_us"])
        have_q = [s for s in syms if s in self.symbols["quotes"]]
        reqs = [(f"trades/{s}", t_rng, trade_cols, None) for s in syms]
        reqs += [(f"quotes/{s}", q_rng, ["bid_price", "ask_price"], None) for s in have_q]
        frames = self._read_batch(reqs)
        quotes = dict(zip(have_q, frames[len(syms):]))
        return [(s, t, quotes.get(s)) for s, t in zip(syms, frames[: len(syms)])]

    @staticmethod
    def _merge_asof(trades, quotes):
        import pandas as pd

        if quotes is None:
            return trades.assign(bid_price=float("nan"), ask_price=float("nan"))
        return pd.merge_asof(trades, quotes, left_index=True, right_index=True, direction="backward")

    def q_asof_join(self, p):
        if p["symbol"] not in self.symbols["trades"]:
            return []
        (_, trades, quotes), = self._asof_frames(p, [p["symbol"]], ["trade_id", "price"])
        trades = trades.nsmallest(p["limit"], "trade_id").sort_index(kind="stable")
        df = self._merge_asof(trades, quotes).sort_values("trade_id")

        def f8(x):
            return None if x != x else f"{x:.8f}"

        cols = [df["trade_id"].tolist(), _f8(df["price"]), map(f8, df["bid_price"]), map(f8, df["ask_price"])]
        return [list(r) for r in zip(*cols)]

    def q_vwap_1s(self, p):
        if p["symbol"] not in self.symbols["trades"]:
            return []
        rng = self._range(p["from_us"], p["to_us"])
        (df,) = self._read_batch([(f"trades/{p['symbol']}", rng, None, self._bar_query(p["step_us"], bars=False))])
        vwap = (df["notional"] / df["volume"]).tolist()
        return [list(r) for r in zip(_micros(df.index), vwap, _f8(df["volume"]), df["trades"].tolist())]

    def q_asof_all(self, p):
        rows = []
        for sym, trades, quotes in self._asof_frames(p, self.symbols["trades"], ["trade_id"]):
            if not len(trades):
                continue
            df = self._merge_asof(trades, quotes)
            hit = df["bid_price"].notna()
            matched = int(hit.sum())
            spread = float((df["ask_price"] - df["bid_price"])[hit].mean()) if matched else None
            rows.append([sym, len(df), matched, spread])
        return rows


# ---------------------------------------------------------------------------------------------
# Timing and output
# ---------------------------------------------------------------------------------------------


def time_query(peer, name, params, warmups, runs):
    """warmups untimed runs, then runs timed ones; the rows of the last run and the times in ms."""
    for _ in range(warmups):
        peer.query(name, params)
    ms, rows = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = peer.query(name, params)
        ms.append(round((time.perf_counter() - t0) * 1000, 3))
    return rows, ms


def run_queries(peer, req):
    out = []
    for q in req["queries"]:
        entry = {"name": q["name"]}
        try:
            entry["rows"], entry["ms"] = time_query(peer, q["name"], q["params"], req["warmups"], req["runs"])
            note = peer.note(q["name"])
        except NotExpressible as e:
            entry["rows"], entry["ms"], note = None, [], str(e)
        if note:
            entry["note"] = note
        print(f"peers_bench: {req['system']} {q['name']}: {len(entry['rows'] or [])} rows", file=sys.stderr)
        out.append(entry)
    return out


def run(req):
    peer = (ChdbPeer if req["system"] == "chdb" else ArcticPeer)(req)
    try:
        t0 = time.perf_counter()
        peer.load(req)
        load_seconds = time.perf_counter() - t0
        print(f"peers_bench: {req['system']} loaded in {load_seconds:.2f} s", file=sys.stderr)
        sizes, counts = peer.stats()
        queries = run_queries(peer, req)
    finally:
        peer.close()
    return {
        "system": req["system"],
        "version": peer.version,
        "loadSeconds": round(load_seconds, 3),
        "bytesOnDisk": sizes,
        "rows": counts,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "queries": queries,
        "notes": peer.notes,
    }


def main():
    req = read_request()
    stdout = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # native code that prints must not corrupt the one JSON object on stdout
    result = run(req)
    stdout.write(json.dumps(result) + "\n")
    stdout.flush()


if __name__ == "__main__":
    main()
