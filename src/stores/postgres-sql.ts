// The SQL of PostgresStore: its table, built from checked identifiers, and every statement.

const COLUMNS = 'key, data, created_at, expires_at, version, schema_version, expiry, token, owner'

/** FNV-1a, 32 bits, as 8 hex digits: short stable names derived from longer text. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(16).padStart(8, '0')
}

/**
 * The name of the index `<tableName>_<suffix>`. PostgreSQL truncates names to 63 bytes; a long
 * table name gets a hash so that two tables never end up sharing (and so skipping) one index name.
 */
export function indexName(tableName: string, suffix: string): string {
  const plain = `${tableName}_${suffix}`
  return plain.length <= 63 ? plain : `${tableName.slice(0, 38)}_${shortHash(tableName)}_${suffix}`
}

/** The SQL of one store: every statement, built once from the checked identifiers. */
export function statementsFor(schemaName: string, tableName: string) {
  const table = `"${schemaName}"."${tableName}"`
  const index = indexName(tableName, 'expires_at_idx')
  const ownerIndex = indexName(tableName, 'owner_idx')
  /** A block of `migrate` that adds `column` to a table of an earlier version. */
  const addColumn = (column: string, type: string) => `
  IF NOT EXISTS (
    SELECT FROM pg_attribute
    WHERE attrelid = '${table}'::regclass AND attname = '${column}' AND NOT attisdropped
  ) THEN
    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type};
  END IF;`
  /** A block of `migrate` that creates the index `name` unless it exists. */
  const createIndex = (name: string, definition: string) => `
  IF NOT EXISTS (
    SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '${schemaName}' AND c.relname = '${name}'
  ) THEN
    CREATE INDEX IF NOT EXISTS "${name}" ON ${table} ${definition};
  END IF;`
  const upsertSet =
    'data = EXCLUDED.data, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, ' +
    'version = EXCLUDED.version, schema_version = EXCLUDED.schema_version, ' +
    'expiry = EXCLUDED.expiry, token = EXCLUDED.token, owner = EXCLUDED.owner'
  return {
    // One DO block: one round trip, one transaction. The advisory lock serializes concurrent
    // migrations (CREATE ... IF NOT EXISTS alone can still fail on a unique index of the
    // catalog), and each object is created only if missing, so an application role without DDL
    // privileges can call migrate() once the table exists.
    migrate: `DO $migrate$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('typed-sessions migrate'));
  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = '${schemaName}') THEN
    CREATE SCHEMA IF NOT EXISTS "${schemaName}";
  END IF;
  IF NOT EXISTS (
    SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = '${schemaName}' AND c.relname = '${tableName}'
  ) THEN
    CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT COLLATE "C" PRIMARY KEY, -- base64url hashes: byte order is enough, and cheaper
      data JSONB NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      version INTEGER NOT NULL,
      schema_version INTEGER NOT NULL,
      expiry JSONB NULL,
      token TEXT NULL,
      owner TEXT COLLATE "C" NULL
    );
  END IF;
  -- A table of an earlier version gets the columns it lacks; each is checked first, because
  -- ALTER TABLE needs ownership even when the column exists.${addColumn('token', 'TEXT NULL')}${addColumn('owner', 'TEXT COLLATE "C" NULL')}${createIndex(index, '(expires_at)')}
  -- Partial: a session bound to no user (an anonymous visitor's) has no entry to maintain.${createIndex(ownerIndex, '(owner) WHERE owner IS NOT NULL')}
END
$migrate$`,
    // An expired row with the key is replaced; a live one is a collision (no row affected).
    create: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (key) DO UPDATE SET ${upsertSet} WHERE ${table}.expires_at <= $10`,
    load: `SELECT ${COLUMNS} FROM ${table} WHERE key = $1 AND expires_at > $2`,
    upsert: `INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (key) DO UPDATE SET ${upsertSet}`,
    // Under READ COMMITTED a concurrent UPDATE waits for the row lock, then re-checks this WHERE
    // on the new row version: of concurrent saves of one version exactly one matches.
    compareAndSet: `UPDATE ${table} SET data = $2, created_at = $3, expires_at = $4, version = $5,
schema_version = $6, expiry = $7, token = $8, owner = $9
WHERE key = $1 AND version = $10 AND expires_at > $11`,
    delete: `DELETE FROM ${table} WHERE key = $1`,
    // SKIP LOCKED: two processes sweeping at once share the work instead of waiting on each other.
    deleteExpired: `DELETE FROM ${table} WHERE key IN (
SELECT key FROM ${table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    scanFirst: `SELECT ${COLUMNS} FROM ${table} WHERE expires_at > $1 ORDER BY key LIMIT $2`,
    scanNext: `SELECT ${COLUMNS} FROM ${table} WHERE key > $3 AND expires_at > $1 ORDER BY key LIMIT $2`,
    // Through the partial owner index: `owner = $1` implies its `owner IS NOT NULL`.
    listOwner: `SELECT ${COLUMNS} FROM ${table} WHERE owner = $1 AND expires_at > $2`,
  }
}

export type Statement = Exclude<keyof ReturnType<typeof statementsFor>, 'migrate'>

/**
 * The statements of every request, sent as named prepared statements: measured on PostgreSQL 15,
 * parsing and planning once per connection made a load about 10-30% faster. The rare ones
 * (deleteExpired, scan) stay unnamed, so each run is planned for its own `now`.
 */
export const PREPARED: readonly Statement[] = [
  'create',
  'load',
  'upsert',
  'compareAndSet',
  'delete',
]

/** The store method each statement serves, for error messages. */
export const OPERATION: Record<Statement, string> = {
  create: 'create',
  load: 'load',
  upsert: 'save',
  compareAndSet: 'save',
  delete: 'delete',
  deleteExpired: 'deleteExpired',
  scanFirst: 'scan',
  scanNext: 'scan',
  listOwner: 'listOwner',
}
