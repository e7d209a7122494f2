// The CLI's config in the CommonJS consumer: a plain .mjs module, no TypeScript runtime needed.
import { z } from 'zod'
import { defineSession, MemoryStore } from 'typed-sessions'

export const definition = defineSession(z.object({ counter: z.number().default(0) }))
export const store = new MemoryStore()
