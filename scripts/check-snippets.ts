/**
 * Type-checks every TypeScript snippet of README.md and docs/**\/*.md against the BUILT package
 * (run `npm run build` first), as a newcomer's strict ESM app (module NodeNext) would compile it.
 * Usage: `npm run check:snippets` (exit 1 and one `file:line` per error when a snippet rots).
 *
 * Conventions for the snippets:
 * - Every ```ts / ```typescript block is a standalone module: it imports what it uses, by the
 *   package's public names (`typed-sessions`, `typed-sessions/hono`, …).
 * - A fragment declares what it assumes at its top, visibly: `declare const app: Hono<…>`,
 *   `import type { … } from '…'`, `declare function hash(password: string): Promise<string>`.
 * - A block that shows a compile error marks the line with `// @ts-expect-error` (an unused one
 *   fails the check too).
 * - A block whose info string is `ts ignore` (```ts ignore) is skipped: use it sparingly, for
 *   code that cannot compile on Node (Deno, Bun, workerd globals) and say why beside it.
 * - Blocks in other languages (sh, toml, json) are not checked.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { createConsumerProject } from './consumer-project.js'
import { collectSnippets, type Snippet } from './snippets.js'

/** A newcomer's strict app: `tsc --init` of TypeScript 5.9 plus the repository's own strictness. */
export const consumerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  skipLibCheck: true,
  noEmit: true,
}

/** One compile error, placed at the markdown line it comes from. */
export interface SnippetFailure {
  /** `README.md:123` (the markdown file and line), or the compiler's own place for the rest. */
  where: string
  /** The snippet the error is in, when it is in one. */
  snippet?: Snippet
  message: string
}

/** Compiles the snippets in one program (one tsc run, however many snippets) and maps errors. */
export async function checkSnippets(
  root: string,
  snippets: readonly Snippet[]
): Promise<SnippetFailure[]> {
  const project = await createConsumerProject(root)
  try {
    const byPath = new Map<string, Snippet>()
    for (const [index, snippet] of snippets.entries()) {
      const name = `${String(index).padStart(3, '0')}-${snippet.file.replace(/[^\w.-]+/g, '_')}-L${snippet.line}.ts`
      const path = join(project.dir, name)
      await writeFile(path, `${snippet.code}\n`)
      byPath.set(path, snippet)
    }
    const program = ts.createProgram([...byPath.keys()], consumerOptions)
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      const text = `TS${diagnostic.code}: ${message}`
      const snippet = diagnostic.file && byPath.get(diagnostic.file.fileName)
      if (!diagnostic.file || diagnostic.start === undefined)
        return { where: '(tsc)', message: text }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      if (!snippet) return { where: `${diagnostic.file.fileName}:${line + 1}`, message: text }
      return { where: `${snippet.file}:${snippet.line + line}`, message: text, snippet }
    })
  } finally {
    await project.remove()
  }
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const snippets = await collectSnippets(root)
  const failures = await checkSnippets(root, snippets)
  for (const { where, message } of failures) console.error(`${where}: ${message}`)
  const files = new Set(snippets.map((s) => s.file)).size
  const failing = new Set(failures.map((f) => f.snippet)).size
  const verdict =
    failures.length === 0 ? 'all compile' : `${failures.length} error(s) in ${failing} snippet(s)`
  console.log(`check:snippets: ${snippets.length} snippets in ${files} file(s), ${verdict}`)
  if (failures.length > 0) process.exitCode = 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
