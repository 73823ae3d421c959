// Public keys, one scenario per test, in process against the loopback sandboxes.
import { describe, expect } from 'vitest'
import { changes, it, tokens, transcript } from './support/world.ts'

const day = 86_400_000
const storing = { 'github-token': tokens.github, 'variable-name': 'SUPRSEND_PUBLIC_KEY' }

describe('public keys', () => {
  it('lists every documented field of every key', async ({ world }) => {
    const view = await world.run({ operation: 'list-public-keys' })
    expect(JSON.parse(view.outputs['keys'] ?? '')).toEqual([world.publicKey])
  })

  it('creates a key from a name and a description, and stores its value in a new variable', async ({ world }) => {
    const view = await world.run({ operation: 'create-public-key', name: 'mobile', description: 'iOS app', ...storing })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        GitHub preflight passed for variable SUPRSEND_PUBLIC_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Created public key ws_pubk_000002 ('mobile')
        Stored variable SUPRSEND_PUBLIC_KEY in repository acme/app (created)
      outputs:
        written: [{"kind":"repository","target":"acme/app","name":"SUPRSEND_PUBLIC_KEY","result":"created"}]
        failed: []
        key-id: ws_pubk_000002
        public-key: SS.PUBK.000002xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
        secure-mode: false
        dry-run: false
      "
    `)
    expect(world.github.readVariable('repository', 'acme/app', 'SUPRSEND_PUBLIC_KEY')).toBe(view.outputs['public-key'])
  })

  it('rotates a key and updates an existing environment variable', async ({ world }) => {
    world.github.seedVariable('environment', 'acme/app/production', 'SUPRSEND_PUBLIC_KEY', 'old')
    const view = await world.run({
      operation: 'rotate-public-key',
      'public-key-id': world.publicKey.id,
      ...storing,
      environment: 'production',
    })
    expect(view.outputs['rotated']).toBe('true')
    expect(world.github.readVariable('environment', 'acme/app/production', 'SUPRSEND_PUBLIC_KEY')).toBe(
      view.outputs['public-key'],
    )
    expect(changes(world)).toEqual([
      `suprsend PATCH /v1/staging/ws_public_key/${world.publicKey.id}/rotate/`,
      'github PATCH /repos/acme/app/environments/production/variables/SUPRSEND_PUBLIC_KEY',
    ])
  })

  it('turns a variable created since the preflight (409) into an update', async ({ world }) => {
    // Another writer creates the variable just as the POST arrives; GitHub then answers 409.
    const createdMeanwhile = () => (
      world.github.seedVariable('repository', 'acme/app', 'SUPRSEND_PUBLIC_KEY', 'other'),
      false
    )
    world.github.inject({ method: 'POST', path: '/repos/acme/app/actions/variables', when: createdMeanwhile })
    const view = await world.run({ operation: 'rotate-public-key', 'public-key-id': world.publicKey.id, ...storing })
    expect(view.exitCode).toBe(0)
    expect(changes(world).slice(-2)).toEqual([
      'github POST /repos/acme/app/actions/variables',
      'github PATCH /repos/acme/app/actions/variables/SUPRSEND_PUBLIC_KEY',
    ])
  })

  it('does not rotate a key rotated more recently than the limit, by rotated_at', async ({ world }) => {
    world.suprsend.seedPublicKey('staging', {
      id: 'ws_pubk_recent',
      created_at: '2025-01-01T00:00:00Z',
      rotated_at: '2026-01-20T00:00:00Z',
    })
    const now = () => Date.parse('2026-02-01T00:00:00Z')
    const view = await world.run(
      { operation: 'rotate-public-key', 'public-key-id': 'ws_pubk_recent', 'rotate-if-older-than': '30d' },
      { now },
    )
    expect([view.outputs['rotated'], changes(world)]).toEqual(['false', []])
  })

  it('rotates a never-rotated key by its created_at', async ({ world }) => {
    const now = () => Date.parse('2026-01-01T00:00:00Z') + 31 * day
    const view = await world.run(
      { operation: 'rotate-public-key', 'public-key-id': world.publicKey.id, 'rotate-if-older-than': '30d' },
      { now },
    )
    expect(view.outputs['rotated']).toBe('true')
  })

  it('switches secure mode on and reports it', async ({ world }) => {
    const view = await world.run({ operation: 'enable-secure-mode', 'public-key-id': world.publicKey.id })
    expect([view.outputs['secure-mode'], world.suprsend.publicKeys('staging')[0]?.is_secure_mode_enabled]).toEqual([
      'true',
      true,
    ])
  })

  it('reports secure mode in a dry run and changes nothing', async ({ world }) => {
    const view = await world.run({
      operation: 'disable-secure-mode',
      'public-key-id': world.publicKey.id,
      'dry-run': 'true',
    })
    expect(view.log).toContain(`Dry run: would disable secure mode on public key ${world.publicKey.id} (now off)`)
    expect(changes(world)).toEqual([])
  })

  it('deletes a key by id', async ({ world }) => {
    const view = await world.run({ operation: 'delete-public-key', 'public-key-id': world.publicKey.id })
    expect([view.exitCode, changes(world)]).toEqual([
      0,
      [`suprsend DELETE /v1/staging/ws_public_key/${world.publicKey.id}/`],
    ])
  })

  it('names the key and the input when the id is unknown', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-public-key', 'public-key-id': 'ws_pubk_nope' })
    expect(view.error).toBe(
      "rotate-public-key in workspace 'staging' failed: SuprSend answered HTTP 404 while rotating public key 'ws_pubk_nope': public key 'ws_pubk_nope' was not found in workspace 'staging' (SuprSend says: public key 'ws_pubk_nope' not found); check input 'public-key-id'.",
    )
  })
})
