import { ErrorCode, WorkbenchError } from '../errors/index'
import { numberAt, objectAt, stringAt, type JsonDocument } from './json-fields'

/**
 * Unit prices for the cost model: what one instance-hour, GB-month, request or GB moved costs.
 * Every price set carries the date it was known on and its source, because a cost figure is
 * only as good as the prices under it. The data lives in `data/unit-prices.json`; reading the
 * file is the caller's job, `parseUnitPrices` validates what it read.
 */

/** When and where a set of prices was taken from. */
export interface PriceSource {
  /** When the prices were known: `2025`, `2025-06` or `2025-06-30`. */
  readonly date: string
  /** The pricing page (its URL). */
  readonly source: string
  /** What the prices are and how they were obtained (list price, region, fetched or not). */
  readonly note: string
}

/** One instance type: its size and its on-demand price. */
export interface InstancePrice {
  readonly vcpu: number
  readonly memoryGiB: number
  /** $ per instance-hour. */
  readonly perHour: number
}

export interface ComputePrices extends PriceSource {
  /** By instance type name (`m7g.large`). */
  readonly instances: Readonly<Record<string, InstancePrice>>
}

export interface ObjectStoragePrices extends PriceSource {
  /** $ per GB-month (GB = 2^30 bytes, as AWS bills). */
  readonly perGbMonth: number
}

export interface RequestPrices extends PriceSource {
  /** $ per 1,000 PUT (also COPY, POST, LIST). */
  readonly putPer1000: number
  /** $ per 1,000 GET. */
  readonly getPer1000: number
}

export interface NetworkPrices extends PriceSource {
  /** $ per GB out to the internet. */
  readonly egressInternetPerGb: number
  /** $ per GB between availability zones, charged in each direction (so twice per GB crossing). */
  readonly interAzPerGbEachWay: number
}

/** A managed Kafka service priced per broker-hour plus storage (Amazon MSK provisioned). */
export interface KafkaManagedPrices extends PriceSource {
  readonly brokerType: string
  readonly perBrokerHour: number
  readonly storagePerGbMonth: number
}

/** Kafka run on our own instances: the broker's instance type (priced in compute) and its volumes. */
export interface KafkaSelfRunPrices extends PriceSource {
  /** A key of `compute.instances`. */
  readonly instance: string
  readonly volumePerGbMonth: number
}

export interface UnitPrices {
  readonly currency: string
  readonly region: string
  /** One paragraph: what kind of prices these are (list, on-demand) and how they were obtained. */
  readonly basis: string
  readonly compute: ComputePrices
  readonly objectStorage: ObjectStoragePrices
  readonly requests: RequestPrices
  readonly network: NetworkPrices
  readonly kafkaManaged: KafkaManagedPrices
  readonly kafkaSelfRun: KafkaSelfRunPrices
}

const datePattern = /^\d{4}(-\d{2}(-\d{2})?)?$/

function priceSource(doc: JsonDocument, key: string): PriceSource {
  objectAt(doc, key)
  const date = stringAt(doc, `${key}.date`)
  if (!datePattern.test(date)) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${doc.what}: ${key}.date must be YYYY, YYYY-MM or YYYY-MM-DD, got ${JSON.stringify(date)}`)
  return { date, source: stringAt(doc, `${key}.source`), note: stringAt(doc, `${key}.note`) }
}

/**
 * Validates parsed `data/unit-prices.json` (pure: the caller reads the file). Every price must be
 * a number ≥ 0 and every price set must have a date, a source and a note; the self-run Kafka
 * instance must be one of the compute instances. Throws CONFIG_INVALID naming the bad key.
 */
export function parseUnitPrices(json: unknown, what = 'unit prices'): UnitPrices {
  const doc: JsonDocument = { value: json, what }
  objectAt(doc, '')
  const instancesJson = objectAt(doc, 'compute.instances')
  const instances: Record<string, InstancePrice> = {}
  for (const name of Object.keys(instancesJson)) {
    const key = ['compute', 'instances', name]
    objectAt(doc, key)
    instances[name] = { vcpu: numberAt(doc, [...key, 'vcpu'], { positive: true }), memoryGiB: numberAt(doc, [...key, 'memoryGiB'], { positive: true }), perHour: numberAt(doc, [...key, 'perHour']) }
  }
  if (Object.keys(instances).length === 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${what}: compute.instances must list at least one instance type, got none`)
  const prices: UnitPrices = {
    currency: stringAt(doc, 'currency'),
    region: stringAt(doc, 'region'),
    basis: stringAt(doc, 'basis'),
    compute: { ...priceSource(doc, 'compute'), instances },
    objectStorage: { ...priceSource(doc, 'objectStorage'), perGbMonth: numberAt(doc, 'objectStorage.perGbMonth') },
    requests: { ...priceSource(doc, 'requests'), putPer1000: numberAt(doc, 'requests.putPer1000'), getPer1000: numberAt(doc, 'requests.getPer1000') },
    network: { ...priceSource(doc, 'network'), egressInternetPerGb: numberAt(doc, 'network.egressInternetPerGb'), interAzPerGbEachWay: numberAt(doc, 'network.interAzPerGbEachWay') },
    kafkaManaged: { ...priceSource(doc, 'kafkaManaged'), brokerType: stringAt(doc, 'kafkaManaged.brokerType'), perBrokerHour: numberAt(doc, 'kafkaManaged.perBrokerHour'), storagePerGbMonth: numberAt(doc, 'kafkaManaged.storagePerGbMonth') },
    kafkaSelfRun: { ...priceSource(doc, 'kafkaSelfRun'), instance: stringAt(doc, 'kafkaSelfRun.instance'), volumePerGbMonth: numberAt(doc, 'kafkaSelfRun.volumePerGbMonth') },
  }
  if (!Object.prototype.hasOwnProperty.call(instances, prices.kafkaSelfRun.instance)) {
    throw new WorkbenchError(ErrorCode.ConfigInvalid, `${what}: kafkaSelfRun.instance must be one of compute.instances (${Object.keys(instances).join(', ')}), got ${JSON.stringify(prices.kafkaSelfRun.instance)}`)
  }
  return prices
}
