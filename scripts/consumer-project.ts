import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A throwaway ESM app directory that depends on the built package, as a newcomer's app does. */
export interface ConsumerProject {
  dir: string
  remove(): Promise<void>
}

/**
 * Makes a temporary ESM project whose `node_modules/typed-sessions` is the repository itself, so
 * `typed-sessions` and its subpaths resolve through package.json's `exports` to dist/ (never to
 * src/), and whose other packages (hono, zod, ioredis, @types/node, …) are the repository's own.
 * Outside the repository on purpose: nothing of its tsconfig `paths` or vitest aliases applies.
 */
export async function createConsumerProject(root: string): Promise<ConsumerProject> {
  if (!existsSync(join(root, 'dist', 'index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` first (snippets use the built package).')
  }
  const dir = await mkdtemp(join(tmpdir(), 'typed-sessions-consumer-'))
  const modules = join(dir, 'node_modules')
  await mkdir(modules)
  for (const name of await readdir(join(root, 'node_modules'))) {
    if (name.startsWith('.') || name === 'typed-sessions') continue
    await symlink(join(root, 'node_modules', name), join(modules, name), 'dir')
  }
  await symlink(root, join(modules, 'typed-sessions'), 'dir')
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)
  )
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}
