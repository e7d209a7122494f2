import type { JsonValue } from './json.js'
import { saveAtOnce } from './save-protocol.js'
import { sessionInner, type Session } from './session.js'

/*
 * The engine's calls as the typed layer and the request core make them: at once when the value
 * is at hand (the record loaded, or loaded at once from an in-process store), else a promise,
 * instead of a promise per call. They throw where `Session`'s methods reject. Internal: the
 * package exports only `Session`, whose methods are these with a promise around them.
 */

/** `session.get(key)`, at once when it can. */
export function readNow(
  session: Session,
  key: string
): JsonValue | undefined | Promise<JsonValue | undefined> {
  const s = sessionInner(session)
  s.access()
  return s.read(key)
}

/** `session.update(key, fn)`, at once when it can. */
export function updateNow(
  session: Session,
  key: string,
  fn: (current: JsonValue | undefined) => unknown
): JsonValue | undefined | Promise<JsonValue | undefined> {
  const s = sessionInner(session)
  s.change()
  return s.update(key, fn)
}

/** `session.delete(key)`, at once when it can. */
export function deleteNow(session: Session, key: string): boolean | Promise<boolean> {
  const s = sessionInner(session)
  s.change()
  return s.deleteKey(key)
}

/** `session.save()`: undefined when it was done at once, else its promise. */
export function saveNow(session: Session): Promise<void> | undefined {
  return saveAtOnce(sessionInner(session))
}
