import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { MemoryStore, defineSession, type TypedSession } from 'typed-sessions'
import { createAuth, type SessionInfo } from 'typed-sessions/auth'

const appSession = defineSession(
  z.object({ user: z.object({ id: z.number() }).optional(), counter: z.number().default(0) })
)
type AppSchema = typeof appSession.schema
interface Account {
  id: number
  name: string
}
declare const session: TypedSession<AppSchema>
declare const account: Account
const store = new MemoryStore()

const withFields = createAuth({
  definition: appSession,
  userKey: 'user',
  idOf: (user: Account) => user.id,
  loadUser: (): Account | undefined => undefined,
  sessionsPerUser: {
    limit: 3,
    whenFull: 'refuse',
    fields: z.object({ deviceName: z.string(), trusted: z.boolean().default(false) }),
  },
})

describe('sessions per user types', () => {
  it("types the app's fields into SessionInfo, next to the fields every session has", async () => {
    const [info] = await withFields.listSessions(session)
    expectTypeOf(info!.handle).toEqualTypeOf<string>()
    expectTypeOf(info!.current).toEqualTypeOf<boolean>()
    expectTypeOf(info!.createdAt).toEqualTypeOf<Date>()
    expectTypeOf(info!.lastSeenAt).toEqualTypeOf<Date>()
    expectTypeOf(info!.userAgent).toEqualTypeOf<string | undefined>()
    expectTypeOf(info!.deviceName).toEqualTypeOf<string | undefined>()
    expectTypeOf(info!.trusted).toEqualTypeOf<boolean | undefined>()
    expectTypeOf(await withFields.sessionsOf(store, 1)).toEqualTypeOf<NonNullable<typeof info>[]>()
  })

  it('checks the fields given at login against the schema', async () => {
    await withFields.login(session, account, { fields: { deviceName: 'Laptop' } })
    // @ts-expect-error: deviceName is a string
    await withFields.login(session, account, { fields: { deviceName: 7 } })
    // @ts-expect-error: no such field
    await withFields.login(session, account, { fields: { deviceName: 'x', color: 'red' } })
  })

  it('takes the user id type for the admin calls', async () => {
    expectTypeOf(withFields.revokeUserSessions(store, 1)).resolves.toEqualTypeOf<number>()
    // @ts-expect-error: the session stores a number id
    await withFields.sessionsOf(store, 'ada')
    expectTypeOf(withFields.revokeSession(session, 'handle')).resolves.toEqualTypeOf<boolean>()
  })

  it('without fields, SessionInfo has only its own fields and login takes none', async () => {
    const plain = createAuth({
      definition: appSession,
      userKey: 'user',
      idOf: (user: Account) => user.id,
      loadUser: (): Account | undefined => undefined,
    })
    const [info] = await plain.listSessions(session)
    expectTypeOf(info).toEqualTypeOf<SessionInfo | undefined>()
    // @ts-expect-error: no fields were declared
    void info?.deviceName
    // @ts-expect-error: no fields schema to check them with
    await plain.login(session, account, { fields: { deviceName: 'x' } })
  })
})
