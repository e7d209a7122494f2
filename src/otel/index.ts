export { sessionTelemetry } from './telemetry.js'
export type { SessionTelemetry, SessionTelemetryOptions } from './telemetry.js'
export type { InstrumentOptions } from './instrumented-store.js'
