export { requestJson, parseJson, stringifyJson, HttpError } from './http-client'
export type { HttpRequest } from './http-client'
