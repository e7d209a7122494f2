import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { SessionError } from '../core/errors.js'
import type { SessionStore } from '../core/store.js'
import type { $ZodObject } from 'zod/v4/core'
import type { SessionDefinition } from '../schema/define-session.js'

/** What a config module gives the CLI. */
export interface CliConfig {
  /** The app's session definition (its current schema version and migrations). */
  definition: SessionDefinition
  /** The store the app's sessions live in. */
  store: SessionStore
  /** Closes what the config opened (a database, a Redis client), so the CLI can end. */
  close?: () => Promise<void> | void
  /**
   * For `sessions` and `revoke`: the session key holding the login (createAuth's `userKey`);
   * a session whose data no longer holds the user there is not listed. @default 'user' when the
   * schema has that key, else none (every session bound to the user is listed)
   */
  userKey?: string
  /**
   * For `sessions`: the app's fields schema (createAuth's `sessionsPerUser.fields`), so that the
   * fields it marks `sensitive()` are redacted. @default undefined (fields shown as stored)
   */
  sessionFields?: $ZodObject
}

/** The file names tried, in order, when no `--config` is given. */
export const DEFAULT_CONFIG_FILES = [
  'sessions.config.ts',
  'sessions.config.mts',
  'sessions.config.js',
  'sessions.config.mjs',
]

const HOW_TO =
  'A config module exports `definition` (from defineSession) and `store`, and optionally `close()`; ' +
  'or a default export of that object, or of a function returning it.'

/** Finds the config file: `--config`, else the first default name that exists in `cwd`. */
export async function findConfig(cwd: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return resolve(cwd, given)
  for (const name of DEFAULT_CONFIG_FILES) {
    const path = resolve(cwd, name)
    if (
      await access(path).then(
        () => true,
        () => false
      )
    )
      return path
  }
  throw new SessionError(
    'CONFIG',
    `No config module: pass --config <file>, or create ${DEFAULT_CONFIG_FILES[0]} in ${cwd}. ${HOW_TO}`
  )
}

/**
 * Imports the config module. A `.ts` file needs a runtime that runs TypeScript: Node 22.18+ does
 * by itself, earlier Node through `tsx` (an optional peer), which is loaded only then.
 */
export async function loadConfig(path: string): Promise<CliConfig> {
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw configFailure(path, error)
    module = await importWithTsx(path)
  }
  let config: unknown = module.default ?? module
  if (typeof config === 'function') config = await (config as () => unknown)()
  return checkConfig(config, path)
}

async function importWithTsx(path: string): Promise<Record<string, unknown>> {
  let tsx: { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> }
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx
  } catch (cause) {
    throw new SessionError(
      'CONFIG',
      `${path} is TypeScript, which this Node cannot run by itself. Install tsx (npm install -D tsx), use Node 22.18 or later, or write the config as .js/.mjs.`,
      { cause }
    )
  }
  try {
    return await tsx.tsImport(pathToFileURL(path).href, import.meta.url)
  } catch (error) {
    throw configFailure(path, error)
  }
}

function configFailure(path: string, cause: unknown): SessionError {
  return new SessionError(
    'CONFIG',
    `The config module ${path} could not be loaded: ${(cause as Error)?.message ?? String(cause)}`,
    { cause }
  )
}

function checkConfig(config: unknown, path: string): CliConfig {
  const candidate = (config ?? {}) as Partial<CliConfig>
  const definition = candidate.definition as Partial<SessionDefinition> | undefined
  if (typeof definition?.version !== 'number' || typeof definition.schema !== 'object') {
    throw new SessionError(
      'CONFIG',
      `${path} exports no \`definition\` from defineSession(). ${HOW_TO}`
    )
  }
  const store = candidate.store as Partial<SessionStore> | undefined
  if (typeof store?.load !== 'function' || typeof store.save !== 'function') {
    throw new SessionError('CONFIG', `${path} exports no \`store\` (a SessionStore). ${HOW_TO}`)
  }
  if (candidate.userKey !== undefined) {
    const shape = candidate.definition!.schema._zod.def.shape
    if (typeof candidate.userKey !== 'string' || !Object.hasOwn(shape, candidate.userKey)) {
      throw new SessionError(
        'CONFIG',
        `${path} exports a \`userKey\` that is not a key of the definition's schema: ${String(candidate.userKey)}.`
      )
    }
  }
  if (candidate.close !== undefined && typeof candidate.close !== 'function') {
    throw new SessionError(
      'CONFIG',
      `${path} exports a \`close\` that is not a function. ${HOW_TO}`
    )
  }
  return candidate as CliConfig
}
