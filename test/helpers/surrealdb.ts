import { createNodeEngines } from '@surrealdb/node'
import { Surreal } from 'surrealdb'
import type { SurrealQueryable } from '../../src/stores/surrealdb-store.js'

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

/** One node of SurrealDB's plan, as `EXPLAIN FULL` returns it. */
interface PlanNode {
  operator?: string
  attributes?: { table?: string }
  metrics?: { output_rows?: number }
  children?: PlanNode[]
}

/**
 * A queryable over `db` that keeps the `SELECT` statements sent through it while `readCost`
 * runs, and `readCost`: how many rows they read, by SurrealDB's own plan (`EXPLAIN FULL`, which
 * runs them again): the rows an index scan yields, and every row of the table for a table scan
 * (whose metrics count only the rows it kept). A store's `readCost` for the owner-index cases.
 * @example const { queryable, readCost } = planReads(db); new SurrealStore(queryable, { table })
 */
export function planReads(db: Surreal) {
  let recorded: [string, Record<string, unknown> | undefined][] | undefined
  const queryable: SurrealQueryable = {
    query(query, bindings) {
      if (recorded !== undefined && query.startsWith('SELECT')) recorded.push([query, bindings])
      return db.query(query, bindings)
    },
  }
  const rowsRead = async (node: PlanNode): Promise<number> => {
    if (node.operator === 'TableScan') {
      const [[counted]] = await db
        .query(`SELECT count() FROM ${node.attributes?.table} GROUP ALL`)
        .collect<[[{ count: number }?]]>()
      return counted?.count ?? 0
    }
    if (node.children === undefined || node.children.length === 0) {
      return node.metrics?.output_rows ?? 0
    }
    let rows = 0
    for (const child of node.children) rows += await rowsRead(child)
    return rows
  }
  const readCost = async (run: () => Promise<unknown>): Promise<number> => {
    const statements: NonNullable<typeof recorded> = []
    recorded = statements
    try {
      await run()
    } finally {
      recorded = undefined
    }
    let rows = 0
    for (const [query, bindings] of statements) {
      const [plan] = await db.query(`${query} EXPLAIN FULL`, bindings).collect<[PlanNode]>()
      rows += await rowsRead(Array.isArray(plan) ? plan[0] : plan)
    }
    return rows
  }
  return { queryable, readCost }
}
