// The SQL of MySqlStore: its table, built from a checked identifier, and every statement.

/** The columns of every statement, in the order of `rowValues`. */
export const COLUMNS =
  '`key`, `data`, `created_at`, `expires_at`, `version`, `schema_version`, `expiry`, `token`'

/**
 * The DDL of the session table; `schemas/mysql.sql` holds the same for the default name.
 * - `key` compares case-sensitively (utf8mb4_bin, available on MySQL and MariaDB alike): record
 *   keys are base64url, where case matters. 191 characters is the longest utf8mb4 key that fits
 *   every InnoDB row format (767 bytes).
 * - `data` is LONGTEXT rather than JSON: MySQL's binary JSON reorders keys and re-renders
 *   numbers, while the store wants the exact text back (MariaDB's JSON is LONGTEXT anyway).
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
  PRIMARY KEY (\`key\`),
  KEY \`expires_at\` (\`expires_at\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}

/**
 * Whether the table has the `token` column (a table created before it has not). MySQL has no
 * `ADD COLUMN IF NOT EXISTS` (MariaDB has), so `migrate()` asks first.
 */
export const HAS_TOKEN_COLUMN = `SELECT COUNT(*) AS n FROM information_schema.columns
  WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'token'`

/** Adds the `token` column where a fresh table has it, so both tables read the same. */
export function addTokenColumn(table: string): string {
  return `ALTER TABLE \`${table}\` ADD COLUMN \`token\` VARCHAR(255) NULL AFTER \`expiry\``
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
    create: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
      \`data\` = IF(LAST_INSERT_ID(\`expires_at\` > ?), \`data\`, VALUES(\`data\`)),
      ${keep('created_at')}, ${keep('version')}, ${keep('schema_version')}, ${keep('expiry')},
      ${keep('token')}, ${keep('expires_at')}`,
    load: `SELECT ${COLUMNS} FROM ${t} WHERE \`key\` = ? AND \`expires_at\` > ?`,
    // VALUES(col) rather than MySQL 8's row alias, which MariaDB does not support.
    upsert: `INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE
      \`data\` = VALUES(\`data\`), \`created_at\` = VALUES(\`created_at\`),
      \`version\` = VALUES(\`version\`), \`schema_version\` = VALUES(\`schema_version\`),
      \`expiry\` = VALUES(\`expiry\`), \`token\` = VALUES(\`token\`),
      \`expires_at\` = VALUES(\`expires_at\`)`,
    update: `UPDATE ${t} SET \`data\` = ?, \`created_at\` = ?, \`expires_at\` = ?, \`version\` = ?,
      \`schema_version\` = ?, \`expiry\` = ?, \`token\` = ?
      WHERE \`key\` = ? AND \`version\` = ? AND \`expires_at\` > ?`,
    delete: `DELETE FROM ${t} WHERE \`key\` = ?`,
    // Ordered (by the expires_at index, which ends with the primary key) so the rows a LIMIT
    // picks are deterministic, as statement-based replication requires.
    deleteExpired: `DELETE FROM ${t} WHERE \`expires_at\` <= ?
      ORDER BY \`expires_at\`, \`key\` LIMIT ${deleteBatchSize}`,
  }
}

/** How many `now` parameters follow the row in `create`: one per IF of its update. */
export const CREATE_NOW_PARAMETERS = 7
