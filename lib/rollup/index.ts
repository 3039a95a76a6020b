export { minuteBarsTable, partialBarColumns, partialBarsSql, mergedBarsSql, finishBarsSql, rollupAnswers, minuteMicros } from './minute-bars'
export type { PartialBarRow } from './minute-bars'
