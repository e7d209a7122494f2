import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// Runs the example as a user would and reads what it printed.
describe('the OpenTelemetry example', () => {
  it('prints the span of each store call and save attempt, then the metrics (`npm run example:otel`)', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'example:otel'], {
      env: { ...process.env, NODE_ENV: 'development' },
    })
    const spans = [...stdout.matchAll(/^ {2}name: '([^']+)',$/gm)].map((match) => match[1])
    expect(spans).toEqual([
      // A new visitor, the same visitor again, the logout (the flushed marker is a save).
      ...['create', 'session save'],
      ...['load', 'save', 'session save'],
      ...['load', 'save', 'delete'],
    ])
    expect(stdout).toContain("'db.system.name': 'memory'")
    expect(stdout).toContain("'typed_sessions.store.compare_and_set': true")
    const metrics = [...stdout.matchAll(/^ {4}name: '([^']+)',$/gm)].map((match) => match[1])
    expect(metrics).toEqual([
      'typed_sessions.session.created',
      'typed_sessions.session.ended',
      'typed_sessions.save.duration',
      'typed_sessions.record.size',
      'db.client.operation.duration',
    ])
  })
})
