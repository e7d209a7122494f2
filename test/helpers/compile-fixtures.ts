import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** The repository's compiler options (its strictness, and `paths` to the package's sources). */
function repositoryOptions(): ts.CompilerOptions {
  const file = join(root, 'tsconfig.json')
  const { config } = ts.readConfigFile(file, ts.sys.readFile)
  return ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, file).options
}

/**
 * Type-checks in-memory modules (name → code) as files of the repository, in one program, and
 * returns each one's diagnostics as flattened text (`TS2322: …`), every chained line included:
 * what a developer reads in the editor.
 */
export function compileFixtures(fixtures: Record<string, string>): Record<string, string[]> {
  const options = repositoryOptions()
  const paths = new Map(
    Object.keys(fixtures).map((name) => [join(root, 'test', 'types', `__${name}.ts`), name])
  )
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  const codeOf = (path: string) => {
    const name = paths.get(path)
    return name === undefined ? undefined : fixtures[name]
  }
  host.fileExists = (path) => codeOf(path) !== undefined || fileExists.call(host, path)
  host.readFile = (path) => codeOf(path) ?? readFile.call(host, path)
  host.getSourceFile = (path, language, ...rest) => {
    const code = codeOf(path)
    return code === undefined
      ? getSourceFile.call(host, path, language, ...rest)
      : ts.createSourceFile(path, code, language)
  }
  const program = ts.createProgram([...paths.keys()], options, host)
  const result: Record<string, string[]> = Object.fromEntries(
    Object.keys(fixtures).map((n) => [n, []])
  )
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file && paths.get(diagnostic.file.fileName)
    const text = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`
    if (name === undefined) throw new Error(`a diagnostic outside the fixtures: ${text}`)
    result[name]!.push(text)
  }
  return result
}
