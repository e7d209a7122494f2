/**
 * Builds the package (`npm run build`) unless dist/ is already newer than everything it is built
 * from: the scripts that run the BUILT package (the Deno and Cloudflare examples, the snippet
 * check) start with it, so they work on a fresh clone after `npm ci` alone, and cost nothing
 * where the build just ran (CI).
 * Usage: `tsx scripts/ensure-build.ts && <the command that needs dist/>`.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What the build reads: a change to any of them makes dist/ stale. */
const INPUTS = ['src', 'tsup.config.ts', 'package.json', 'tsconfig.json']

/** The newest modification time under `path` (a file or a folder), in milliseconds. */
function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)))
  return latest
}

/** Why dist/ under `root` must be rebuilt, or undefined when it is up to date. */
export function staleReason(root: string): string | undefined {
  // tsup writes the declarations last, after the JavaScript: a build that failed has none.
  const built = statSync(join(root, 'dist', 'index.d.ts'), { throwIfNoEntry: false })
  if (built === undefined) return 'dist/ has not been built'
  const changed = INPUTS.find((input) => newest(join(root, input)) > built.mtimeMs)
  return changed === undefined ? undefined : `${changed} changed since the last build`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const reason = staleReason(root)
  if (reason !== undefined) {
    console.error(`${reason}: running npm run build first`)
    execFileSync('npm', ['run', 'build'], {
      cwd: root,
      stdio: ['ignore', process.stderr, 'inherit'],
    })
  }
}
