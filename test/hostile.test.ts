// Servers that answer badly on purpose, one class per test: nothing leaks, server text is never
// obeyed, no key is lost, and everything stays bounded.
import { describe, expect } from 'vitest'
import { changes, it, storing, tokens } from './support/world.ts'

/** Every run of 8 characters of a token: a token cut anywhere still shows one of these. */
function pieces(secret: string): string[] {
  return Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8))
}

/** Pieces of the secret in what the run printed (but its own mask registrations) and summarised. */
function leaks(view: { stdout: string; summary: string; outputs: Record<string, string> }, secret: string): string[] {
  const printed = view.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'))
  const shown = [...printed, view.summary, JSON.stringify(view.outputs)].join('\n')
  return pieces(secret).filter((piece) => shown.includes(piece))
}

const listPath = '/v1/staging/ws_signing_key/'

describe('a token echoed back', () => {
  it('in an HTML page is scrubbed before the excerpt is cut, in the log and the summary', async ({ world }) => {
    world.suprsend.inject({ method: 'GET', path: listPath, status: 400, echoHeaders: true })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(view.error).toMatch(
      /^list-signing-keys in workspace 'staging' failed: SuprSend answered HTTP 400 with a body that is not JSON/,
    )
    expect(leaks(view, tokens.service)).toEqual([])
  })

  it('inside a JSON error message is scrubbed too', async ({ world }) => {
    world.suprsend.inject({
      method: 'GET',
      path: listPath,
      status: 400,
      body: { message: `bad token ${tokens.service}` },
    })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(view.error).toBe(
      "list-signing-keys in workspace 'staging' failed: SuprSend answered HTTP 400 while listing signing keys: bad token ***.",
    )
    expect(leaks(view, tokens.service)).toEqual([])
  })

  it('in a field of a listed key is scrubbed from the non-secret outputs', async ({ world }) => {
    world.suprsend.seedApiKey('staging', { name: `leaked ${tokens.service}` })
    const view = await world.run({ operation: 'list-api-keys' })
    expect(view.outputs['keys']).toContain('"name":"leaked ***"')
    expect(leaks(view, tokens.service)).toEqual([])
  })
})

describe('the tokens', () => {
  it('are registered first, even when the inputs are rejected', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-keys', 'github-token': tokens.github })
    expect(view.stdout.split('\n').slice(0, 2)).toEqual([
      `::add-mask::${tokens.service}`,
      `::add-mask::${tokens.github}`,
    ])
    expect(view.calls).toEqual(['setSecret', 'setSecret', 'setFailed'])
  })
})

describe('server text is data', () => {
  it('a uid with a newline and a workflow command never starts a line of the log', async ({ world }) => {
    world.suprsend.seedSigningKey('staging', {
      uid: 'signing_key_x\n::stop-commands::pwned',
      status: 'rolled\n::warning::fake',
    })
    const view = await world.run({ operation: 'list-signing-keys' })
    const commands = view.stdout
      .split('\n')
      .filter((line) => /^\s*(::|##\[)/.test(line) && !line.startsWith('::add-mask::'))
    expect(commands).toEqual([])
    expect(view.exitCode).toBe(0)
  })

  it('a key name with markdown renders as code in the summary, never as a link or an image', async ({ world }) => {
    world.suprsend.seedPublicKey('staging', { name: '![x](https://evil.example/p.png) [click](https://evil.example)' })
    const view = await world.run({ operation: 'list-public-keys' })
    expect(view.summary).toContain('| ` ![x](https://evil.example/p.png) [click](https://evil.example) ` |')
  })
})

describe('answers that could cost a key', () => {
  it('a byte-order mark before the roll answer still gives the key, which is stored', async ({ world }) => {
    world.suprsend.inject({ method: 'POST', path: `${listPath}${world.signingKey.uid}/roll/`, bom: true })
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    expect(view.exitCode).toBe(0)
    const active = world.suprsend.activeSigningKey('staging')
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      active?.private_key_pem,
    )
  })

  it('a roll whose answer drips past the timeout is reported as a timeout, and not retried', async ({ world }) => {
    world.suprsend.inject({
      method: 'POST',
      path: `${listPath}${world.signingKey.uid}/roll/`,
      drip: { intervalMs: 300, chunkBytes: 1 },
    })
    const view = await world.run({ operation: 'rotate-signing-key', 'request-timeout': '1' })
    expect(view.error).toContain(
      "the request may have reached SuprSend while rolling signing key 'signing_key_000001', but timed out after 1 s; it was not retried",
    )
    expect(changes(world)).toEqual([`suprsend POST ${listPath}signing_key_000001/roll/`])
  })

  it('a roll whose answer is cut off is reported as possibly done, with how to check', async ({ world }) => {
    world.suprsend.inject({ method: 'POST', path: `${listPath}${world.signingKey.uid}/roll/`, cutAfterBytes: 20 })
    const view = await world.run({ operation: 'rotate-signing-key' })
    expect(view.error).toContain('but the connection was closed before the answer was complete; it was not retried')
    expect(view.error).toContain("Run list-signing-keys to check: if 'signing_key_000001' is now 'rolled'")
  })

  it('a roll answered 503 is not retried', async ({ world }) => {
    world.suprsend.inject({ method: 'POST', path: `${listPath}${world.signingKey.uid}/roll/`, status: 503 })
    await world.run({ operation: 'rotate-signing-key' })
    expect(changes(world)).toEqual([`suprsend POST ${listPath}signing_key_000001/roll/`])
  })

  it('a redirect to another host is not followed', async ({ world }) => {
    world.suprsend.inject({
      method: 'GET',
      path: listPath,
      status: 302,
      headers: { location: 'https://evil.example/' },
      body: '',
    })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(view.error).toMatch(/SuprSend answered HTTP 302/)
  })
})

describe('bounds', () => {
  it('a 9 MB error message gives an error line of at most 4 KiB and a summary under 1 MiB', async ({ world }) => {
    world.suprsend.inject({ method: 'GET', path: listPath, status: 400, hugeBody: 9_000_000 })
    const view = await world.run({ operation: 'list-signing-keys' })
    const errorLine = view.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? ''
    expect(Buffer.byteLength(errorLine)).toBeLessThanOrEqual(4096)
    expect(Buffer.byteLength(view.summary)).toBeLessThan(1_048_576)
  })

  it('an answer over 10 MiB is not read', async ({ world }) => {
    world.suprsend.inject({
      method: 'POST',
      path: `${listPath}${world.signingKey.uid}/roll/`,
      hugeBody: { bytes: 11 * 1024 * 1024, json: false },
      status: 200,
    })
    const view = await world.run({ operation: 'rotate-signing-key' })
    expect(view.error).toContain('but the answer was larger than 10 MiB, so it was not read; it was not retried')
  })
})
