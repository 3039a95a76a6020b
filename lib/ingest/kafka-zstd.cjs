'use strict'
// Registers a zstd codec with kafkajs (which ships gzip only), on zstd-napi's native binding.
// Plain CommonJS so the producer worker thread can require it too. Idempotent.
const { CompressionTypes, CompressionCodecs } = require('kafkajs')
const zstd = require('zstd-napi')

const level = 3 // Kafka's default zstd level: most of the ratio, little CPU

const codec = () => ({
  async compress(encoder) {
    return zstd.compress(encoder.buffer, { compressionLevel: level })
  },
  async decompress(buffer) {
    return zstd.decompress(buffer)
  },
})

function register() {
  CompressionCodecs[CompressionTypes.ZSTD] = codec
}

register()
module.exports = { register }
