/** Where the CLI writes: stdout for results, stderr for progress and errors. */
export interface CliOutput {
  out(line: string): void
  err(text: string): void
  /** True when stderr is a terminal: the progress bar redraws one line instead of printing many. */
  interactive: boolean
}

/** Bytes in a human unit: `512 B`, `12.3 KiB`, `4.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

const BAR_WIDTH = 30

/**
 * A progress bar for `done` of `total`: `[#########.....................]  300/1000  30%`. On a
 * terminal it redraws in place; elsewhere (a log, a pipe) each update is its own line.
 */
export function progressBar(output: CliOutput, label: string) {
  return {
    update(done: number, total: number) {
      const ratio = total === 0 ? 1 : Math.min(done / total, 1)
      const filled = Math.round(ratio * BAR_WIDTH)
      const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`
      const line = `${label} [${bar}] ${done}/${total} ${Math.round(ratio * 100)}%`
      output.err(output.interactive ? `\r${line}` : `${line}\n`)
    },
    end() {
      if (output.interactive) output.err('\n')
    },
  }
}
