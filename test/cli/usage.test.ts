import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { runCapturing } from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'typed-sessions-cli-usage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the command line', () => {
  it('prints the usage for --help (exit 0) and without a command (exit 2)', async () => {
    expect(await runCapturing(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Usage:/),
    })
    expect((await runCapturing([])).code).toBe(2)
  })

  it('exits 2 with the usage for an unknown command, option or a missing argument', async () => {
    for (const argv of [
      ['frobnicate'],
      ['stats', '--verbose'],
      ['inspect'],
      ['stats', 'extra'],
      ['migrate', '--batch-size', '0'],
    ]) {
      const run = await runCapturing(argv)
      expect(run.code, argv.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/Usage: typed-sessions/)
    }
  })

  it('reads a session id that starts with "-" as the id, not as an option', async () => {
    const run = await runCapturing(['inspect', '-AAAAAAAAAAAAAAAAAAAAA', '--config', 'missing.mjs'])
    // Past the command line: the config is what is missing, not a usage mistake.
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/missing\.mjs could not be loaded/)
  })

  it('says how to give a config when there is none', async () => {
    const lines: string[] = []
    const code = await runCli(
      ['stats'],
      { out: () => {}, err: (t) => void lines.push(t), interactive: false },
      dir
    )
    expect(code).toBe(1)
    expect(lines.join('')).toMatch(
      /^CONFIG: No config module: pass --config <file>, or create sessions\.config\.ts in /
    )
  })

  it('finds sessions.config.mjs in the current directory, and checks what it exports', async () => {
    writeFileSync(join(dir, 'sessions.config.mjs'), 'export const store = {}\n')
    const lines: string[] = []
    const code = await runCli(
      ['stats'],
      { out: () => {}, err: (t) => void lines.push(t), interactive: false },
      dir
    )
    expect(code).toBe(1)
    expect(lines.join('')).toMatch(
      /sessions\.config\.mjs exports no `definition` from defineSession\(\)/
    )
  })

  it('reports a config module that fails to load, with its error', async () => {
    const path = join(dir, 'broken.config.mjs')
    writeFileSync(path, 'throw new Error("no DATABASE_URL")\n')
    const run = await runCapturing(['stats', '--config', path])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/could not be loaded: no DATABASE_URL/)
  })
})
