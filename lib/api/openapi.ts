import type { ApiRoute } from './api-requests'
import type { ParamSpec } from './api-requests'

/** The OpenAPI 3.1 document of the API, built from the same route table the server runs. */
export function openApiDocument(routes: readonly ApiRoute[]): Record<string, unknown> {
  const schemaOf = (p: ParamSpec): Record<string, unknown> => {
    switch (p.type) {
      case 'integer':
        return { type: 'integer', minimum: 1 }
      case 'time':
        return { type: 'string', description: 'ISO 8601 date-time with a zone (Z or ±hh:mm), to the µs, or ms since the epoch' }
      case 'enum':
        return { type: 'string', enum: p.values }
      case 'symbols':
        return { type: 'string', pattern: '^[A-Za-z0-9]{1,20}(,[A-Za-z0-9]{1,20})*$' }
      default:
        return { type: 'string' }
    }
  }
  const error = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } }, required: ['code', 'message'] } } }
  const paths: Record<string, unknown> = {}
  for (const r of routes) {
    paths[r.path] = {
      get: {
        summary: r.summary,
        description: r.description,
        parameters: r.params.map((p) => ({ name: p.name, in: 'query', required: p.required ?? false, description: p.description, schema: schemaOf(p) })),
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema:
                  r.path === '/health'
                    ? { type: 'object', properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, checks: { type: 'array', items: { type: 'object', properties: r.item } } } }
                    : { type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: r.item } }, meta: { type: 'object', description: 'rows, truncated, and for hybrid reads the boundary: snapshot id, Kafka offsets [from, to) per partition, records from each side' } } },
              },
            },
          },
          '400': { description: 'A parameter is missing, unknown, malformed or beyond a limit', content: { 'application/json': { schema: error } } },
          ...(r.path === '/health' ? { '503': { description: 'A dependency is down' } } : { '503': { description: 'Too many requests in flight or a dependency down: retry', content: { 'application/json': { schema: error } } }, '504': { description: 'The query ran past the timeout', content: { 'application/json': { schema: error } } } }),
        },
      },
    }
  }
  paths['/metrics'] = { get: { summary: 'Prometheus metrics of the API and its engine', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': {} } } } } }
  return {
    openapi: '3.1.0',
    info: { title: 'K2 workbench market data API', version: '1.0.0', description: 'Trades, quotes and bars from the Iceberg lake joined with the Kafka tail not yet committed. Decimals are exact strings; snapshot ids are strings; other integers are JSON numbers (strings beyond 2^53).' },
    paths,
  }
}
