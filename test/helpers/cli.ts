import { runCli } from '../../src/cli/run.js'
import type { SessionRecord, SessionStore } from 'typed-sessions'
import { generateSessionId, recordKeyOf } from 'typed-sessions'

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in process on `argv`, capturing its output (stderr as a log, not a terminal). */
export async function runCapturing(argv: string[], interactive = false): Promise<CliRun> {
  const lines: string[] = []
  let stderr = ''
  const code = await runCli(argv, {
    out: (line) => void lines.push(line),
    err: (text) => void (stderr += text),
    interactive,
  })
  return { code, stdout: lines.join('\n'), stderr }
}

/**
 * Seeds `store` with the migration fixture's sessions: `older` written by the first release
 * (version 1, `{ count: i }`), `current` ones at version 3. Returns the ids of the old ones.
 */
export async function seedSessions(store: SessionStore, older: number, current: number) {
  const ids: string[] = []
  const now = Date.now()
  const record = (data: SessionRecord['data'], schemaVersion: number): SessionRecord => {
    const id = generateSessionId()
    ids.push(id)
    return {
      key: recordKeyOf(id),
      data,
      createdAt: now,
      expiresAt: now + 3_600_000,
      version: 0,
      schemaVersion,
    }
  }
  for (let i = 0; i < older; i++) await store.create(record({ count: i + 1 }, 1))
  for (let i = 0; i < current; i++) await store.create(record({ counter: 1, role: 'guest' }, 3))
  return ids
}
