import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { staleReason } from '../../scripts/ensure-build.js'

describe('ensure-build', () => {
  let root: string
  const at = (path: string, seconds: number) => utimes(join(root, path), seconds, seconds)

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ensure-build-'))
    await mkdir(join(root, 'src', 'core'), { recursive: true })
    await writeFile(join(root, 'src', 'core', 'session.ts'), '')
    await writeFile(join(root, 'package.json'), '{}')
    for (const path of ['src/core/session.ts', 'src/core', 'src', 'package.json'])
      await at(path, 1000)
  })
  afterEach(() => rm(root, { recursive: true, force: true }))

  it('builds a fresh clone, which has no dist/', () => {
    expect(staleReason(root)).toBe('dist/ has not been built')
  })

  it('builds again when a source file changed after the build, and not otherwise', async () => {
    await mkdir(join(root, 'dist'))
    await writeFile(join(root, 'dist', 'index.d.ts'), '')
    await at('dist/index.d.ts', 2000)
    expect(staleReason(root)).toBeUndefined()
    await at('src/core/session.ts', 3000)
    expect(staleReason(root)).toBe('src changed since the last build')
  })
})
