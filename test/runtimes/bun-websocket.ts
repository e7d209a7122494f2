import { createChatApp } from '../../examples/websocket.js'
import { runReported, type ScenarioReport } from './report.js'
import { check } from './scenarios.js'

// The WebSocket example (examples/websocket.ts) on Bun's own server and WebSocket client, run
// by `npm run test:bun`: the socket is told when its session is logged out.

/** A WebSocket client that keeps what it receives and how it closed. */
class Socket {
  readonly messages: { type: string; [key: string]: unknown }[] = []
  closed: { code: number; reason: string } | undefined
  readonly #ws: WebSocket
  readonly opened: Promise<void>

  constructor(url: string, cookie: string) {
    // Bun's client takes headers: the upgrade request carries the session cookie.
    this.#ws = new WebSocket(url, { headers: { cookie } } as never)
    this.#ws.onmessage = (event) => this.messages.push(JSON.parse(String(event.data)))
    this.#ws.onclose = (event) => (this.closed = { code: event.code, reason: event.reason })
    this.opened = new Promise((resolve, reject) => {
      this.#ws.onopen = () => resolve()
      this.#ws.onerror = () => reject(new Error('the WebSocket did not open'))
    })
  }

  send(text: string): void {
    this.#ws.send(text)
  }

  /** Waits until `done` holds, for at most two seconds. */
  async until(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    if (!done()) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.messages)}`)
  }
}

async function withServer(run: (url: string) => Promise<void>): Promise<void> {
  const { app, websocket } = createChatApp()
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch, websocket })
  try {
    await run(`127.0.0.1:${server.port}`)
  } finally {
    server.stop(true)
  }
}

async function login(host: string, user: string): Promise<string> {
  const response = await fetch(`http://${host}/login`, { method: 'POST', body: user })
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!
}

const scenarios: [string, () => Promise<void>][] = [
  [
    'a socket reads and changes its session per message, and is told when it is logged out',
    () =>
      withServer(async (host) => {
        const cookie = await login(host, 'ada')
        const socket = new Socket(`ws://${host}/ws`, cookie)
        await socket.opened
        socket.send('hello')
        socket.send('again')
        await socket.until(() => socket.messages.length === 2, 'two echoes')
        check(
          socket.messages.map(({ user, messages, text }) => [user, messages, text]),
          [
            ['ada', 1, 'hello'],
            ['ada', 2, 'again'],
          ],
          'the echoes'
        )
        await fetch(`http://${host}/logout`, { method: 'POST', headers: { cookie } })
        await socket.until(() => socket.closed !== undefined, 'the close')
        check(socket.messages.at(-1)?.type, 'logged-out', 'told of the logout')
        check(socket.closed?.code, 4401, 'closed as logged out')
      }),
  ],
  [
    'a login elsewhere that moves the session asks the socket to reconnect',
    () =>
      withServer(async (host) => {
        const cookie = await login(host, 'ada')
        const socket = new Socket(`ws://${host}/ws`, cookie)
        await socket.opened
        await fetch(`http://${host}/login`, { method: 'POST', body: 'grace', headers: { cookie } })
        await socket.until(() => socket.closed !== undefined, 'the close')
        check([socket.messages.at(-1)?.type, socket.closed?.code], ['session-moved', 4000], 'moved')
      }),
  ],
  [
    'an upgrade without a logged-in session is refused',
    () =>
      withServer(async (host) => {
        const response = await fetch(`http://${host}/ws`, { headers: { upgrade: 'websocket' } })
        check(response.status, 401, 'no session, no socket')
      }),
  ],
]

/** Runs the WebSocket scenarios, counting them in `report`. */
export async function runWebSocketScenarios(runtime: string, report: ScenarioReport) {
  for (const [name, run] of scenarios) {
    await runReported(`${runtime} · WebSocket example · ${name}`, run, report, console.log)
  }
}

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    fetch: ReturnType<typeof createChatApp>['app']['fetch']
    websocket: unknown
  }): { port: number; stop(closeActiveConnections?: boolean): void }
}
