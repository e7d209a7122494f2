import { describe, expect, it, vi } from 'vitest'
import { skipReasonFor } from './services.js'

const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'))

describe('a store test whose server is down', () => {
  it('is skipped outside CI, with one line saying which server and why', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const reason = await skipReasonFor('Redis', 'redis://app:secret@127.0.0.1:1', down, {})
    expect(reason).toMatch(/Redis is not reachable at redis:\/\/app:\*\*\*@127\.0\.0\.1:1/)
    expect(reason).toMatch(/ECONNREFUSED/)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/^skipping the Redis store tests: /)
    warn.mockRestore()
  })

  it('fails in CI instead of being skipped', async () => {
    await expect(
      skipReasonFor('PostgreSQL', 'postgres://x@127.0.0.1:1/t', down, { CI: 'true' })
    ).rejects.toThrow(/PostgreSQL is not reachable.*CI needs it/)
  })

  it('runs when the server answers', async () => {
    expect(
      await skipReasonFor('MySQL', 'mysql://root@127.0.0.1/test', async () => 1, { CI: 'true' })
    ).toBeUndefined()
  })
})
