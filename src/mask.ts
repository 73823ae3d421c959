/**
 * Which strings to register with the runner's masker for one secret.
 *
 * The runner masks a registered value and each trimmed line of it,
 * everywhere in the log from then on. Registering a whole PEM would
 * therefore blank every `-----END PRIVATE KEY-----` and every blank-looking
 * line in the log, so a multi-line secret is registered line by line,
 * leaving out armour lines and lines too short to be secret.
 */

/** Shorter lines carry too little to be worth masking, and masking them would blank ordinary text. */
export const minimumMaskLength = 8

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
