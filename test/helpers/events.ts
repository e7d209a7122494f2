import type { SessionEvent, SessionEvents } from 'typed-sessions'

type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>

/** Every event handler, recording what it is told, in order: `on` goes into the options. */
export class EventLog {
  readonly events: SessionEvent[] = []
  readonly on: Required<SessionEvents>

  constructor() {
    const record = (event: SessionEvent) => void this.events.push(event)
    this.on = {
      created: record,
      loaded: record,
      saved: record,
      cycled: record,
      flushed: record,
      expired: record,
      invalid: record,
      conflict: record,
      storeError: record,
    }
  }

  /** The events of one type, in order. */
  of<T extends SessionEvent['type']>(type: T): EventOf<T>[] {
    return this.events.filter((event): event is EventOf<T> => event.type === type)
  }

  /** The types of the events so far, in order. */
  get types(): SessionEvent['type'][] {
    return this.events.map((event) => event.type)
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.events.length = 0
  }
}
