import { createNodeEngines } from '@surrealdb/node'
import { Surreal } from 'surrealdb'

/**
 * A SurrealDB instance embedded in this process (`@surrealdb/node`, in memory), namespace and
 * database selected.
 * @example const db = await embeddedSurreal(); afterAll(() => db.close())
 */
export async function embeddedSurreal(): Promise<Surreal> {
  const db = new Surreal({ engines: createNodeEngines() })
  await db.connect('mem://')
  await db.use({ namespace: 'test', database: 'test' })
  return db
}

/** A table name no other test uses. */
export function uniqueTable(): string {
  return `sessions_${crypto.randomUUID().replaceAll('-', '')}`
}
