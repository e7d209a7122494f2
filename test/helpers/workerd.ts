import { env } from 'cloudflare:test'
import type {
  D1DatabaseBinding,
  DurableObjectNamespaceBinding,
  KvNamespaceBinding,
} from '../../src/stores/cloudflare/index.js'

/**
 * The local bindings of the workerd test Worker (vitest.workerd.config.ts), typed as the
 * Cloudflare stores take them. Only importable from tests that run inside workerd.
 */
export const bindings = {
  db: env['DB'] as D1DatabaseBinding,
  kv: env['KV'] as KvNamespaceBinding,
  sessions: env['SESSIONS'] as DurableObjectNamespaceBinding,
}

/** A table name no other test run uses. */
export function uniqueTableName(stem: string): string {
  return `${stem}_${crypto.randomUUID().replaceAll('-', '')}`
}
