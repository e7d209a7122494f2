import { SessionError } from '../core/errors.js'

/*
 * The messages of the option checks (`option-checks.ts`): an unknown name with the nearest known
 * one, a wrong value shown short and typed, lists in prose.
 */

/**
 * The error for an unknown option `name` (`what` says of what), with what to pass instead: a
 * hint for another library's option, else the nearest known name, else the list of them.
 */
export function unknownName(
  label: string,
  what: string,
  known: object,
  hints: Readonly<Record<string, string>>
): SessionError {
  const name = label.slice(label.lastIndexOf('.') + 1)
  if (Object.hasOwn(hints, name)) return configError(`${label} is not ${what}: ${hints[name]!}.`)
  const names = Object.keys(known)
  const near = names.find((candidate) => isNear(name, candidate))
  const advice = near === undefined ? '' : ` Did you mean ${near}?`
  return configError(`${label} is not ${what}.${advice} The options are ${andList(names)}.`)
}

function andList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`
}

export function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`
}

/** A typo of `candidate`: the same letters in another case, or at most two edits away. */
function isNear(name: string, candidate: string): boolean {
  const a = name.toLowerCase()
  const b = candidate.toLowerCase()
  if (a === b) return true
  if (Math.abs(a.length - b.length) > 2 || b.length < 5) return false
  // Levenshtein distance, one row at a time.
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost)
    }
    row = next
  }
  return row[b.length]! <= 2
}

/** A wrong value as a message shows it: short, and typed where that is the mistake. */
export function shown(value: unknown): string {
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value
    return `the string ${JSON.stringify(text)}`
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

export function configError(message: string): SessionError {
  return new SessionError('CONFIG', message)
}
