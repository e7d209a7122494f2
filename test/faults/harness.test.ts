import { describe, expect, it } from 'vitest'
import { MemoryStore } from 'typed-sessions'
import type { SessionRecord } from 'typed-sessions'
import { faultApp } from '../helpers/fault-app.js'
import { expectToSurviveFaults } from '../helpers/fault-scenario.js'

// The fault tests are only as good as their checks: here each check meets a store that breaks
// it on purpose (in memory, no server), and must fail, while an honest outage must pass.

/** A MemoryStore that misbehaves on every `every`-th save while `active`. */
class FaultyStore extends MemoryStore {
  active = false
  injected = 0
  #saves = 0

  constructor(
    private readonly every: number,
    private readonly fault: 'lost-reply' | 'double-count' | 'forget'
  ) {
    super()
  }

  override async save(record: SessionRecord, expectedVersion?: number): Promise<boolean> {
    if (!this.active || ++this.#saves % this.every !== 0) return super.save(record, expectedVersion)
    this.injected++
    if (this.fault === 'forget') {
      await this.delete(record.key)
      return true
    }
    const counter = Number(record.data['counter'])
    const data = this.fault === 'double-count' ? { counter: counter + 1 } : record.data
    const saved = await super.save({ ...record, data }, expectedVersion)
    if (this.fault === 'lost-reply' && saved) throw new Error('connection reset after commit')
    return saved
  }
}

/** Runs the fault scenario on `store`, with its faults on for the load. */
function scenario(store: FaultyStore) {
  const { app, errors } = faultApp(store, { storeTimeout: 500 })
  return expectToSurviveFaults({
    store,
    request: (path, init) => Promise.resolve(app.request(path, init)),
    errors,
    visitors: 10,
    inject: async () => {
      store.active = true
      await new Promise((resolve) => setTimeout(resolve, 300))
      store.active = false
      return store.injected
    },
    loadMs: 400,
    deadlineMs: 1_000,
    recoveryMs: 1_000,
  })
}

describe('the fault harness', () => {
  it('accepts saves that committed but were reported failed: the store counts more than the 200s', async () => {
    const { load } = await scenario(new FaultyStore(7, 'lost-reply'))
    expect(load.failures).toBeGreaterThan(0)
  })

  it('fails a store that counts a request twice', async () => {
    await expect(scenario(new FaultyStore(7, 'double-count'))).rejects.toThrow(/counter \d+ after/)
  })

  it('fails a store that loses sessions', async () => {
    await expect(scenario(new FaultyStore(7, 'forget'))).rejects.toThrow(/Set-Cookie|gone/)
  })
})
