import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Every relative link of README.md and docs/ points at a file that exists and, for `#anchor`,
// at a heading of that file, as GitHub renders it: a moved page or a renamed heading fails here.
const root = fileURLToPath(new URL('../..', import.meta.url))

/** The text without its fenced code blocks, where `](…)` and `# …` are code, not links. */
const prose = (markdown: string) =>
  markdown.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1\s*$/gm, '')

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats -1, -2. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const [, heading = ''] of prose(markdown).matchAll(/^#{1,6} +(.*?) *#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(slug)
    seen.set(slug, (count ?? -1) + 1)
    anchors.add(count === undefined ? slug : `${slug}-${count + 1}`)
  }
  return anchors
}

/** The relative links of one markdown file that lead nowhere, as `file: link`. */
export function brokenLinks(file: string, markdown: string, read: (path: string) => string) {
  const broken: string[] = []
  for (const [, link = ''] of prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(link)) continue // https:, mailto:
    const [path = '', anchor] = link.split('#')
    const target = resolve(dirname(file), path)
    if (path !== '' && !existsSync(target)) {
      broken.push(`${relative(root, file)}: ${link} (no such file)`)
      continue
    }
    if (anchor === undefined || (!target.endsWith('.md') && path !== '')) continue
    if (!anchorsOf(path === '' ? markdown : read(target)).has(anchor)) {
      broken.push(`${relative(root, file)}: ${link} (no such heading)`)
    }
  }
  return broken
}

const read = (path: string) => readFileSync(path, 'utf8')
const pages = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name)),
]

describe('links between the README and docs/', () => {
  it.each(pages.map((page) => [relative(root, page), page]))(
    '%s links only to what exists',
    (_, page) => {
      expect(brokenLinks(page, read(page), read)).toEqual([])
    }
  )

  it('reports a missing page and a missing heading, and not a link inside code', () => {
    const file = join(root, 'docs', 'example.md')
    const markdown = [
      '# Title',
      '[ok](#title) [ok](stores.md#cachingstore) [web](https://hono.dev)',
      '[gone](no-such-page.md) [renamed](stores.md#no-such-heading)',
      '```ts',
      "const link = '[not a link](nowhere.md)'",
      '```',
    ].join('\n')
    expect(brokenLinks(file, markdown, read)).toEqual([
      'docs/example.md: no-such-page.md (no such file)',
      'docs/example.md: stores.md#no-such-heading (no such heading)',
    ])
  })

  it('names anchors as GitHub does', () => {
    const anchors = anchorsOf('# MySQL / MariaDB: `typed-sessions/mysql`\n## Errors\n## Errors\n')
    expect([...anchors]).toEqual(['mysql--mariadb-typed-sessionsmysql', 'errors', 'errors-1'])
  })
})
