// API keys, one scenario per test, in process against the loopback sandboxes.
import { describe, expect } from 'vitest'
import { changes, it, tokens, transcript } from './support/world.ts'

const day = 86_400_000
const storing = { 'github-token': tokens.github, 'secret-name': 'SUPRSEND_API_KEY' }

describe('API keys', () => {
  it('lists masked keys only', async ({ world }) => {
    const view = await world.run({ operation: 'list-api-keys' })
    expect(view.outputs['keys']).not.toContain(world.apiKey.api_key)
    expect(JSON.parse(view.outputs['keys'] ?? '')[0].masked_api_key).toBe(world.apiKey.masked_api_key)
  })

  it('creates a key and keeps its secret masked in the outputs', async ({ world }) => {
    const view = await world.run({ operation: 'create-api-key', name: 'worker', ...storing })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        GitHub preflight passed for secret SUPRSEND_API_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Created API key ws_apik_000002 ('worker')
        Stored secret SUPRSEND_API_KEY in repository acme/app (created)
      outputs:
        api-key: ***
        written: [{"kind":"repository","target":"acme/app","name":"SUPRSEND_API_KEY","result":"created"}]
        failed: []
        key-id: ws_apik_000002
        dry-run: false
      "
    `)
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_API_KEY')).toBe(
      world.suprsend.apiKeys('staging')[0]?.api_key,
    )
  })

  it('rotates a key: creates one named like the old, stores it, then deletes the old one', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-api-key', 'api-key-id': world.apiKey.id, ...storing })
    expect([view.outputs['previous-key-id'], view.outputs['rotated']]).toEqual([world.apiKey.id, 'true'])
    expect(changes(world)).toEqual([
      'suprsend POST /v1/staging/ws_api_key/',
      'github PUT /repos/acme/app/actions/secrets/SUPRSEND_API_KEY',
      `suprsend DELETE /v1/staging/ws_api_key/${world.apiKey.id}/`,
    ])
    expect(world.suprsend.apiKeys('staging').map((key) => key.name)).toEqual(['backend'])
  })

  it('keeps the old key when the new one could not be stored, and says so', async ({ world }) => {
    world.github.inject({
      method: 'PUT',
      path: '/repos/acme/app/actions/secrets/SUPRSEND_API_KEY',
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    })
    const view = await world.run({ operation: 'rotate-api-key', 'api-key-id': world.apiKey.id, ...storing })
    expect(view.error).toMatch(/The old API key ws_apik_000001 was not deleted\.$/)
    expect(view.outputs['api-key']).toBeTruthy()
    expect(changes(world).some((line) => line.includes('DELETE'))).toBe(false)
  })

  it('says both keys work when only deleting the old one failed', async ({ world }) => {
    world.suprsend.inject({
      method: 'DELETE',
      path: `/v1/staging/ws_api_key/${world.apiKey.id}/`,
      status: 403,
      times: 4,
    })
    const view = await world.run({ operation: 'rotate-api-key', 'api-key-id': world.apiKey.id, ...storing })
    expect(view.error).toContain(
      'was created and stored (acme/app), but deleting the old API key ws_apik_000001 failed',
    )
    expect(view.error).toContain('Both keys work now: delete ws_apik_000001 with delete-api-key once nothing uses it.')
  })

  it('leaves a key younger than the limit, by the old key’s created_at', async ({ world }) => {
    const now = () => Date.parse('2026-01-01T00:00:00Z') + 5 * day
    const view = await world.run(
      { operation: 'rotate-api-key', 'api-key-id': world.apiKey.id, 'rotate-if-older-than': '30d', ...storing },
      { now },
    )
    expect([view.exitCode, view.outputs['rotated'], changes(world)]).toEqual([0, 'false', []])
  })

  it('rotates a key older than the limit', async ({ world }) => {
    const now = () => Date.parse('2026-01-01T00:00:00Z') + 31 * day
    const view = await world.run(
      { operation: 'rotate-api-key', 'api-key-id': world.apiKey.id, 'rotate-if-older-than': '30d', ...storing },
      { now },
    )
    expect(view.outputs['rotated']).toBe('true')
  })

  it('creates no key and deletes nothing when the preflight fails', async ({ world }) => {
    const view = await world.run({
      operation: 'rotate-api-key',
      'api-key-id': world.apiKey.id,
      ...storing,
      'github-token': tokens.noSecrets,
    })
    expect(view.error).toContain('so nothing was changed in SuprSend')
    expect(changes(world)).toEqual([])
  })

  it('deletes nothing when no api-key-id is given', async ({ world }) => {
    await world.run({ operation: 'rotate-api-key', name: 'worker', ...storing })
    expect(changes(world).some((line) => line.includes('DELETE'))).toBe(false)
  })

  it('masks the new key before its output is set', async ({ world }) => {
    const view = await world.run({ operation: 'create-api-key', name: 'worker' })
    expect(view.calls.slice(0, view.calls.indexOf('setOutput api-key') + 1).at(-2)).toBe('setSecret')
    expect(view.masks).toContain(world.suprsend.apiKeys('staging')[0]?.api_key)
  })

  it('warns when create-api-key stores the key nowhere', async ({ world }) => {
    const view = await world.run({ operation: 'create-api-key', name: 'worker' })
    expect(view.warnings).toHaveLength(1)
    expect(view.warnings[0]).toMatch(/^The new key now exists only in this step's output 'api-key'/)
  })

  it('deletes a key by id', async ({ world }) => {
    const view = await world.run({ operation: 'delete-api-key', 'api-key-id': world.apiKey.id })
    expect([view.exitCode, changes(world)]).toEqual([0, [`suprsend DELETE /v1/staging/ws_api_key/${world.apiKey.id}/`]])
  })

  it('says in a dry run that it would delete the old key after storing', async ({ world }) => {
    const view = await world.run({
      operation: 'rotate-api-key',
      'api-key-id': world.apiKey.id,
      ...storing,
      'dry-run': 'true',
    })
    expect(view.log).toContain(
      "Dry run: would create API key 'backend' and store it in secret SUPRSEND_API_KEY in repository acme/app, then delete API key ws_apik_000001",
    )
    expect(changes(world)).toEqual([])
  })
})
