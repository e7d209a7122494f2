import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectSnippets, extractSnippets, markedSnippet } from '../../scripts/snippets.js'

const md = [
  '# Title', //                    1
  '', //                           2
  '```ts', //                      3
  'const a = 1', //                4
  '```', //                        5
  '```sh', //                      6
  'npm i typed-sessions', //       7
  '```', //                        8
  '```ts ignore', //               9
  'Deno.serve()', //               10
  '```', //                        11
  '<!-- readme-app -->', //        12
  '', //                           13
  '```typescript', //              14
  'const b = 2', //                15
  'const c = 3', //                16
  '```', //                        17
  '1. a list', //                  18
  '   ```ts', //                   19
  '   const d = 4', //             20
  '   ```', //                     21
].join('\n')

describe('snippet extraction', () => {
  it('takes ts and typescript blocks with the markdown line of their first line of code', () => {
    expect(extractSnippets('README.md', md)).toEqual([
      { file: 'README.md', line: 4, code: 'const a = 1' },
      { file: 'README.md', line: 15, code: 'const b = 2\nconst c = 3' },
      { file: 'README.md', line: 20, code: 'const d = 4' },
    ])
  })

  it('skips blocks marked `ts ignore` and other languages', () => {
    const codes = extractSnippets('README.md', md).map((s) => s.code)
    expect(codes.join('\n')).not.toMatch(/Deno|npm/)
  })

  it('does not end a block at a shorter fence inside it', () => {
    const text = '````ts\nconst s = `\n```\n`\n````\n'
    expect(extractSnippets('a.md', text)).toEqual([
      { file: 'a.md', line: 2, code: 'const s = `\n```\n`' },
    ])
  })

  it('finds the block right after a marker line', () => {
    expect(markedSnippet('README.md', md, 'readme-app')).toEqual({
      file: 'README.md',
      line: 15,
      code: 'const b = 2\nconst c = 3',
    })
  })

  it('names the file when the marker is missing or not followed by a ts block', () => {
    expect(() => markedSnippet('README.md', '# none', 'readme-app')).toThrow(
      'README.md has no "<!-- readme-app -->" line'
    )
    expect(() =>
      markedSnippet('docs/x.md', '<!-- readme-app -->\ntext\n```ts\n1\n```', 'readme-app')
    ).toThrow('docs/x.md:1: "<!-- readme-app -->" must be followed by a ```ts block.')
  })

  it('collects README.md and every markdown file under docs/', async () => {
    const root = await mkdtemp(join(tmpdir(), 'snippets-'))
    try {
      await mkdir(join(root, 'docs', 'stores'), { recursive: true })
      await writeFile(join(root, 'README.md'), '```ts\nconst r = 1\n```\n')
      await writeFile(join(root, 'docs', 'auth.md'), 'x\n```ts\nconst a = 1\n```\n')
      await writeFile(join(root, 'docs', 'stores', 'redis.md'), '```typescript\nconst s = 1\n```\n')
      await writeFile(join(root, 'docs', 'notes.txt'), '```ts\nnot markdown\n```\n')
      const found = (await collectSnippets(root)).map((s) => `${s.file}:${s.line}`)
      expect(found).toEqual(['README.md:2', 'docs/auth.md:3', 'docs/stores/redis.md:2'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
