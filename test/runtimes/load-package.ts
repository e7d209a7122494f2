import type { BuiltPackage } from './scenarios.js'

/** The root of the repository, as a URL ending in `/`. */
export const repositoryRoot = new URL('../../', import.meta.url)

/**
 * Imports a file of the built package (`dist/…`) by URL, so every runtime loads the very files
 * that are published; fails with a hint when the package has not been built.
 */
export async function importBuilt<T>(file: string): Promise<T> {
  const url = new URL(`dist/${file}`, repositoryRoot).href
  try {
    return (await import(/* @vite-ignore */ url)) as T
  } catch (error) {
    throw new Error(`cannot import ${url}: run \`npm run build\` first (${String(error)})`, {
      cause: error,
    })
  }
}

/** The core, the Hono and the Fetch entries of the built package. */
export async function loadBuiltPackage(): Promise<BuiltPackage> {
  return {
    core: await importBuilt<BuiltPackage['core']>('index.js'),
    hono: await importBuilt<BuiltPackage['hono']>('hono/index.js'),
    fetch: await importBuilt<BuiltPackage['fetch']>('fetch/index.js'),
  }
}
