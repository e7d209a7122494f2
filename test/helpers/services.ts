/**
 * Where the store tests find their servers, and what they do when one is down: in CI (`CI` set)
 * the tests fail; elsewhere they are skipped, with one line saying which and why.
 */
export const services = {
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  postgres: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/** In CI a missing server is a failure, never a silent skip. */
function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false'
}

/**
 * `undefined` when `probe` reaches the server, else the reason to skip the store's tests.
 * In CI an unreachable server throws instead, so the run fails.
 */
export async function skipReasonFor(
  name: string,
  url: string,
  probe: () => Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env
): Promise<string | undefined> {
  try {
    await probe()
    return undefined
  } catch (error) {
    const reason = `${name} is not reachable at ${redact(url)} (${(error as Error).message})`
    if (isCI(env)) throw new Error(`${reason}; CI needs it: .ci/run starts it.`)
    console.warn(`skipping the ${name} store tests: ${reason}`)
    return reason
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}
