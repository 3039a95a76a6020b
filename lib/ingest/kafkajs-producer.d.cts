import type { ICustomPartitioner, Producer, ProducerBatch } from 'kafkajs'

/** kafkajs's partition grouping, in linear time (same result as kafkajs 2.2.4's). */
export declare function groupMessagesPerPartition(args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }): Record<number, unknown[]>
/** Puts `exports` in the module cache as kafkajs's `file`, so that kafkajs's own require gets it. */
export declare function replaceModule(file: string, exports: unknown): void
/** Installs the linear grouping before kafkajs loads its own; whether it is the one kafkajs uses. */
export declare function installLinearGrouping(): boolean
/** kafkajs's default partitioner with its answer cached per topic, key and partition count. */
export declare const cachedDefaultPartitioner: ICustomPartitioner
/** Sends one batch; with `transactional`, as one Kafka transaction, aborted when any part fails. */
export declare function sendBatch(producer: Producer, batch: ProducerBatch, transactional: boolean): Promise<void>
