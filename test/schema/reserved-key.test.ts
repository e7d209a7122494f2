import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  MemoryStore,
  Session,
  TypedSession,
  defineSession,
  migrateStore,
  recordKeyOf,
  versioned,
} from 'typed-sessions'
import { recordUpgrader } from '../../src/schema/upgrade.js'
import { codeAndMessage } from '../helpers/errors.js'

// The reserved data key `$session` (DESIGN-16): where the device details of sessions per user
// live. No schema may declare it, the typed session never shows it, and migrations keep it.

const details = { loginAt: 1, lastSeenAt: 2, userAgent: 'Firefox 133 on macOS' }

/** Version 1 `{ count }`, version 2 `{ counter }` as a strict object (it refuses unknown keys). */
const chain = defineSession(
  versioned(z.object({ count: z.number() })).migrate(
    z.strictObject({ counter: z.number() }),
    (v1) => ({
      counter: v1.count,
    })
  )
)

/** A store holding one version-1 session with device details; its id. */
async function olderSession(store: MemoryStore) {
  const writer = new Session({ store, schemaVersion: 1 })
  await writer.set('count', 7)
  await writer.set('$session', details)
  await writer.save()
  return writer.id!
}

describe('the reserved data key $session', () => {
  it('defineSession refuses a schema that declares it, in any version', () => {
    expect(codeAndMessage(() => defineSession(z.object({ $session: z.string() })))).toMatch(
      /^CONFIG: Session key "\$session" is reserved/
    )
    const older = versioned(z.object({ $session: z.string() })).migrate(
      z.object({ n: z.number() }),
      () => ({ n: 1 })
    )
    expect(codeAndMessage(() => defineSession(older))).toMatch(/^CONFIG: .*reserved/)
  })

  it('the typed session shows only the schema keys, whatever the engine holds', async () => {
    const store = new MemoryStore()
    const definition = defineSession(z.object({ counter: z.number().default(0) }))
    const engine = new Session({ store })
    await engine.set('$session', details)
    await engine.set('counter', 1)
    const typed = new TypedSession(definition, engine)
    expect(await typed.keys()).toEqual(['counter'])
    expect(await typed.toObject()).toEqual({ counter: 1 })
  })

  it('a lazy upgrade on load keeps it, also under a strict schema', async () => {
    const store = new MemoryStore()
    const id = await olderSession(store)
    const session = new Session({ store, schemaVersion: 2, upgrade: recordUpgrader(chain) }, id)
    expect(await session.get('counter')).toBe(7)
    expect(await session.get('$session')).toEqual(details)
    await session.save()
    expect((await store.load(recordKeyOf(id)))?.data).toEqual({ counter: 7, $session: details })
  })

  it('migrateStore keeps it', async () => {
    const store = new MemoryStore()
    const id = await olderSession(store)
    expect(await migrateStore(chain, store)).toMatchObject({ migrated: 1, invalid: 0 })
    expect(await store.load(recordKeyOf(id))).toMatchObject({
      schemaVersion: 2,
      data: { counter: 7, $session: details },
    })
  })
})
