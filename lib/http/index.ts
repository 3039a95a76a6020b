export { requestJson, requestJsonTagged, parseJson, stringifyJson, HttpError } from './http-client'
export type { HttpRequest, TaggedAnswer } from './http-client'
