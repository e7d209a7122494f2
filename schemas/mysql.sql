-- The session table of MySqlStore (typed-sessions/mysql), as `store.migrate()` creates it for the
-- default tableName 'sessions'. Run it yourself if the application's user may not create tables.
-- `key` compares byte for byte (utf8mb4_bin): record keys are base64url, where case matters.
-- `data` holds the session as JSON text; `expires_at` is epoch milliseconds; `version` counts
-- saves, modulo 2^31 (so it never overflows); `token` is the engine's per-save write token;
-- `owner` is the owner key of the user the session is bound to (sessions per user, `listOwner`),
-- NULL for a session bound to no one.
-- A table of an earlier version gets what it lacks from `migrate()`, which keeps its rows:
-- ALTER TABLE `sessions` ADD COLUMN `token` VARCHAR(255) NULL AFTER `expiry`;
-- ALTER TABLE `sessions` ADD COLUMN `owner` VARCHAR(191) CHARACTER SET utf8mb4
--   COLLATE utf8mb4_bin NULL AFTER `token`;
-- ALTER TABLE `sessions` ADD KEY `owner` (`owner`);
CREATE TABLE IF NOT EXISTS `sessions` (
  `key` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  `data` LONGTEXT NOT NULL,
  `created_at` BIGINT NOT NULL,
  `expires_at` BIGINT NOT NULL,
  `version` INT NOT NULL,
  `schema_version` INT NOT NULL,
  `expiry` TEXT NULL,
  `token` VARCHAR(255) NULL,
  `owner` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  PRIMARY KEY (`key`),
  KEY `expires_at` (`expires_at`),
  KEY `owner` (`owner`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
