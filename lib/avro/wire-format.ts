import { ErrorCode, WorkbenchError } from '../errors/index'

/** A Kafka message value split into the registry id of its writer schema and its Avro body. */
export interface FramedRecord {
  readonly schemaId: number
  readonly body: Buffer
}

/** Bytes before the Avro body: the magic byte and the 4-byte schema id. */
export const wireHeaderBytes = 5

const magicByte = 0

/**
 * Confluent wire format, which every Confluent-compatible serializer reads and writes:
 *
 * | bytes | content                                              |
 * |-------|------------------------------------------------------|
 * | 0     | magic byte, always 0                                 |
 * | 1–4   | schema id from the registry, big-endian int32         |
 * | 5–    | Avro binary body, written with that schema (no header) |
 *
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
export function frame(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fff_ffff) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `schema id ${schemaId} does not fit the wire format's 4-byte id: expected an integer in 0..2147483647, as the registry assigns`)
  }
  const message = Buffer.allocUnsafe(wireHeaderBytes + body.length)
  message.writeUInt8(magicByte, 0)
  message.writeInt32BE(schemaId, 1)
  message.set(body, wireHeaderBytes)
  return message
}

/**
 * The inverse of `frame`. A message too short for the header, or with another magic byte, was not
 * written by a Confluent-compatible serializer: RECORD_INVALID, for the dead-letter topic. The
 * body is a view into `message`, not a copy.
 */
export function unframe(message: Uint8Array): FramedRecord {
  const buf = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.length)
  if (buf.length < wireHeaderBytes) {
    throw new WorkbenchError(
      ErrorCode.RecordInvalid,
      `message of ${buf.length} bytes is too short for the Confluent wire format: expected at least ${wireHeaderBytes} (magic byte 0 and a 4-byte schema id) before the Avro body`,
    )
  }
  const first = buf.readUInt8(0)
  if (first !== magicByte) {
    const hint = first === 0x7b ? ' (0x7b is "{": this looks like JSON, not a registry-framed Avro record)' : ''
    throw new WorkbenchError(
      ErrorCode.RecordInvalid,
      `message starts with byte 0x${first.toString(16).padStart(2, '0')}, expected the Confluent magic byte 0x00${hint}: it was not written by a Confluent-compatible Avro serializer`,
    )
  }
  const schemaId = buf.readInt32BE(1)
  if (schemaId < 0) {
    throw new WorkbenchError(ErrorCode.RecordInvalid, `message carries schema id ${schemaId}; registry ids are never negative, so the header is corrupt`)
  }
  return { schemaId, body: buf.subarray(wireHeaderBytes) }
}
