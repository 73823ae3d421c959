// What a user reads when SuprSend answers with an error or cannot be reached: one sentence that
// says what was being done, what SuprSend said, and what to check.
import { describe, expect } from 'vitest'
import { changes, it } from './support/world.ts'

const list = '/v1/staging/ws_signing_key/'
const failed = (view: { error: string | undefined }) =>
  view.error?.replace(/^list-signing-keys in workspace 'staging' failed: /, '')

describe('SuprSend error answers', () => {
  it('a 400 ValidationError gives the detail once, not the JSON-encoded message', async ({ world }) => {
    const body = {
      code: 400,
      type: 'ValidationError',
      message: '["only 1 active signing key is allowed"]',
      detail: ['only 1 active signing key is allowed'],
    }
    world.suprsend.inject({ method: 'GET', path: list, status: 400, body })
    expect(failed(await world.run({ operation: 'list-signing-keys' }))).toBe(
      'SuprSend answered HTTP 400 while listing signing keys: only 1 active signing key is allowed.',
    )
  })

  it('a 401 says the service token was rejected, and is not retried', async ({ world }) => {
    const view = await world.run({ operation: 'list-signing-keys', 'service-token': 'sst_wrong' })
    expect(failed(view)).toBe(
      "SuprSend answered HTTP 401 while listing signing keys: the service token was rejected (SuprSend says: Invalid service token); check input 'service-token'.",
    )
    expect(world.requests()).toHaveLength(1)
  })

  it('a 403 says the token may not manage keys in the workspace', async ({ world }) => {
    world.suprsend.inject({ method: 'GET', path: list, status: 403, body: { message: 'forbidden' } })
    expect(failed(await world.run({ operation: 'list-signing-keys' }))).toBe(
      "SuprSend answered HTTP 403 while listing signing keys: the service token may not manage keys in workspace 'staging' (SuprSend says: forbidden).",
    )
  })

  it('a 404 names the workspace, also on a request for one key', async ({ world }) => {
    const view = await world.run({
      operation: 'delete-signing-key',
      workspace: 'nope',
      'signing-key-uid': 'signing_key_1',
    })
    expect(view.error).toBe(
      "delete-signing-key in workspace 'nope' failed: SuprSend answered HTTP 404 while deleting signing key 'signing_key_1': workspace 'nope' was not found (SuprSend says: workspace 'nope' not found); check input 'workspace'.",
    )
  })

  it('a 5xx on a create says how to check what happened', async ({ world }) => {
    world.suprsend.inject({ method: 'POST', path: '/v1/staging/ws_api_key/', status: 502, html: true })
    const view = await world.run({ operation: 'create-api-key', name: 'worker' })
    expect(view.error).toBe(
      "create-api-key in workspace 'staging' failed: SuprSend answered HTTP 502 with a body that is not JSON while creating API key 'worker': \"502 Bad Gateway 502 Bad Gateway nginx\". Run list-api-keys to check whether it was created: if it was, its secret was not received, so delete it and create another.",
    )
    expect(changes(world)).toHaveLength(1)
  })

  it('a 2xx create answer that is not JSON is reported without its body', async ({ world }) => {
    world.suprsend.inject({ method: 'POST', path: '/v1/staging/ws_api_key/', raw: 'secret-looking text', status: 201 })
    const view = await world.run({ operation: 'create-api-key', name: 'worker' })
    expect(view.error).toBe(
      "create-api-key in workspace 'staging' failed: SuprSend answered HTTP 201 while creating API key 'worker', but its body was not JSON. Run list-api-keys to check whether it was created: if it was, its secret was not received, so delete it and create another.",
    )
  })
})

describe('answers that lose part of a key', () => {
  it('a create-api-key answer without an id still masks and outputs the secret, and says so', async ({ world }) => {
    world.suprsend.inject({
      method: 'POST',
      path: '/v1/staging/ws_api_key/',
      status: 201,
      body: { api_key: 'SS.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', name: 'worker' },
    })
    const view = await world.run({ operation: 'create-api-key', name: 'worker' })
    expect(view.masks).toContain('SS.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')
    expect(view.log).toContain("Created API key (SuprSend's answer had no id; run list-api-keys to see it) ('worker')")
  })

  it('a rotate-public-key answer without an id or secure-mode flag keeps the new value', async ({ world }) => {
    world.suprsend.inject({
      method: 'PATCH',
      path: `/v1/staging/ws_public_key/${world.publicKey.id}/rotate/`,
      status: 202,
      body: { api_key: 'SS.PUBK.new-value' },
    })
    const view = await world.run({ operation: 'rotate-public-key', 'public-key-id': world.publicKey.id })
    expect([view.outputs['key-id'], view.outputs['public-key'], view.outputs['secure-mode']]).toEqual([
      world.publicKey.id,
      'SS.PUBK.new-value',
      '',
    ])
  })

  it('a roll answer with neither key form says how to recover', async ({ world }) => {
    world.suprsend.inject({
      method: 'POST',
      path: `${list}${world.signingKey.uid}/roll/`,
      status: 201,
      body: { uid: 'signing_key_new', status: 'active' },
    })
    const view = await world.run({ operation: 'rotate-signing-key' })
    expect(view.error).toBe(
      "rotate-signing-key in workspace 'staging' failed: SuprSend's answer while rolling signing key 'signing_key_000001' had neither 'private_key_pem' nor 'private_key_base64'. Run list-signing-keys to check: if 'signing_key_000001' is now 'rolled', the new key's private key was not received, so roll the new active key.",
    )
  })
})

describe('odd fields in a list', () => {
  it('a timestamp sent as a number, or a null, cannot break the run or the summary', async ({ world }) => {
    world.suprsend.seedSigningKey('staging', {
      status: 'rolled',
      created_at: 1767225600 as unknown as string,
      rolled_at: null,
    })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(view.exitCode).toBe(0)
    expect(view.summary).toContain('` 1767225600 `')
  })

  it('an api_key the server should not have sent is left out of the list output', async ({ world }) => {
    world.suprsend.seedApiKey('staging', { name: 'leaky' })
    const view = await world.run({ operation: 'list-api-keys' })
    expect(view.outputs['keys']).not.toContain('"api_key"')
  })
})

describe('network failures', () => {
  it('a create that could not connect is a clean failure: nothing was created', async ({ world }) => {
    const view = await world.run({ operation: 'create-api-key', name: 'worker', 'api-url': 'http://127.0.0.1:9' })
    expect(view.error).toBe(
      "create-api-key in workspace 'staging' failed: could not reach SuprSend while creating API key 'worker': the connection was refused.",
    )
  })
})
