// How the runtime runners count and print their scenarios (no test framework on Bun).

/** What one run of the scenarios found. */
export interface ScenarioReport {
  passed: number
  failed: number
  failures: string[]
}

/** Runs one scenario, printing `ok` or `FAIL` with `title`, and counts it in `report`. */
export async function runReported(
  title: string,
  run: () => Promise<void>,
  report: ScenarioReport,
  log: (line: string) => void
): Promise<void> {
  try {
    await run()
    report.passed++
    log(`ok   ${title}`)
  } catch (error) {
    report.failed++
    report.failures.push(`${title}: ${String(error)}`)
    log(
      `FAIL ${title}\n     ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
    )
  }
}
