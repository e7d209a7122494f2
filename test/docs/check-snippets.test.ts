import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkSnippets } from '../../scripts/check-snippets.js'
import { extractSnippets } from '../../scripts/snippets.js'

// Against the built package (vitest.dist.config.ts): `npm run build` first.
const root = fileURLToPath(new URL('../..', import.meta.url))

const md = `
\`\`\`ts
import { z } from 'zod'
import { defineSession } from 'typed-sessions'
import { sessionMiddleware } from 'typed-sessions/hono'
export const counter = defineSession(z.object({ counter: z.number().default(0) }))
export const middleware = sessionMiddleware(counter, { secret: 'x'.repeat(32) })
\`\`\`

\`\`\`ts
import type { TypedSession } from 'typed-sessions'
declare const session: TypedSession<any>
const n: string = 1
\`\`\`

\`\`\`ts
// @ts-expect-error: not a store
import { NoSuchStore } from 'typed-sessions/redis'
\`\`\`

\`\`\`ts
import Redis from 'ioredis'
new Redis()
\`\`\`

\`\`\`ts ignore
Deno.serve(() => new Response())
\`\`\`
`

describe('check:snippets', () => {
  it('compiles snippets against the built package and reports each error at its markdown line', async () => {
    const failures = await checkSnippets(root, extractSnippets('docs/demo.md', md))
    expect(failures.map((f) => `${f.where}: ${f.message.split('\n')[0]}`)).toEqual([
      "docs/demo.md:13: TS2322: Type 'number' is not assignable to type 'string'.",
      'docs/demo.md:23: TS2351: This expression is not constructable.',
    ])
  }, 60_000)

  it('fails an unused @ts-expect-error, so a fixed snippet does not keep claiming an error', async () => {
    const snippets = extractSnippets('README.md', '```ts\n// @ts-expect-error\nconst ok = 1\n```\n')
    const failures = await checkSnippets(root, snippets)
    expect(failures.map((f) => f.where)).toEqual(['README.md:2'])
    expect(failures[0]?.message).toMatch(/TS2578: Unused '@ts-expect-error' directive/)
  }, 60_000)
})
