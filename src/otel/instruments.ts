import type { Counter, Histogram, Meter } from '@opentelemetry/api'

/** The buckets the conventions advise for `db.client.operation.duration`, in seconds. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]
/** Record sizes from a counter (tens of bytes) to the 1 MiB default `maxSize`. */
const SIZE_BUCKETS = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576]

/** Every metric instrument of typed-sessions, made once per meter. */
export interface Instruments {
  readonly created: Counter
  readonly cycled: Counter
  readonly ended: Counter
  readonly expired: Counter
  readonly invalid: Counter
  readonly conflicts: Counter
  readonly retries: Counter
  readonly storeErrors: Counter
  readonly timeouts: Counter
  readonly saveDuration: Histogram
  readonly recordSize: Histogram
  readonly storeDuration: Histogram
}

/** Makes the instruments on `meter`; names and units follow OpenTelemetry's naming guidelines. */
export function createInstruments(meter: Meter): Instruments {
  const counter = (name: string, unit: string, description: string) =>
    meter.createCounter(name, { unit, description })
  return {
    created: counter('typed_sessions.session.created', '{session}', 'New sessions created.'),
    cycled: counter(
      'typed_sessions.session.cycled',
      '{session}',
      'Sessions moved to a new id by cycleId (a login or a privilege change).'
    ),
    ended: counter(
      'typed_sessions.session.ended',
      '{session}',
      'Sessions ended by a logout (end_reason logout) or a revocation (revoked).'
    ),
    expired: counter(
      'typed_sessions.session.expired',
      '{session}',
      'Sessions ended by time: found expired on load, past absoluteTimeout, or removed by deleteExpired.'
    ),
    invalid: counter(
      'typed_sessions.invalid',
      '{event}',
      'Cookies that did not verify and stored data that did not fit the schema, with the decision (drop or throw).'
    ),
    conflicts: counter(
      'typed_sessions.save.conflicts',
      '{conflict}',
      'Compare-and-set saves that lost to a concurrent save.'
    ),
    retries: counter(
      'typed_sessions.save.retries',
      '{retry}',
      'Attempts after the first of the saves that succeeded.'
    ),
    storeErrors: counter(
      'typed_sessions.store.errors',
      '{error}',
      'Store calls that failed, other than timeouts; error.type is the SessionError code.'
    ),
    timeouts: counter(
      'typed_sessions.store.timeouts',
      '{timeout}',
      'Store calls that did not settle within what was left of storeTimeout (or were not started, none being left).'
    ),
    saveDuration: meter.createHistogram('typed_sessions.save.duration', {
      unit: 's',
      description: 'Duration of saves, every attempt, backoff and wait in the save lane included.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    recordSize: meter.createHistogram('typed_sessions.record.size', {
      unit: 'By',
      description: 'Bytes of session data as JSON, per record written.',
      advice: { explicitBucketBoundaries: SIZE_BUCKETS },
    }),
    storeDuration: meter.createHistogram('db.client.operation.duration', {
      unit: 's',
      description: 'Duration of session store calls.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
  }
}
