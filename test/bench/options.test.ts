import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readOptions } from '../../bench/options.js'

describe('npm run bench -- --previous', () => {
  let root: string

  /** A folder that looks like a built checkout (or lacks `missing`). */
  async function checkout(name: string, missing?: string): Promise<string> {
    const tree = join(root, name)
    for (const file of ['bench/server.ts', 'dist/index.js']) {
      if (file === missing) continue
      await mkdir(join(tree, file, '..'), { recursive: true })
      await writeFile(join(tree, file), '')
    }
    return tree
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bench-options-'))
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('takes one checkout, or a comma-separated list, as absolute paths in order', async () => {
    const a = await checkout('a')
    const b = await checkout('b')
    expect(readOptions(['--previous', a], {}).previous).toEqual([a])
    expect(readOptions(['--previous', `${b}, ${a}`], {}).previous).toEqual([b, a])
    expect(readOptions([], {}).previous).toBeUndefined()
  })

  it('refuses at once a checkout without a build or a bench server, naming what is missing', async () => {
    const unbuilt = await checkout('unbuilt', 'dist/index.js')
    const old = await checkout('old', 'bench/server.ts')
    expect(() => readOptions(['--previous', unbuilt], {})).toThrow(
      /--previous .*unbuilt: dist\/index\.js is missing there; .*npm ci && npm run build/
    )
    expect(() => readOptions(['--previous', old], {})).toThrow(/bench\/server\.ts is missing/)
    expect(() => readOptions(['--previous', join(root, 'nowhere')], {})).toThrow(/is missing/)
  })

  it('refuses an empty entry instead of measuring this checkout against itself', async () => {
    const a = await checkout('a')
    expect(() => readOptions(['--previous', `${a},`], {})).toThrow(/empty entry/)
  })
})
