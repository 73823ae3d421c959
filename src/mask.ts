/**
 * Which strings to register with the runner's masker for one secret, and a
 * last line of defence for the text the action itself writes.
 *
 * The runner masks a registered value and each trimmed line of it,
 * everywhere in the log from then on. Registering a whole PEM would
 * therefore blank every `-----END PRIVATE KEY-----` and every blank-looking
 * line in the log, so a multi-line secret is registered line by line,
 * leaving out armour lines and blank lines.
 */

/**
 * Shorter lines cannot be a line of base64 (which comes in groups of 4),
 * carry at most 2 bytes, and masking them would blank ordinary text.
 */
export const minimumMaskLength = 4

const armour = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/

export function maskFragments(secret: string): string[] {
  const fragments = new Set<string>()
  const lines = secret.split(/\r?\n/).map((line) => line.trim())
  const body = lines.filter((line) => line !== '' && !armour.test(line))
  // A one-line secret (an API key, the base64 form) is masked whatever its length.
  if (body.length === 1) return body
  for (const line of body) {
    if (line.length >= minimumMaskLength) fragments.add(line)
  }
  // The body as one line: the form a PEM takes once its newlines are stripped.
  if (body.length > 1) fragments.add(body.join(''))
  return [...fragments]
}

/**
 * Every secret the action has registered, so that text it writes itself
 * (the failure message, the job summary, which is a file the runner does
 * not mask) can be scrubbed of any of them, in the forms a server might
 * echo: as is, JSON-escaped and URL-encoded.
 */
export class Secrets {
  readonly #values = new Set<string>()

  /** Remembers a secret and returns the strings to register with the runner. */
  add(secret: string): string[] {
    const fragments = maskFragments(secret)
    for (const value of [secret.trim(), ...fragments]) {
      if (value === '') continue
      this.#values.add(value)
      this.#values.add(JSON.stringify(value).slice(1, -1))
      this.#values.add(encodeURIComponent(value))
    }
    return fragments
  }

  redact(text: string): string {
    // Longest first, so a whole value is replaced before any of its lines.
    const values = [...this.#values].sort((a, b) => b.length - a.length)
    return values.reduce((result, value) => result.split(value).join('***'), text)
  }
}
