/**
 * The one place where text meets the runner. Every string the action
 * prints, annotates, summarises or outputs goes through `Secrets`: first
 * every registered secret is scrubbed from it, and only then is it cut,
 * flattened or escaped, so no cut can leave part of a secret behind.
 */

/** Shorter lines of a multi-line secret carry at most 2 bytes of base64; masking them would blank ordinary text. */
export const minimumMaskLength = 4

const armour = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/

/**
 * The strings to register with the runner for one secret. The runner masks
 * every line of a registered value log-wide, so a PEM is registered line by
 * line without its armour (which would blank `-----END PRIVATE KEY-----`
 * everywhere), plus its body joined into one line.
 */
export function maskFragments(secret: string): string[] {
  const body = secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !armour.test(line))
  if (body.length <= 1) return body
  return [...new Set([...body.filter((line) => line.length >= minimumMaskLength), body.join('')])]
}

/** Control, format and line-separator characters: a server's text never gets to start a line or hide text. */
const unsafe = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu

/** One line of plain text: no control characters, single spaces. */
export function flatten(text: string): string {
  return text.replace(unsafe, ' ').replace(/ {2,}/g, ' ').trim()
}

/** At most `max` characters (code points), marking a cut with '…'. */
export function cut(text: string, max: number): string {
  const chars = Array.from(text)
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`
}

/** At most `maxBytes` as the runner receives it: UTF-8, with '%' escaped as '%25' in a workflow command. */
export function cutToBytes(text: string, maxBytes: number): string {
  const cost = (s: string) => Buffer.byteLength(s, 'utf8') + (s.match(/%/g)?.length ?? 0) * 2
  if (cost(text) <= maxBytes) return text
  let used = cost('…')
  let kept = ''
  for (const char of text) {
    used += cost(char)
    if (used > maxBytes) break
    kept += char
  }
  return `${kept}…`
}

/** Workflow commands start a line with '::' (or the legacy '##['); a line of ours never may. */
function neverACommand(line: string): string {
  return /^\s*(::|##\[)/.test(line) ? `> ${line}` : line
}

/** Every secret this run has seen, in the forms a server might echo: as is, JSON-escaped and URL-encoded. */
export class Secrets {
  readonly #values = new Set<string>()
  #longestFirst: string[] = []

  /** Remembers a secret and returns the strings to register with the runner's masker. */
  add(secret: string): string[] {
    const fragments = maskFragments(secret)
    for (const value of [secret.trim(), ...fragments]) {
      if (value === '') continue
      this.#values.add(value)
      this.#values.add(JSON.stringify(value).slice(1, -1))
      this.#values.add(encodeURIComponent(value))
    }
    // Longest first, so a whole value is replaced before any of its lines.
    this.#longestFirst = [...this.#values].sort((a, b) => b.length - a.length)
    return fragments
  }

  scrub(text: string): string {
    let result = text
    for (const value of this.#longestFirst) if (result.includes(value)) result = result.split(value).join('***')
    return result
  }

  /** A server's words, fit to quote: scrubbed, then stripped of markup if asked, flattened and cut. */
  quote(text: string, max: number, options: { html?: boolean } = {}): string {
    let clean = this.scrub(text)
    if (options.html) clean = clean.replace(/<[^>]*>/g, ' ')
    return cut(flatten(clean), max)
  }

  /** A log line: scrubbed, one line, never a workflow command. */
  line(text: string): string {
    return neverACommand(flatten(this.scrub(text)))
  }

  /** An annotation (::error:: or ::warning::): scrubbed, one line, at most `maxBytes` once escaped. */
  annotation(text: string, maxBytes: number): string {
    return cutToBytes(flatten(this.scrub(text)), maxBytes)
  }
}
