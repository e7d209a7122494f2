-- The table of PostgresStore with its defaults (schemaName 'public', tableName 'sessions'):
-- what `await store.migrate()` creates, for applying with a migration tool instead.
-- Times are epoch milliseconds; `version` counts saves, modulo 2^31 (so it never overflows);
-- `expiry` is the per-session expiry, if set; `token` is the engine's per-save write token;
-- `owner` is the owner key of the user the session is bound to (sessions per user, `listOwner`),
-- NULL for a session bound to no one.
-- A table of an earlier version gets what it lacks from `migrate()`, which keeps its rows:
-- ALTER TABLE "public"."sessions" ADD COLUMN IF NOT EXISTS token TEXT NULL;
-- ALTER TABLE "public"."sessions" ADD COLUMN IF NOT EXISTS owner TEXT COLLATE "C" NULL;
-- then the owner index below. Building it blocks writes while it reads the table: on a large
-- table, create it beforehand without blocking them, and `migrate()` finds it by its name:
-- CREATE INDEX CONCURRENTLY IF NOT EXISTS "sessions_owner_idx" ON "public"."sessions" (owner)
--   WHERE owner IS NOT NULL;
CREATE SCHEMA IF NOT EXISTS "public";

CREATE TABLE IF NOT EXISTS "public"."sessions" (
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

-- deleteExpired() deletes by expires_at.
CREATE INDEX IF NOT EXISTS "sessions_expires_at_idx" ON "public"."sessions" (expires_at);

-- listOwner() looks up owner. Partial: a session bound to no one has no entry in it.
CREATE INDEX IF NOT EXISTS "sessions_owner_idx" ON "public"."sessions" (owner)
  WHERE owner IS NOT NULL;
