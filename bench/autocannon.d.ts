/** The part of autocannon's programmatic API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
    headers?: Record<string, string>
    /** Called with each connection's client before its first request. */
    setupClient?: (client: Client) => void
  }

  /** One request of a client's sequence. */
  export interface RequestSpec {
    method?: string
    path?: string
    headers?: Record<string, string>
  }

  /** One connection of a run. */
  export interface Client {
    /** Replaces this connection's request sequence (pipelining 1 only). */
    setRequests(requests: RequestSpec[]): void
  }

  export interface Histogram {
    average: number
    stddev: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
  }

  export interface Result {
    requests: Histogram & { total: number; sent: number }
    latency: Histogram
    /** Seconds. */
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
  }

  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
