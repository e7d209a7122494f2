/** Messages between the runner and a server child over the IPC channel. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; user: number; system: number }

export type ParentMessage = { type: 'cpu' }
