import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type BrowserContextOptions } from 'playwright-core'
import { skipReasonFor } from './services.js'

/** Debian's chromium, which .ci/run installs (`apt-get install chromium`). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Why the browser tests are skipped (outside CI, no chromium); in CI a missing one fails. */
export const browserSkipReason = await skipReasonFor('Chromium', CHROMIUM, () => access(CHROMIUM))

/** Flags for a quiet, reproducible headless run in a container: no sandbox, GPU or network chatter. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const LAUNCH = { executablePath: CHROMIUM, headless: true, args: FLAGS }

/**
 * A headless chromium with a fresh profile (its own --user-data-dir, so no cookie survives from
 * another run), driven by playwright-core. `close()` ends the browser and removes the profile.
 * @example
 * const browser = await launchBrowser()
 * const page = await browser.context.newPage()
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext
  close(): Promise<void>
}> {
  const profile = await mkdtemp(join(tmpdir(), 'typed-sessions-chromium-'))
  const context = await chromium.launchPersistentContext(profile, LAUNCH)
  return {
    context,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/**
 * A headless chromium for several browsers at once: each `newContext()` has its own cookies and
 * storage (playwright's incognito-like contexts), as a user's laptop and phone would, and may send
 * its own `userAgent`. `close()` ends the browser and every context.
 * @example
 * const browsers = await launchBrowsers()
 * const [laptop, phone] = [await browsers.newContext(), await browsers.newContext()]
 */
export async function launchBrowsers(): Promise<{
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>
  close(): Promise<void>
}> {
  const browser = await chromium.launch(LAUNCH)
  return { newContext: (options) => browser.newContext(options), close: () => browser.close() }
}
