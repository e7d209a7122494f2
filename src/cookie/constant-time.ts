/**
 * True when `a` and `b` hold the same bytes, in time that depends only on their length, never
 * on where they differ: comparing a MAC tag with an early exit would let a client learn a valid
 * tag byte by byte from response timings.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Lengths are public (a tag is always 32 bytes, and the caller checked the text length before
  // decoding), so returning early here leaks nothing an attacker does not already know.
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}
