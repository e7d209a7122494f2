#!/usr/bin/env node
/**
 * The `typed-sessions` command (the package's `bin`): `npx typed-sessions --help`.
 */
import { runCli } from './run.js'

const output = {
  out: (line: string) => void process.stdout.write(`${line}\n`),
  err: (text: string) => void process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
}

process.exitCode = await runCli(process.argv.slice(2), output)
// A config's clients (a Redis connection, a pool) may keep the event loop alive after close().
process.exit()
