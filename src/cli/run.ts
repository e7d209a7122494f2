import { isSessionError } from '../core/errors.js'
import { findConfig, loadConfig, type CliConfig } from './config.js'
import { inspect, migrate, purgeExpired, stats, type CommandOptions } from './commands.js'
import { revoke, revokeUser, sessions } from './session-commands.js'
import type { CliOutput } from './output.js'

export type { CliOutput } from './output.js'

/** The help text of `typed-sessions --help`. */
export const USAGE = `Usage: typed-sessions <command> [options]

Commands:
  stats               count the sessions, per schema version, with their size
  inspect <id>        print the stored record of a session id (or a whole cookie value)
  migrate             upgrade every session to the current schema version
  purge-expired       delete expired sessions (stores without a native TTL)
  sessions <userId>   list a user's live sessions (handle, device, login and last-seen times)
  revoke <handle> --user <userId>
                      end one session of a user, by the handle \`sessions\` lists
  revoke-user <userId>
                      end every session of a user

Options:
  --config <file>     the module exporting { definition, store } (and optionally close());
                      default: sessions.config.{ts,mts,js,mjs} in the current directory
  --dry-run           migrate: report what would change, change nothing
  --user <userId>     revoke: the user whose session the handle names
  --batch-size <n>    records per scan batch (default 1000)
  --json              print the result as JSON
  -h, --help          print this help`

/** A session id, or a whole cookie value `<id>.<tag>`. */
const SESSION_ID_OR_COOKIE = /^[A-Za-z0-9_-]{22}(\.[A-Za-z0-9_-]{43})?$/

/** What each command takes as its argument ('' for none). */
const ARGUMENTS: Record<string, string> = {
  stats: '',
  inspect: 'session id',
  migrate: '',
  'purge-expired': '',
  sessions: 'user id',
  revoke: 'handle',
  'revoke-user': 'user id',
}

/** A mistake on the command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Parsed {
  command: string | undefined
  args: string[]
  config: string | undefined
  user: string | undefined
  options: CommandOptions
  help: boolean
}

function parse(argv: readonly string[]): Parsed {
  const parsed: Parsed = {
    command: undefined,
    args: [],
    config: undefined,
    user: undefined,
    options: { json: false, dryRun: false },
    help: false,
  }
  let optionsEnded = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    // A session id may start with '-' (base64url): one never reads as an option.
    if (optionsEnded || SESSION_ID_OR_COOKIE.test(arg) || !arg.startsWith('-')) {
      if (parsed.command === undefined) parsed.command = arg
      else parsed.args.push(arg)
      continue
    }
    if (arg === '--') {
      optionsEnded = true
      continue
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg]
    const value = () => {
      const next = inline ?? argv[++i]
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value.`)
      return next
    }
    if (flag === '--config') parsed.config = value()
    else if (flag === '--user') parsed.user = value()
    else if (flag === '--json') parsed.options.json = true
    else if (flag === '--dry-run') parsed.options.dryRun = true
    else if (flag === '--batch-size') {
      const size = Number(value())
      if (!Number.isSafeInteger(size) || size < 1) {
        throw new UsageError('--batch-size takes an integer >= 1.')
      }
      parsed.options.batchSize = size
    } else if (flag === '--help' || flag === '-h') parsed.help = true
    else throw new UsageError(`Unknown option ${flag}.`)
  }
  return parsed
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code: 0 done,
 * 1 failed (a store error, no such session), 2 a usage mistake.
 * @example process.exitCode = await runCli(process.argv.slice(2), consoleOutput())
 */
export async function runCli(
  argv: readonly string[],
  output: CliOutput,
  cwd: string = process.cwd()
): Promise<number> {
  let config: CliConfig | undefined
  try {
    const parsed = parse(argv)
    if (parsed.help || parsed.command === undefined) {
      output.out(USAGE)
      return parsed.help ? 0 : 2
    }
    const { command, args, options } = parsed
    const arity = ARGUMENTS[command]
    if (arity === undefined) throw new UsageError(`Unknown command ${command}.`)
    if (args.length !== (arity === '' ? 0 : 1)) {
      throw new UsageError(
        arity === '' ? `${command} takes no arguments.` : `${command} takes one ${arity}.`
      )
    }
    if ((command === 'revoke') !== (parsed.user !== undefined)) {
      throw new UsageError(
        command === 'revoke'
          ? 'revoke needs --user <userId>: the user whose session the handle names.'
          : '--user is an option of revoke only.'
      )
    }
    config = await loadConfig(await findConfig(cwd, parsed.config))
    const arg = args[0]!
    if (command === 'stats') await stats(config, options, output)
    else if (command === 'inspect') return await inspect(config, arg, options, output)
    else if (command === 'migrate') await migrate(config, options, output)
    else if (command === 'sessions') await sessions(config, arg, options, output)
    else if (command === 'revoke') return await revoke(config, arg, parsed.user!, options, output)
    else if (command === 'revoke-user') await revokeUser(config, arg, options, output)
    else await purgeExpired(config, options, output)
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`${error.message}\n\n${USAGE}\n`)
      return 2
    }
    const cause =
      isSessionError(error) && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    output.err(
      `${isSessionError(error) ? `${error.code}: ` : ''}${(error as Error)?.message ?? String(error)}${cause}\n`
    )
    return 1
  } finally {
    await config?.close?.()
  }
}
