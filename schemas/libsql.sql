-- The session table of LibsqlStore (typed-sessions/libsql) for the default tableName 'sessions';
-- `await store.migrate()` creates the same. Times are epoch milliseconds, data and expiry are JSON,
-- token is the engine's per-save write token. data comes last so that checks of expires_at and
-- version never read through a large data value.
CREATE TABLE IF NOT EXISTS "sessions" (
  key TEXT NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry TEXT,
  token TEXT,
  data TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS "sessions_expires_at" ON "sessions" (expires_at);
