/**
 * The login example's user directory, in memory: what a real app reads from its database.
 */
import { scryptSync, timingSafeEqual } from 'node:crypto'

/** A user of the example's directory. */
export interface User {
  id: string
  name: string
  passwordHash: Buffer
  /** Bumped by each password change: part of the auth hash, so other sessions end. */
  passwordVersion: number
  disabled: boolean
}

const SALT = 'example salt: use a random salt per user'
const hashPassword = (password: string) => scryptSync(password, SALT, 32)

/** The example's users: ada with the password "lovelace". */
export class Users {
  readonly #byId = new Map<string, User>()

  constructor() {
    this.add('ada', 'Ada Lovelace', 'lovelace')
  }

  add(id: string, name: string, password: string): User {
    const user = {
      id,
      name,
      passwordHash: hashPassword(password),
      passwordVersion: 1,
      disabled: false,
    }
    this.#byId.set(id, user)
    return user
  }

  get(id: string): User | undefined {
    return this.#byId.get(id)
  }

  /** The user whose id and password match, or undefined; compares hashes in constant time. */
  check(id: string, password: string): User | undefined {
    const user = this.#byId.get(id)
    const hash = hashPassword(password)
    return user !== undefined && timingSafeEqual(user.passwordHash, hash) ? user : undefined
  }

  setPassword(user: User, password: string): void {
    user.passwordHash = hashPassword(password)
    user.passwordVersion++
  }
}
