import type { RecordSerde } from '../avro/serde-registry'
import type { Schema } from '../iceberg/spec-types'
import { quotesTable, tradesTable, type TableDesign } from '../iceberg/table-design'
import type { SnapshotOffsets } from '../sink/snapshot-offsets'
import type { TailFold, TailStream } from './tail-topic'
import type { LatestSpec } from './latest-index'
import { compileColumnDecoder, quoteTailMapping, tradeTailMapping } from './tail-decoder'

/**
 * The tail stream of a market topic as the query engine reads it: the reference path through
 * the serde and the table design, and a compiled column decoder per writer schema id from the
 * registry. The hot topic and the load shedder's deferred topic of a table read the same way.
 */
export function marketTailStream(
  kind: 'trades' | 'quotes',
  options: { readonly topic: string; readonly schema: Schema; readonly start: SnapshotOffsets; readonly serde: RecordSerde; readonly folds?: readonly TailFold[]; readonly latest?: LatestSpec },
): TailStream<unknown> {
  const { serde } = options
  const design = (kind === 'trades' ? tradesTable : quotesTable) as unknown as TableDesign<unknown>
  const mapping = kind === 'trades' ? tradeTailMapping : quoteTailMapping
  return {
    topic: options.topic,
    schema: options.schema,
    start: options.start,
    decode: kind === 'trades' ? (v) => serde.deserializeTrade(v) : (v) => serde.deserializeQuote(v),
    row: (r) => design.row(r),
    ...(options.folds && options.folds.length > 0 ? { folds: options.folds } : {}),
    ...(options.latest ? { latest: options.latest } : {}),
    columnDecoder: async (schemaId, columns, dictionaries) => compileColumnDecoder(await serde.writerSchema(schemaId), mapping, columns, dictionaries),
  }
}
