import { BIGINT, HUGEINT, listValue, timestampTZValue, type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue } from '@duckdb/node-api'
import { ErrorCode, WorkbenchError } from '../errors/index'
import { microsOf } from '../market/timestamp'
import type { QueryParam } from './engine-types'

/**
 * Binds named parameters to a prepared statement, those it uses only: Dates as TIMESTAMPTZ (µs; a
 * Timestamp keeps its own µs),
 * bigints as BIGINT (HUGEINT beyond 64 bits), string lists as VARCHAR[], the rest as DuckDB
 * infers. Throws QUERY_INVALID for an invalid Date.
 */
export function bindParameters(prepared: DuckDBPreparedStatement, params: Readonly<Record<string, QueryParam | undefined>>): void {
  const values: Record<string, DuckDBValue> = {}
  const types: Record<string, DuckDBType> = {}
  for (let i = 1; i <= prepared.parameterCount; i++) {
    const name = prepared.parameterName(i)
    if (!(name in params)) continue
    const v = params[name]
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new WorkbenchError(ErrorCode.QueryInvalid, `parameter $${name} is an invalid Date`)
      values[name] = timestampTZValue(microsOf(v)) // to the µs for a Timestamp
    } else if (Array.isArray(v)) {
      values[name] = listValue(v.map(String))
    } else if (typeof v === 'bigint') {
      // 64-bit ids and µs stay BIGINT (DuckDB would otherwise bind a bigint as HUGEINT).
      values[name] = v
      types[name] = v >= -(2n ** 63n) && v < 2n ** 63n ? BIGINT : HUGEINT
    } else values[name] = (v ?? null) as DuckDBValue
  }
  prepared.bind(values, types)
}
