import { SessionError } from '../core/errors.js'

/** The fewest characters a cookie secret may have, in both cookie modes (signed and sealed). */
export const MIN_SECRET_LENGTH = 32
// A random 32-character secret has ~25 distinct characters (base64url) or ~15 (hex); fewer than
// 8 means a repeated or patterned string (`'a'.repeat(32)`), which an attacker guesses first.
const MIN_DISTINCT_CHARACTERS = 8

const HOW_TO_FIX =
  `a random string of at least ${MIN_SECRET_LENGTH} characters, e.g. generate one with ` +
  '`openssl rand -base64 32`, keep it in the environment (such as SESSION_SECRET) and never ' +
  'commit it. To rotate, pass [newSecret, oldSecret]: the first signs, all verify.'

/**
 * The secrets of a key ring `secret` (one string, or `[current, ...previous]`), checked: the one
 * check of the signed cookies and of the `CookieStore`'s sealed ones, so both refuse the same
 * secrets with the same messages. Messages never contain a secret.
 * @throws SessionError `CONFIG` when the secret is missing, empty, not a string, shorter than 32
 * characters or made of fewer than 8 distinct characters
 */
export function checkSecretRing(secret: unknown): readonly string[] {
  if (secret === undefined || secret === null || secret === '') {
    throw new SessionError(
      'CONFIG',
      `No cookie secret was given (is the environment variable set?). Pass \`secret\`: ${HOW_TO_FIX}`
    )
  }
  const list: readonly unknown[] = Array.isArray(secret) ? secret : [secret]
  if (list.length === 0) {
    throw new SessionError(
      'CONFIG',
      `\`secret\` is an empty array. Pass at least one secret, the current one first: ${HOW_TO_FIX}`
    )
  }
  return list.map((item, index) => {
    const label = Array.isArray(secret) ? `\`secret[${index}]\`` : '`secret`'
    if (typeof item !== 'string') {
      throw new SessionError(
        'CONFIG',
        `${label} must be a string, not ${item === null ? 'null' : typeof item}. Use ${HOW_TO_FIX}`
      )
    }
    if (item.length < MIN_SECRET_LENGTH) {
      throw new SessionError(
        'CONFIG',
        `${label} is shorter than ${MIN_SECRET_LENGTH} characters, too weak to protect cookies. Use ${HOW_TO_FIX}`
      )
    }
    if (new Set(item).size < MIN_DISTINCT_CHARACTERS) {
      throw new SessionError(
        'CONFIG',
        `${label} has fewer than ${MIN_DISTINCT_CHARACTERS} distinct characters: a repeated or ` +
          'patterned string is guessed first, whatever its length. Generate a random one with ' +
          '`node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"` (or ' +
          '`openssl rand -base64 32`) and keep it in the environment, such as SESSION_SECRET.'
      )
    }
    return item
  })
}
