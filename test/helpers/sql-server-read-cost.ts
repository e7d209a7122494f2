import type mysql from 'mysql2/promise'
import type pg from 'pg'
import type { MySqlPool, MySqlValue } from '../../src/stores/mysql-store.js'
import type { PostgresQueryable } from '../../src/stores/postgres-store.js'
import { ownerIndexHooks, type SentStatement, type StatementLog } from './sql-read-cost.js'

/*
 * The owner-index hooks of the SQL stores with a server: the rows a store's SELECTs examine,
 * as the server counts them while running each one again (PostgreSQL's EXPLAIN ANALYZE,
 * MariaDB's ANALYZE), and the index entries of an owner.
 */

/** `pool`, the statements of a `PostgresStore` over it recorded in `log`. */
export function loggedPostgresPool(pool: pg.Pool, log: StatementLog): PostgresQueryable {
  return {
    query: (config) => {
      log.sent(config.text, config.values)
      return pool.query(config)
    },
  }
}

/** A node of a PostgreSQL `EXPLAIN (ANALYZE, FORMAT JSON)` plan, the fields read here. */
interface PlanNode {
  'Relation Name'?: string
  'Actual Rows': number
  'Actual Loops': number
  'Rows Removed by Filter'?: number
  'Rows Removed by Index Recheck'?: number
  Plans?: PlanNode[]
}

/** The rows the scans of a plan read from their tables: those kept and those filtered out. */
function rowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === undefined
      ? 0
      : (node['Actual Rows'] +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0)) *
        node['Actual Loops']
  return (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child), own)
}

/** The hooks for a `PostgresStore` on `table` (quoted and qualified: `"schema"."name"`). */
export function postgresOwnerIndexHooks(pool: pg.Pool, table: string, log: StatementLog) {
  return ownerIndexHooks(
    log,
    async (owner) => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE owner = $1`,
        [owner]
      )
      return rows[0].n as number
    },
    async ({ sql, params }: SentStatement) => {
      const { rows } = await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, [...params])
      return rowsRead((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan)
    }
  )
}

/** `pool`, the statements of a `MySqlStore` over it recorded in `log`. */
export function loggedMySqlPool(pool: mysql.Pool, log: StatementLog): MySqlPool {
  return {
    execute: (sql, values) => (log.sent(sql, values), pool.execute(sql, values)),
    query: (sql, values) => (log.sent(sql, values), pool.query(sql, values)),
  }
}

/** The rows MariaDB's `ANALYZE FORMAT=JSON` says each table access read (`r_rows` per loop). */
function tableRows(node: unknown): number {
  if (typeof node !== 'object' || node === null) return 0
  const { r_rows, r_loops } = node as { r_rows?: unknown; r_loops?: unknown }
  const own = typeof r_rows === 'number' ? r_rows * Number(r_loops ?? 1) : 0
  return Object.values(node).reduce<number>((sum, child) => sum + tableRows(child), own)
}

/**
 * The hooks for a `MySqlStore` on `table`. The rows come from MariaDB's `ANALYZE FORMAT=JSON`
 * (MySQL 8 has no such statement: there the hook throws).
 */
export function mySqlOwnerIndexHooks(pool: mysql.Pool, table: string, log: StatementLog) {
  return ownerIndexHooks(
    log,
    async (owner) => {
      const [rows] = await pool.query(
        `SELECT COUNT(*) AS n FROM \`${table}\` FORCE INDEX (\`owner\`) WHERE \`owner\` = ?`,
        [owner]
      )
      return Number((rows as { n: unknown }[])[0]?.n)
    },
    async ({ sql, params }: SentStatement) => {
      const [rows] = await pool.query(`ANALYZE FORMAT=JSON ${sql}`, params as MySqlValue[])
      const analyzed = (rows as { ANALYZE?: string }[])[0]?.ANALYZE
      if (analyzed === undefined) throw new Error('the server has no ANALYZE FORMAT=JSON (MariaDB)')
      return tableRows(JSON.parse(analyzed))
    }
  )
}
