-- The session table of LibsqlStore (typed-sessions/libsql) for the default tableName 'sessions';
-- `await store.migrate()` creates the same. Times are epoch milliseconds, data and expiry are JSON,
-- token is the engine's per-save write token, owner the owner key of the user the session is bound
-- to (sessions per user, `listOwner`), NULL for a session bound to no one. data comes last so that
-- checks of expires_at and version never read through a large data value.
-- A table of an earlier version gets the column it lacks from `migrate()`, which keeps its rows:
-- ALTER TABLE "sessions" ADD COLUMN owner TEXT; then the owner index below.
CREATE TABLE IF NOT EXISTS "sessions" (
  key TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry TEXT,
  token TEXT,
  owner TEXT,
  data TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS "sessions_expires_at" ON "sessions" (expires_at);

-- Partial: a session bound to no one (an anonymous visitor's) has no entry in it.
CREATE INDEX IF NOT EXISTS "sessions_owner" ON "sessions" (owner) WHERE owner IS NOT NULL;
