import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

/** One TypeScript block of a markdown file. */
export interface Snippet {
  /** The markdown file, relative to the repository root (`README.md`, `docs/auth.md`). */
  file: string
  /** The 1-based line of the markdown file that holds the block's first line of code. */
  line: number
  /** The block's code, its fence's indentation removed. */
  code: string
}

const fence = /^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)(.*)$/

/**
 * The ```ts / ```typescript blocks of one markdown text, in order. A block whose info string
 * also says `ignore` (```ts ignore) is left out; blocks in other languages are not TypeScript.
 */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split('\n')
  const snippets: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i] ?? '')
    if (!open) continue
    const [, indent = '', marks = '', lang = '', rest = ''] = open
    // The closing fence: the same character, at least as many, nothing after it (CommonMark).
    const close = new RegExp(`^ {0,3}${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end] ?? '')) end++
    const isTs = lang === 'ts' || lang === 'typescript'
    if (isTs && !/\bignore\b/.test(rest)) {
      const body = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      snippets.push({ file, line: i + 2, code: body.join('\n') })
    }
    i = end
  }
  return snippets
}

/** The ts block right after a line `<!-- NAME -->` (blank lines between are allowed). */
export function markedSnippet(file: string, text: string, name: string): Snippet {
  const marker = `<!-- ${name} -->`
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.trim() === marker)
  if (at === -1) throw new Error(`${file} has no "${marker}" line before the block it marks.`)
  let next = at + 1
  while (next < lines.length && (lines[next] ?? '').trim() === '') next++
  const [snippet] = extractSnippets(file, lines.slice(next).join('\n'))
  if (!snippet || snippet.line !== 2) {
    throw new Error(`${file}:${at + 1}: "${marker}" must be followed by a \`\`\`ts block.`)
  }
  return { ...snippet, line: snippet.line + next }
}

/** README.md and every markdown file under docs/, as paths relative to `root`. */
export async function markdownFiles(root: string): Promise<string[]> {
  const files = ['README.md']
  const docs = join(root, 'docs')
  const entries = await readdir(docs, { recursive: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  })
  for (const entry of entries.sort()) {
    if (entry.endsWith('.md')) files.push(relative(root, join(docs, entry)))
  }
  return files
}

/** Every checked snippet of README.md and docs/ under `root`. */
export async function collectSnippets(root: string): Promise<Snippet[]> {
  const snippets: Snippet[] = []
  for (const file of await markdownFiles(root)) {
    snippets.push(...extractSnippets(file, await readFile(join(root, file), 'utf8')))
  }
  return snippets
}
