import { describe, expect, it } from 'vitest'
import { parseUnitPrices } from '../../../lib/internal'
import { isWorkbenchError } from '../../../lib/internal'
import { edited, readProjectJson, thrownBy, type JsonEdit } from '../../support/cost-inputs'

const file = readProjectJson('data/unit-prices.json')

describe('unit prices', () => {
  it('reads data/unit-prices.json: the list prices the model uses, each set with its date and source', () => {
    const p = parseUnitPrices(file, 'data/unit-prices.json')
    expect(p.objectStorage.perGbMonth).toBe(0.023)
    expect(p.requests).toMatchObject({ putPer1000: 0.005, getPer1000: 0.0004 })
    expect(p.compute.instances['m7g.large']).toEqual({ vcpu: 2, memoryGiB: 8, perHour: 0.0816 })
    expect(p.kafkaManaged).toMatchObject({ brokerType: 'kafka.m7g.large', storagePerGbMonth: 0.1 })
    for (const set of [p.compute, p.objectStorage, p.requests, p.network, p.kafkaManaged, p.kafkaSelfRun]) {
      expect(set.date).toMatch(/^\d{4}/)
      expect(set.source).toMatch(/^https:\/\/aws\.amazon\.com\//)
      // Honest about where the figure came from: not fetched live.
      expect(set.note).toMatch(/not fetched/)
    }
  })

  const malformed: Array<[string, JsonEdit, RegExp]> = [
    ['a missing price', (j) => delete j.objectStorage.perGbMonth, /unit prices: objectStorage\.perGbMonth must be a number ≥ 0, got nothing \(the key is missing\)/],
    ['a negative price', (j) => (j.requests.getPer1000 = -1), /requests\.getPer1000 must be a number ≥ 0, got -1/],
    ['a price as text', (j) => (j.network.egressInternetPerGb = '0.09'), /network\.egressInternetPerGb must be a number ≥ 0, got "0\.09"/],
    ['an instance without vCPUs', (j) => (j.compute.instances['m7g.large'].vcpu = 0), /compute\.instances\["m7g\.large"\]\.vcpu must be a number > 0, got 0/],
    ['an instance that is not an object', (j) => (j.compute.instances['c7g.large'] = 0.0725), /compute\.instances\["c7g\.large"\] must be an object, got 0\.0725/],
    ['no instances', (j) => (j.compute.instances = {}), /compute\.instances must list at least one instance type/],
    ['a price set without a date', (j) => delete j.network.date, /network\.date must be a non-empty string, got nothing/],
    ['a date that is not one', (j) => (j.kafkaManaged.date = 'last year'), /kafkaManaged\.date must be YYYY, YYYY-MM or YYYY-MM-DD, got "last year"/],
    ['a price set without a source', (j) => (j.requests.source = ''), /requests\.source must be a non-empty string, got ""/],
    ['a missing price set', (j) => delete j.kafkaSelfRun, /kafkaSelfRun must be an object, got nothing/],
    ['a self-run broker instance that is not priced', (j) => (j.kafkaSelfRun.instance = 'm9.huge'), /kafkaSelfRun\.instance must be one of compute\.instances \(m7g\.medium, .*\), got "m9\.huge"/],
  ]
  it.each(malformed)('names the bad key: %s', (_name, edit, message) => {
    const err = thrownBy(() => parseUnitPrices(edited(file, edit)))
    expect(isWorkbenchError(err, 'CONFIG_INVALID')).toBe(true)
    expect((err as Error).message).toMatch(message)
  })

  it.each([[null], [[]], ['prices'], [42]])('rejects a document that is not an object (%j)', (json) => {
    expect(() => parseUnitPrices(json, 'data/unit-prices.json')).toThrow(/data\/unit-prices\.json: the document must be an object/)
  })
})
