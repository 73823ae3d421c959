// Cancellation, with the runner's signals sent by the test: before any change the run stops at
// once and sends no mutating request; after a roll it keeps storing and says what it stored.
import { EventEmitter } from 'node:events'
import { describe, expect } from 'vitest'
import { changes, it, storing, tokens } from './support/world.ts'

const secret = 'SUPRSEND_SIGNING_KEY'

/** A stand-in for `process` as a signal source: the test decides when the runner signals. */
function runner() {
  const signals = new EventEmitter()
  return { signals, send: (signal: 'SIGINT' | 'SIGTERM') => signals.emit(signal) }
}

describe('a signal before anything changed', () => {
  it('stops the run at once, during the preflight, and sends no mutating request', async ({ world }) => {
    const { signals, send } = runner()
    world.github.latencyMs = 400
    setTimeout(() => send('SIGINT'), 100)
    const view = await world.run({ operation: 'rotate-signing-key', ...storing }, { signals })
    expect(view.error).toBe(
      "rotate-signing-key in workspace 'staging' failed: the run was cancelled (SIGINT) before anything was changed in SuprSend.",
    )
    expect(changes(world)).toEqual([])
  })

  it('stops between the preflight and the roll', async ({ world }) => {
    const { signals, send } = runner()
    // The signal arrives with the last preflight answer, before the roll could be sent.
    world.github.inject({
      method: 'GET',
      path: '/repos/acme/app/actions/secrets/public-key',
      when: () => (send('SIGTERM'), false),
    })
    const view = await world.run({ operation: 'rotate-signing-key', ...storing }, { signals })
    expect(view.error).toContain('the run was cancelled (SIGTERM) before anything was changed in SuprSend')
    expect(changes(world)).toEqual([])
  })
})

describe('a signal after the roll', () => {
  it('keeps storing the new key everywhere and says so', async ({ world }) => {
    const { signals, send } = runner()
    let sent = false
    world.github.inject({ method: 'PUT', when: () => ((sent ||= send('SIGINT')), false) })
    const view = await world.run(
      { operation: 'rotate-signing-key', ...storing, repositories: 'acme/app, acme/api' },
      { signals },
    )
    expect(view.log).toContain(
      'Received SIGINT while storing the new signing key signing_key_000002: stored in 0 of 2 destinations so far; not yet stored in acme/app, acme/api; storing goes on while the runner allows.',
    )
    expect(view.log).toContain(
      'The run was cancelled: the new signing key signing_key_000002 was stored in 2 of 2 destinations before the step ended.',
    )
    expect(JSON.parse(view.outputs['written'] ?? '')).toHaveLength(2)
    expect(await world.github.readSecret('repository', 'acme/api', secret)).toBe(
      world.suprsend.activeSigningKey('staging')?.private_key_pem,
    )
  })

  it('leaves the old API key in place, and says how to delete it', async ({ world }) => {
    const { signals, send } = runner()
    world.github.inject({ method: 'PUT', when: () => (send('SIGTERM'), false) })
    const view = await world.run(
      {
        operation: 'rotate-api-key',
        'api-key-id': world.apiKey.id,
        'github-token': tokens.github,
        'secret-name': 'SUPRSEND_API_KEY',
      },
      { signals },
    )
    expect(view.error).toContain('but the run was cancelled before the old API key ws_apik_000001 was deleted')
    expect(changes(world).some((line) => line.includes('DELETE'))).toBe(false)
  })
})
