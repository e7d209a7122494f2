// The SQL of MySqlStore: its table, built from a checked identifier, and every statement.

/** The columns of every statement, in the order of `rowValues`. */
export const COLUMNS =
  '`key`, `data`, `created_at`, `expires_at`, `version`, `schema_version`, `expiry`, `token`, `owner`'

/** The type of the `owner` column: an owner key compares like a record key. */
const OWNER_TYPE = 'VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL'

/**
 * The DDL of the session table; `schemas/mysql.sql` holds the same for the default name.
 * - `key` compares case-sensitively (utf8mb4_bin, available on MySQL and MariaDB alike): record
 *   keys are base64url, where case matters. 191 characters is the longest utf8mb4 key that fits
 *   every InnoDB row format (767 bytes).
 * - `data` is LONGTEXT rather than JSON: MySQL's binary JSON reorders keys and re-renders
 *   numbers, while the store wants the exact text back (MariaDB's JSON is LONGTEXT anyway).
 * - `owner` (an owner key, `listOwner`) compares like `key`, and has its own index. InnoDB
 *   touches a secondary index only when its columns change, so a save that keeps the owner
 *   (a returning visitor's) leaves it alone.
 */
export function tableDefinition(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
  \`key\` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  \`data\` LONGTEXT NOT NULL,
  \`created_at\` BIGINT NOT NULL,
  \`expires_at\` BIGINT NOT NULL,
  \`version\` INT NOT NULL,
  \`schema_version\` INT NOT NULL,
  \`expiry\` TEXT NULL,
  \`token\` VARCHAR(255) NULL,
  \`owner\` ${OWNER_TYPE},
  PRIMARY KEY (\`key\`),
  KEY \`expires_at\` (\`expires_at\`),
  KEY \`owner\` (\`owner\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

/**
 * The columns and indexes of a table (parameter: its name) that `migrate()` adds to a table of
 * an earlier version, whichever of them it lacks: MySQL has no `ADD COLUMN IF NOT EXISTS`
 * (MariaDB has), so `migrate()` asks first. One row per column or index present.
 */
export const PRESENT_ADDITIONS = `SELECT column_name AS name FROM information_schema.columns
    WHERE table_schema = DATABASE() AND table_name = ? AND column_name IN ('token', 'owner')
  UNION ALL SELECT DISTINCT CONCAT('index ', index_name) FROM information_schema.statistics
    WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'owner'`

/**
 * What `migrate()` adds to a table of an earlier version, each where a fresh table has it (so
 * both read the same), by the name `PRESENT_ADDITIONS` reports when it is there.
 */
export function additions(table: string): [name: string, alter: string][] {
  const alter = `ALTER TABLE \`${table}\``
  return [
    ['token', `${alter} ADD COLUMN \`token\` VARCHAR(255) NULL AFTER \`expiry\``],
    ['owner', `${alter} ADD COLUMN \`owner\` ${OWNER_TYPE} AFTER \`token\``],
    ['index owner', `${alter} ADD KEY \`owner\` (\`owner\`)`],
  ]
}

/** The statements of one table. */
export function statementsFor(table: string, deleteBatchSize: number) {
  const t = `\`${table}\``
  const keep = (column: string) =>
    `\`${column}\` = IF(\`expires_at\` > ?, \`${column}\`, VALUES(\`${column}\`))`
  return {
    // A live row keeps every column; an expired one takes the new values. `expires_at` is
    // assigned last because each assignment sees the columns assigned before it.
    // mysql2 sets CLIENT_FOUND_ROWS by default, so affectedRows is 1 both for an insert and
    // for a live row left as it is. LAST_INSERT_ID(expr) puts expr in the OK packet's insert
    // id (the table has no AUTO_INCREMENT, so an insert reports 0): 1 means a live row won.
    // Parameters: the row, then `now` once per IF (CREATE_NOW_PARAMETERS).
    create: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
      \`data\` = IF(LAST_INSERT_ID(\`expires_at\` > ?), \`data\`, VALUES(\`data\`)),
      ${keep('created_at')}, ${keep('version')}, ${keep('schema_version')}, ${keep('expiry')},
      ${keep('token')}, ${keep('owner')}, ${keep('expires_at')}`,
    load: `SELECT ${COLUMNS} FROM ${t} WHERE \`key\` = ? AND \`expires_at\` > ?`,
    // VALUES(col) rather than MySQL 8's row alias, which MariaDB does not support.
    upsert: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
      \`data\` = VALUES(\`data\`), \`created_at\` = VALUES(\`created_at\`),
      \`version\` = VALUES(\`version\`), \`schema_version\` = VALUES(\`schema_version\`),
      \`expiry\` = VALUES(\`expiry\`), \`token\` = VALUES(\`token\`),
      \`owner\` = VALUES(\`owner\`), \`expires_at\` = VALUES(\`expires_at\`)`,
    update: `UPDATE ${t} SET \`data\` = ?, \`created_at\` = ?, \`expires_at\` = ?, \`version\` = ?,
      \`schema_version\` = ?, \`expiry\` = ?, \`token\` = ?, \`owner\` = ?
      WHERE \`key\` = ? AND \`version\` = ? AND \`expires_at\` > ?`,
    delete: `DELETE FROM ${t} WHERE \`key\` = ?`,
    // Ordered (by the expires_at index, which ends with the primary key) so the rows a LIMIT
    // picks are deterministic, as statement-based replication requires.
    deleteExpired: `DELETE FROM ${t} WHERE \`expires_at\` <= ?
      ORDER BY \`expires_at\`, \`key\` LIMIT ${deleteBatchSize}`,
    // The optimizer picks the owner index: an equality on it matches what the owner has.
    listOwner: `SELECT ${COLUMNS} FROM ${t} WHERE \`owner\` = ? AND \`expires_at\` > ?`,
  }
}

/** How many `now` parameters follow the row in `create`: one per IF of its update. */
export const CREATE_NOW_PARAMETERS = 8
