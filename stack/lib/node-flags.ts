/**
 * V8 flags of the processes that run a query engine with a Kafka tail: the API worker, the
 * notebooks' kernel, and the benchmarks that time the engine in their own process.
 *
 * The tail holds each fetch's records (about a second of them) while it decodes them: in V8's
 * default 16 MiB young generation they outlive two scavenges and are promoted, and the old
 * generation's collections then cost more than the decoding. A 64 MiB semi-space lets them die
 * young: 6.2-7.0 µs of CPU per tail record against 8.2-10.0, for 50-90 MiB more RSS (D75). The
 * rows of a result die young with it: one symbol's hour (10,000 rows) took 13.7-14.3 ms p50
 * against 17.6-18.9 in the same process without it (D82). The ingest gained nothing from it.
 */
export const engineNodeFlags: readonly string[] = ['--max-semi-space-size=64']
