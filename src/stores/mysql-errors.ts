// How MySqlStore reads the server's errors: a value refused for good, a missing table, a dead
// connection worth one more try; anything else is an outage (`STORE_UNAVAILABLE`).

/** Whether the server refused a statement as larger than its `max_allowed_packet`. */
function isPacketTooLarge(error: unknown): boolean {
  return (error as { errno?: unknown } | null)?.errno === 1153 // ER_NET_PACKET_TOO_LARGE
}

/**
 * Why the server refused a record's value for good, as a sentence with a fix, or `undefined`
 * for any other failure. The codes, as MariaDB 10.11 answers: 1153 ER_NET_PACKET_TOO_LARGE
 * (SQLSTATE 08S01) for a statement larger than `max_allowed_packet`, after which the server
 * closes the connection; 1406 ER_DATA_TOO_LONG (22001) for a token or expiry longer than its
 * column.
 */
export function refusedValue(error: unknown): string | undefined {
  if (isPacketTooLarge(error)) {
    return "the record is larger than the server's max_allowed_packet; store less in the session, or raise max_allowed_packet on the server."
  }
  if ((error as { errno?: unknown } | null)?.errno === 1406) {
    return 'a field of the record is longer than its column allows (ER_DATA_TOO_LONG); check the table against schemas/mysql.sql.'
  }
  return undefined
}

/**
 * Whether the server says the table or one of its columns does not exist: 1146
 * ER_NO_SUCH_TABLE, 1054 ER_BAD_FIELD_ERROR (a table from before the `token` column).
 */
export function isMissingTable(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno
  return errno === 1146 || errno === 1054
}

/**
 * Whether a statement failed because its pooled connection died (killed, reset, or closed by
 * the server after a too-large packet), so another connection of the pool may well succeed.
 * mysql2 marks such errors `fatal`; a server that cannot be reached at all (ECONNREFUSED) is not
 * retried.
 */
export function isDeadConnection(error: unknown): boolean {
  const { fatal, code, message } = (error ?? {}) as {
    fatal?: unknown
    code?: unknown
    message?: unknown
  }
  if (fatal !== true) return false
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'PROTOCOL_CONNECTION_LOST' ||
    message === "Can't add new command when connection is in closed state"
  )
}
