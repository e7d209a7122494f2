// The session tables as the version before the write token created them (its schemas/*.sql):
// without the `token` column, which `migrate()` adds.

/** SQLite's (and libSQL's) table `table`, with its expiry index. */
export function sqliteTableWithoutToken(table = 'sessions'): string {
  return `CREATE TABLE "${table}" (
    key TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    version INTEGER NOT NULL, schema_version INTEGER NOT NULL, expiry TEXT, data TEXT NOT NULL);
    CREATE INDEX "${table}_expires_at" ON "${table}" (expires_at);`
}

/** PostgreSQL's table, `table` already quoted and qualified (`"schema"."name"`). */
export function postgresTableWithoutToken(table: string): string {
  return `CREATE TABLE ${table} (
    key TEXT COLLATE "C" PRIMARY KEY, data JSONB NOT NULL, created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL, version INTEGER NOT NULL, schema_version INTEGER NOT NULL,
    expiry JSONB NULL)`
}

/** MySQL's table `table`. */
export function mySqlTableWithoutToken(table: string): string {
  return `CREATE TABLE \`${table}\` (
    \`key\` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    \`data\` LONGTEXT NOT NULL, \`created_at\` BIGINT NOT NULL, \`expires_at\` BIGINT NOT NULL,
    \`version\` INT NOT NULL, \`schema_version\` INT NOT NULL, \`expiry\` TEXT NULL,
    PRIMARY KEY (\`key\`), KEY \`expires_at\` (\`expires_at\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`
}
