import { sha256Base64url } from '../core/crypto.js'

/**
 * What a session's device details keep of the client's IP address: `'truncate'` the network
 * (IPv4 /24, IPv6 /48: "203.0.113.0", "2001:db8:85a3::"), `'hash'` a 16-character hash of it
 * (to tell devices apart without showing the address; an unkeyed hash of an IPv4 address can be
 * reversed by trying them all, so it hides little), `'full'` the address, `'none'` nothing, or
 * the app's own function.
 */
export type IpPolicy = 'truncate' | 'hash' | 'full' | 'none' | ((ip: string) => string | undefined)

const POLICIES = new Set(['truncate', 'hash', 'full', 'none'])

/** True for a valid `IpPolicy`. */
export function isIpPolicy(value: unknown): value is IpPolicy {
  return typeof value === 'function' || POLICIES.has(value as string)
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const HEXTET = /^[0-9a-f]{1,4}$/

/** The address as `policy` keeps it; `undefined` for none, or for what is not an IP address. */
export function keptAddress(ip: string | undefined, policy: IpPolicy): string | undefined {
  if (ip === undefined || policy === 'none') return undefined
  if (typeof policy === 'function') {
    const kept = policy(ip)
    return typeof kept === 'string' && kept !== '' ? kept.slice(0, 64) : undefined
  }
  const address = normalizedAddress(ip)
  if (address === undefined) return undefined
  if (policy === 'full') return address.text
  if (policy === 'hash') return sha256Base64url(`typed-sessions ip\0${address.text}`).slice(0, 16)
  return address.kind === 4
    ? `${address.parts.slice(0, 3).join('.')}.0`
    : `${address.parts.slice(0, 3).join(':')}::`
}

type Address = { kind: 4 | 6; parts: string[]; text: string }

/** An IPv4 or IPv6 address in a canonical form (an IPv4-mapped IPv6 address as IPv4). */
function normalizedAddress(raw: string): Address | undefined {
  const ip = raw
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
  const v4 = ipv4Parts(ip)
  if (v4 !== undefined) return { kind: 4, parts: v4, text: v4.join('.') }
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip)
  if (mapped !== null) {
    const parts = ipv4Parts(mapped[1]!)
    if (parts !== undefined) return { kind: 4, parts, text: parts.join('.') }
  }
  const v6 = ipv6Parts(ip)
  return v6 === undefined ? undefined : { kind: 6, parts: v6, text: compressed(v6) }
}

function ipv4Parts(ip: string): string[] | undefined {
  const match = IPV4.exec(ip)
  if (match === null) return undefined
  const parts = match.slice(1).map(Number)
  return parts.every((part) => part <= 255) ? parts.map(String) : undefined
}

/** The eight hextets of an IPv6 address (without leading zeros), or undefined. */
function ipv6Parts(ip: string): string[] | undefined {
  if (ip.length > 45 || !ip.includes(':')) return undefined
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const split = (half: string) => (half === '' ? [] : half.split(':'))
  const head = split(halves[0]!)
  const tail = halves.length === 2 ? split(halves[1]!) : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const parts = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!parts.every((part) => HEXTET.test(part))) return undefined
  return parts.map((part) => part.replace(/^0+(?=.)/, ''))
}

/** The hextets written with the longest run of two or more zeros as `::` (RFC 5952). */
function compressed(parts: string[]): string {
  let best = { at: -1, length: 1 }
  for (let at = 0; at < parts.length;) {
    let end = at
    while (end < parts.length && parts[end] === '0') end++
    if (end - at > best.length) best = { at, length: end - at }
    at = end === at ? at + 1 : end
  }
  if (best.at === -1) return parts.join(':')
  return `${parts.slice(0, best.at).join(':')}::${parts.slice(best.at + best.length).join(':')}`
}
