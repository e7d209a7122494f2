import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { repositoryRoot } from './load-package.js'

// typed-sessions/testing from the built package, in a project outside this repository: a store
// written there (outside-store/map-store.ts) runs the conformance and concurrency suites under
// vitest and under bun test, a broken one fails them, and every other entry point loads in a
// project without vitest (npm run test:node-dist, after the build).

const root = fileURLToPath(repositoryRoot)
const fixtures = join(root, 'test/runtimes/outside-store')
const made: string[] = []
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))))

interface Run {
  code: number
  output: string
}

/** Runs `command` in `cwd` without the calling vitest's own variables; never rejects. */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST'))
  )
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, output: `${stdout}\n${stderr}` })
    })
  })
}

/**
 * A project in the temp directory with the store and the test file `testFile`, and the package
 * installed as a link to this repository (its dependencies resolve from here, vitest included).
 */
async function projectWith(testFile: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outside-store-'))
  made.push(dir)
  await mkdir(join(dir, 'node_modules'))
  await symlink(root, join(dir, 'node_modules/typed-sessions'), 'dir')
  await writeFile(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
  const compilerOptions = { strict: true, module: 'NodeNext', noEmit: true, skipLibCheck: true }
  const tsconfig = { compilerOptions: { ...compilerOptions, lib: ['ES2022', 'DOM'], types: [] } }
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig))
  for (const file of ['map-store.ts', testFile]) await cp(join(fixtures, file), join(dir, file))
  return dir
}

/** Runs vitest in `dir`; the results of its tests by full name. */
async function vitestIn(dir: string) {
  const vitest = join(root, 'node_modules/vitest/vitest.mjs')
  const args = [vitest, 'run', '--reporter=json', '--outputFile=results.json']
  const { code, output } = await run(process.execPath, args, dir)
  const report = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as {
    testResults: { assertionResults: { fullName: string; status: string }[] }[]
  }
  const tests = report.testResults.flatMap((file) => file.assertionResults)
  const named = (status: string) => tests.filter((t) => t.status === status).map((t) => t.fullName)
  return { code, output, passed: named('passed'), failed: named('failed') }
}

/** Runs bun test in `dir`; the counts of its summary. */
async function bunTestIn(dir: string) {
  const bun = join(root, 'node_modules/.bin/bun')
  const { code, output } = await run(bun, ['test', '--timeout', '20000'], dir)
  const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, 'm').exec(output)?.[1])
  return { code, output, pass: count('pass'), fail: count('fail') }
}

describe('typed-sessions/testing from the built package, in a project outside the repository', () => {
  it("a Map store's test file type-checks against the published types", async () => {
    const dir = await projectWith('map-store.test.ts')
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const checked = await run(process.execPath, [tsc, '-p', dir], dir)
    expect(checked.output.trim(), checked.output).toBe('')
    expect(checked.code).toBe(0)
  })

  it('a Map store passes the conformance and concurrency suites under vitest', async () => {
    const result = await vitestIn(await projectWith('map-store.test.ts'))
    expect(result.failed, result.output).toEqual([])
    expect(result.code).toBe(0)
    expect(result.passed).toContain(
      'MapStore conformance of 50 concurrent saves of one version exactly one wins, with its data'
    )
    expect(result.passed).toContain(
      'MapStore concurrency 50 concurrent updates of one key all answer 200 and all count'
    )
    expect(result.passed.length).toBeGreaterThan(30)
  })

  it('a Map store whose conditional save ignores the version fails them under vitest', async () => {
    const result = await vitestIn(await projectWith('lax-map-store.test.ts'))
    expect(result.code).not.toBe(0)
    expect(result.failed).toContain(
      'LaxMapStore conformance save with a stale version returns false and changes nothing'
    )
  })

  it('the same test file runs under bun test, which answers the import of vitest itself', async () => {
    const good = await bunTestIn(await projectWith('map-store.test.ts'))
    expect(good.fail, good.output).toBe(0)
    expect(good.code, good.output).toBe(0)
    expect(good.pass).toBeGreaterThan(30)
    // Bun cannot skip a running test: a case for a method the store lacks says so, and passes.
    expect(good.output).toContain('skipped: the store has no owner index (listOwner)')
    const lax = await bunTestIn(await projectWith('lax-map-store.test.ts'))
    expect(lax.code).not.toBe(0)
    expect(lax.output).toMatch(/\(fail\) .*save with a stale version returns false/)
  })

  it('every other entry point loads in a project without vitest; testing names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'no-vitest-'))
    made.push(dir)
    const installed = join(dir, 'node_modules/typed-sessions')
    await mkdir(installed, { recursive: true })
    await cp(join(root, 'package.json'), join(installed, 'package.json'))
    await cp(join(root, 'dist'), join(installed, 'dist'), { recursive: true })
    for (const name of await readdir(join(root, 'node_modules'))) {
      if (name === 'vitest' || name === '@vitest' || name.startsWith('.')) continue
      await symlink(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir')
    }
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>
    }
    const entries = Object.keys(pkg.exports)
      .filter((path) => path !== './package.json')
      .map((path) => `typed-sessions${path.slice(1)}`)
    const script = `for (const entry of ${JSON.stringify(entries)}) {
      try { await import(entry); console.log(entry, 'ok') }
      catch (error) { console.log(entry, error.code, error.message) }
    }`
    const loaded = await run(process.execPath, ['--input-type=module', '-e', script], dir)
    const lines = loaded.output.trim().split('\n')
    expect(lines.filter((line) => !line.endsWith(' ok'))).toEqual([
      expect.stringMatching(
        /^typed-sessions\/testing ERR_MODULE_NOT_FOUND Cannot find package 'vitest'/
      ),
    ])
    expect(lines).toHaveLength(entries.length)
  })
})
