import { isLoopback } from '../http/dispatcher.ts'

/**
 * Parsers for single input values. Each failure is one sentence that names
 * the input, says what is wrong and what is expected, and never echoes a
 * value that could be a secret pasted into the wrong input.
 */
export class InputError extends Error {}

/** Control, format and line-separator characters: invisible, or able to reorder what a reader sees. */
const invisible = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

export function badCharacter(value: string): string | undefined {
  if (invisible.test(value)) return 'an invisible or control character'
  if (/\s/.test(value)) return 'whitespace'
  if (value.includes('/')) return "'/'"
  if (value.includes('\\')) return "'\\'"
  if (value.includes('..')) return "'..'"
  return undefined
}

/** A token goes into an HTTP header, which takes visible ASCII only. */
export function parseToken(input: 'service-token' | 'github-token', value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new InputError(
      `Input '${input}' contains whitespace, a control character or a non-ASCII character; expected the token alone.`,
    )
  }
  return value
}

export function parseBoolean(input: string, value: string | undefined, fallback: boolean): boolean {
  if (!value) return fallback
  if (/^true$/i.test(value)) return true
  if (/^false$/i.test(value)) return false
  throw new InputError(`Input '${input}' is '${value.slice(0, 20)}'; expected 'true' or 'false'.`)
}

export function parseInteger(input: string, value: string | undefined, fallback: number, min: number, max: number) {
  if (!value) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new InputError(`Input '${input}' is '${value.slice(0, 20)}'; expected a whole number from ${min} to ${max}.`)
  }
  return n
}

/** Plain text for a key's name or description. */
export function parseText(input: string, value: string, maxLength: number): string {
  if (invisible.test(value)) {
    throw new InputError(`Input '${input}' contains an invisible or control character; expected plain text.`)
  }
  if (value.length > maxLength) {
    throw new InputError(`Input '${input}' is ${value.length} characters long; expected at most ${maxLength}.`)
  }
  return value
}

/** Kinds of SuprSend ids, so a wrong one can be called by its name. */
const idKinds = [
  { prefix: 'signing_key_', what: "a signing key uid ('signing_key_...')" },
  { prefix: 'ws_signk_', what: "a signing key id ('ws_signk_...'), not its uid" },
  { prefix: 'ws_pubk_', what: "a public key id ('ws_pubk_...')" },
  { prefix: 'SS.PUBK', what: "a public key's value ('SS.PUBK...'), not its id" },
  { prefix: 'ws_apik_', what: "an API key id ('ws_apik_...')" },
]

export function parseId(input: string, value: string, prefix: string, expected: string): string {
  const bad = badCharacter(value)
  if (bad) throw new InputError(`Input '${input}' contains ${bad}; expected ${expected}.`)
  if (!value.startsWith(prefix)) {
    const kind = idKinds.find((k) => value.startsWith(k.prefix))
    const got = kind ? `got ${kind.what}` : `does not start with '${prefix}'`
    throw new InputError(`Input '${input}' ${got}; expected ${expected}.`)
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(value) || value.length > 200 || value === prefix) {
    throw new InputError(`Input '${input}' is not a well-formed id; expected ${expected}.`)
  }
  return value
}

export function parseWorkspace(value: string): string {
  const bad = badCharacter(value)
  if (bad || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(value)) {
    throw new InputError(
      `Input 'workspace' ${bad ? `contains ${bad}` : 'is not a workspace slug'}; expected a slug such as 'staging' (letters, digits, '-', '_' or '.').`,
    )
  }
  return value
}

/** `rotate-if-older-than`: '<N>d' or '<N>h', N a positive whole number. */
export function parseAge(value: string): { ms: number; text: string } {
  const match = /^([1-9]\d{0,5})([dh])$/.exec(value)
  const hours = match ? Number(match[1]) * (match[2] === 'd' ? 24 : 1) : 0
  if (!match || hours > 87_600) {
    throw new InputError(
      `Input 'rotate-if-older-than' is '${value.slice(0, 20)}'; expected a whole number of days or hours such as '90d' or '36h' (at most 3650 days).`,
    )
  }
  return { ms: hours * 3_600_000, text: value }
}

interface UrlMessages {
  invalid: string
  cleartext: (protocol: string) => string
}

/** Credentials travel only over https, or plain http to an address that never leaves the machine. */
function parseUrl(value: string, messages: UrlMessages): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(messages.invalid)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new InputError(messages.cleartext(url.protocol.replace(':', '')))
  }
  return url
}

export function parseApiUrl(value: string, defaultUrl: string): URL {
  const url = parseUrl(value, {
    invalid: `Input 'api-url' is not a valid URL; expected an https URL such as '${defaultUrl}'.`,
    cleartext: (protocol) =>
      `Input 'api-url' uses ${protocol}; expected https (plain http is accepted only for a loopback address such as 127.0.0.1).`,
  })
  if (url.username || url.password || url.search || url.hash || url.pathname.includes('//')) {
    throw new InputError(
      `Input 'api-url' carries credentials, a query, a fragment or an empty path segment; expected a plain base URL such as '${defaultUrl}'.`,
    )
  }
  return url
}

/** Where the token that writes secrets goes: github.com, GHES or a data-residency host. */
export function parseGitHubApiUrl(value: string | undefined): URL {
  return parseUrl(value || 'https://api.github.com', {
    invalid: "GITHUB_API_URL is not a valid URL; expected the runner's API URL, such as 'https://api.github.com'.",
    cleartext: (protocol) =>
      `GITHUB_API_URL uses ${protocol}; the action sends 'github-token' only over https (or plain http to a loopback address).`,
  })
}
