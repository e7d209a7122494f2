import { SqliteStore, type SqliteDatabase } from '../../src/stores/sqlite-store.js'
import type { StoreUnderTest } from './store-conformance.js'

/*
 * What a SQL store reads, for the owner-index conformance cases (`readCost`): the rows its
 * SELECTs examine, measured by the database itself on each statement the store sent. A full
 * scan costs what the table holds; a lookup costs what its index range holds. This file needs
 * no Node API, so the D1 tests use it inside workerd too.
 */

/** A statement a store sent: its SQL and its parameters. */
export interface SentStatement {
  sql: string
  params: readonly unknown[]
}

/** Records the statements a store sends while `during` runs; the wrapped drivers feed it. */
export class StatementLog {
  #recording: SentStatement[] | undefined
  /** How many statements the driver has sent, recorded or not. */
  total = 0

  /** Called by a wrapped driver for each statement it sends. */
  sent(sql: string, params: readonly unknown[] = []): void {
    this.total++
    this.#recording?.push({ sql, params: [...params] })
  }

  /** Runs `run` and returns the statements sent meanwhile. */
  async during(run: () => Promise<unknown>): Promise<SentStatement[]> {
    const recording: SentStatement[] = []
    this.#recording = recording
    try {
      await run()
    } finally {
      this.#recording = undefined
    }
    return recording
  }
}

/** The hooks of the owner-index cases, from a log and how to measure one statement. */
export function ownerIndexHooks(
  log: StatementLog,
  entries: (owner: string) => Promise<number>,
  rowsExamined: (statement: SentStatement) => Promise<number>
): Required<Pick<StoreUnderTest, 'ownerIndexEntries' | 'readCost'>> {
  return {
    ownerIndexEntries: entries,
    readCost: async (run) => {
      let rows = 0
      for (const statement of await log.during(run)) {
        if (/^\s*SELECT\b/i.test(statement.sql)) rows += await rowsExamined(statement)
      }
      return rows
    },
  }
}

/** Runs a query on a SQLite-dialect database for the hooks, returning its rows. */
export type SqliteQuery = (
  sql: string,
  params: readonly unknown[]
) => Promise<Record<string, unknown>[]>

/** `db` (better-sqlite3 or node:sqlite), its statements recorded in `log`. */
export function loggedSqliteDatabase(db: SqliteDatabase, log: StatementLog): SqliteDatabase {
  return {
    prepare(source) {
      const statement = db.prepare(source)
      return {
        run: (...params) => (log.sent(source, params), statement.run(...params)),
        get: (...params) => (log.sent(source, params), statement.get(...params)),
        all: (...params) => (log.sent(source, params), statement.all(...params)),
      }
    },
    exec: (source) => db.exec(source),
  }
}

/**
 * The hooks for a SQLite-dialect store on `table`: the owner index's entries for an owner,
 * counted in the index itself (`INDEXED BY`, which also fails if it is missing), and the rows
 * the store's SELECTs examine (`sqliteRowsExamined`).
 */
export function sqliteOwnerIndexHooks(table: string, query: SqliteQuery, log: StatementLog) {
  const count = `SELECT count(*) AS n FROM "${table}" INDEXED BY "${table}_owner" WHERE owner = ?`
  return ownerIndexHooks(
    log,
    async (owner) => Number((await query(count, [owner]))[0]?.['n']),
    (statement) => sqliteRowsExamined(query, statement)
  )
}

/**
 * A migrated `SqliteStore` on `db` (better-sqlite3 or node:sqlite), its statements logged, with
 * the owner-index hooks; `cleanup` closes `db`.
 */
export async function sqliteStoreWithHooks(db: SqliteDatabase & { close(): unknown }) {
  const log = new StatementLog()
  const store = new SqliteStore(loggedSqliteDatabase(db, log))
  await store.migrate()
  const query = async (sql: string, params: readonly unknown[]) =>
    db.prepare(sql).all(...params) as Record<string, unknown>[]
  return {
    store,
    log,
    ...sqliteOwnerIndexHooks('sessions', query, log),
    cleanup: async () => void db.close(),
  }
}

/**
 * The rows a SQLite SELECT examines, from its query plan (SQLite counts no rows for us): a
 * `SCAN` reads every row of its table, a `SEARCH` the rows of the index range it names, counted
 * with the statement's own conditions on that range's columns.
 */
export async function sqliteRowsExamined(
  query: SqliteQuery,
  { sql, params }: SentStatement
): Promise<number> {
  const conditions = placeholderConditions(sql)
  let rows = 0
  for (const step of await query(`EXPLAIN QUERY PLAN ${sql}`, params)) {
    const detail = String(step['detail'])
    const scan = /^SCAN (\w+)/.exec(detail)
    const search = /^SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \((.+)\)$/.exec(detail)
    let count: [string, unknown[]] | undefined
    if (scan !== null) count = [`SELECT count(*) AS n FROM "${scan[1]}"`, []]
    else if (search !== null) {
      const [, table, index, range] = search
      const used = range!.split(' AND ').map((each) => {
        const column = /^(\w+)/.exec(each)?.[1]
        const condition = conditions.find((candidate) => candidate.column === column)
        if (condition === undefined) throw new Error(`no condition on ${column} in ${sql}`)
        return condition
      })
      const where = used.map(({ column, operator }) => `${column} ${operator} ?`).join(' AND ')
      count = [
        `SELECT count(*) AS n FROM "${table}" INDEXED BY "${index}" WHERE ${where}`,
        used.map(({ position }) => params[position]),
      ]
    } else if (/^(SCAN|SEARCH) /.test(detail)) {
      throw new Error(`a plan step this helper cannot measure: ${detail}`)
    }
    if (count !== undefined) rows += Number((await query(...count))[0]?.['n'])
  }
  return rows
}

/** The `column operator ?` conditions of a statement, with the position of their parameter. */
function placeholderConditions(sql: string) {
  const conditions: { column: string; operator: string; position: number }[] = []
  let position = 0
  for (const match of sql.matchAll(/(?:(\w+)\s*(<=|>=|<>|=|<|>)\s*)?\?/g)) {
    if (match[1] !== undefined) {
      conditions.push({ column: match[1], operator: match[2]!, position })
    }
    position++
  }
  return conditions
}
