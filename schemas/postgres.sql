-- The table of PostgresStore with its defaults (schemaName 'public', tableName 'sessions'):
-- what `await store.migrate()` creates, for applying with a migration tool instead.
-- Times are epoch milliseconds; `version` counts saves, modulo 2^31 (so it never overflows);
-- `expiry` is the per-session expiry, if set; `token` is the engine's per-save write token.
-- A table from before it needs
-- ALTER TABLE "public"."sessions" ADD COLUMN IF NOT EXISTS token TEXT NULL; (migrate() does it).
CREATE SCHEMA IF NOT EXISTS "public";

CREATE TABLE IF NOT EXISTS "public"."sessions" (
  key TEXT COLLATE "C" PRIMARY KEY, -- base64url hashes: byte order is enough, and cheaper
  data JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  version INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  expiry JSONB NULL,
  token TEXT NULL
);

-- deleteExpired() deletes by expires_at.
CREATE INDEX IF NOT EXISTS "sessions_expires_at_idx" ON "public"."sessions" (expires_at);
