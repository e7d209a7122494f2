import type { ConcurrencyOutcome } from './concurrency.js'

/** The report's (and the README's) table of the concurrency benchmark. */
export function renderConcurrencyTable(outcomes: readonly ConcurrencyOutcome[]): string[] {
  return [
    '| store | concurrent updates | succeeded | final count / expected | retries per request | store saves per request | ms per request | ms per burst |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...outcomes.map((o) => {
      const requests = o.concurrent * o.bursts
      if (o.unavailable !== undefined)
        return `| ${o.store} | ${o.concurrent} | n/a: server down | | | | | |`
      const errors = Object.entries(o.errors)
        .map(([code, n]) => `${n} × ${code}`)
        .join(', ')
      const succeeded = `${o.succeeded} / ${requests}${errors === '' ? '' : ` (${errors})`}`
      const count = `${o.finalCount} / ${requests}${o.finalCount === requests ? '' : ' **lost**'}`
      return `| ${o.store} | ${o.concurrent} | ${succeeded} | ${count} | ${o.retriesPerRequest.toFixed(2)} | ${o.savesPerRequest.toFixed(2)} | ${o.msPerRequest.toFixed(1)} | ${o.msPerBurst.toFixed(0)} |`
    }),
  ]
}

/** The concurrency section of the report. */
export function renderConcurrency(outcomes: readonly ConcurrencyOutcome[]): string[] {
  if (outcomes.length === 0) return []
  const bursts = outcomes[0]?.bursts ?? 0
  const failed = outcomes.filter((o) => o.failed !== undefined)
  return [
    '',
    '## Concurrent updates of one session',
    '',
    `N requests at once on ONE session, each \`update('counter', (n) => n + 1)\`, through a real`,
    `HTTP server; ${bursts} burst(s) per store and N, each on a fresh session, summed. Retries are`,
    'store `save` calls beyond one per request (the in-process save lane can also merge saves,',
    'then saves per request fall below 1); ms per request is the mean latency in a burst.',
    '',
    ...renderConcurrencyTable(outcomes),
    ...(failed.length === 0
      ? []
      : ['', ...failed.map((o) => `**Failed:** ${o.store}, N = ${o.concurrent}: ${o.failed}`)]),
  ]
}
