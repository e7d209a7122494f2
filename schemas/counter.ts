import { z } from 'zod'
import { defineSession } from 'typed-sessions'

/** The counter of DESIGN.md §5: shared by the example, the tests and the benchmarks. */
export const counterSession = defineSession(z.object({ counter: z.number().int().default(0) }))
