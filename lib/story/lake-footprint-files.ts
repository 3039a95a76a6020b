/**
 * What a trade costs on disk, compared: a Binance JSON frame (from the committed sample capture)
 * against the lake's Parquet (the current snapshot's summary). IO adapter: reads the capture file.
 */
import * as fs from 'node:fs'
import type { QueryEngine } from '../query/index'
import { jsonBytesPerTrade, parquetBytesPerTrade } from './lake-snapshots'

/** Bytes per trade as JSON (the capture at `captureFile`) and as Parquet in the trades table now. */
export async function bytesPerTrade(engine: Pick<QueryEngine, 'snapshots'>, captureFile: string): Promise<{ readonly json: number; readonly parquet: number }> {
  return { json: jsonBytesPerTrade(fs.readFileSync(captureFile, 'utf8')), parquet: parquetBytesPerTrade(await engine.snapshots('trades')) }
}
