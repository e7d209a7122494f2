import { createNodeEngines } from '@surrealdb/node'
import { Surreal } from 'surrealdb'

/**
 * A SurrealDB instance embedded in this process (`@surrealdb/node`), namespace and database
 * selected: in memory by default, or e.g. `surrealkv://<dir>` (on disk, optimistic transactions).
 * @example const db = await embeddedSurreal(); afterAll(() => db.close())
 */
export async function embeddedSurreal(url = 'mem://'): Promise<Surreal> {
  const db = new Surreal({ engines: createNodeEngines() })
  await db.connect(url)
  await db.use({ namespace: 'test', database: 'test' })
  return db
}

/** A table name no other test uses. */
export function uniqueTable(): string {
  return `sessions_${crypto.randomUUID().replaceAll('-', '')}`
}
