import { mkdir, stat } from 'node:fs/promises'
import { platform } from 'node:os'
import { SessionError } from '../../core/errors.js'
import { codeOf } from './record-file.js'

/*
 * FileStore's folder belongs to the application's user alone: whoever can write into it can
 * replace any session's file (a visitor made an administrator) or plant one. The store creates
 * it 0700 and its files 0600, and refuses a folder that another user may write to.
 */

/** The mode of the folders FileStore creates: the owner's alone. */
export const PRIVATE_DIR_MODE = 0o700

/** Group- and other-write bits: a folder with any of them is not the application's alone. */
const WRITABLE_BY_OTHERS = 0o022

/**
 * Whether `dir` is a folder only its owner may write to: `true`, or `false` when it does not
 * exist. Throws `SessionError` `CONFIG` for a folder others may write to (sticky or not) or a
 * path that is no folder; any other failure (a parent that is a file, no permission to look)
 * is thrown as it is. Windows has no such mode bits: there it only checks that `dir` is a folder.
 */
export async function isPrivateDir(dir: string): Promise<boolean> {
  let info
  try {
    info = await stat(dir)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false
    throw error
  }
  if (!info.isDirectory()) {
    throw new SessionError(
      'CONFIG',
      `FileStore options.dir ${JSON.stringify(dir)} is not a folder; pass the folder for the session files.`
    )
  }
  if (platform() !== 'win32' && (info.mode & WRITABLE_BY_OTHERS) !== 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0')
    throw new SessionError(
      'CONFIG',
      `FileStore options.dir ${JSON.stringify(dir)} can be written by other users (mode ${mode}), who could then replace or plant session files. Make it the application user's alone (chmod 700 ${JSON.stringify(dir)}), or pass a folder of its own.`
    )
  }
  return true
}

/** Creates `dir` (and its missing parents) 0700 unless it exists, then checks it as `isPrivateDir`. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  await isPrivateDir(dir)
}
