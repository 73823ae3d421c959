/**
 * Every SuprSend operation that stores nothing in GitHub, run through main()
 * as the runner would, against a MockAgent that answers like SuprSend: the
 * exact requests, the outputs, pagination, dry runs and the job summary.
 */
import { describe, expect, it } from 'vitest'
import {
  apiKey,
  apiKeyPath,
  apiKeyWithSecret,
  apiUrl,
  authorization,
  expectCall,
  expectNoFragment,
  inputs,
  jsonHeaders,
  listPath,
  page,
  pemBody,
  publicKey,
  publicPath,
  run,
  serviceToken,
  signingKey,
  signingKeyWithSecret,
  signingPath,
  workspace,
  suprsend,
  serveActiveKeyThatRolls,
} from './support/suprsend-fixtures.ts'

/** Each step output as JSON, parsed. */
function keysOutput(outputs: Record<string, string>): Record<string, unknown>[] {
  return JSON.parse(outputs['keys'] ?? 'null') as Record<string, unknown>[]
}

describe('signing keys', () => {
  it('list-signing-keys sends one authorised GET and outputs the keys without secret fields', async () => {
    const { agent, pool } = suprsend()
    const active = signingKey()
    const rolled = signingKey({ status: 'rolled', rolled_at: '2026-11-10T10:00:00Z' })
    // A server that wrongly includes key material in a list must not get it into the outputs.
    const leaky = {
      ...rolled,
      private_key_pem: '-----BEGIN PRIVATE KEY-----\nAAAA\n',
      private_key_base64: 'QUFBQUFBQUE=',
    }
    pool
      .intercept({ path: listPath(signingPath), method: 'GET', headers: { authorization } })
      .reply(200, page([active, leaky]), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'GET', listPath(signingPath))
    expect(keysOutput(result.outputs)).toEqual([active, rolled])
    expect(result.outputs['keys']).not.toContain('private_key')
    expect(result.outputs['dry-run']).toBe('false')
    expect(Object.keys(result.outputs).sort()).toEqual(['dry-run', 'keys'])
    expect(result.stdout).toContain('Listed 2 signing keys')
    expect(result.summary).not.toContain('private_key')
    expect(result.summary).not.toContain('QUFBQUFBQUE=')
    expect(result.summary).toContain(`| ${active.id} | ${active.uid} | active |`)
    expect(result.summary).toContain(`| ${rolled.id} | ${rolled.uid} | rolled |`)
  })

  it('reads every page, following meta.count whatever page size the server chose, and rolls the active key found on page 3', async () => {
    const { agent, pool } = suprsend()
    // 25 keys, the active one at index 22 (page 3); the server answers 10 per page whatever limit was asked.
    const keys = Array.from({ length: 25 }, (_, i) => signingKey({ status: i === 22 ? 'active' : 'rolled' }))
    for (const offset of [0, 10, 20]) {
      pool
        .intercept({ path: listPath(signingPath, offset), method: 'GET' })
        .reply(200, page(keys.slice(offset, offset + 10), { count: 25, offset, limit: 10 }), { headers: jsonHeaders })
        .times(2)
    }

    const listed = await run(inputs('list-signing-keys'), { agent })
    expect(listed.error).toBeUndefined()
    expect(listed.calls.map((c) => c.url)).toEqual([
      `${apiUrl}${listPath(signingPath, 0)}`,
      `${apiUrl}${listPath(signingPath, 10)}`,
      `${apiUrl}${listPath(signingPath, 20)}`,
    ])
    expect(keysOutput(listed.outputs).map((k) => k['uid'])).toEqual(keys.map((k) => k.uid))
    expect(listed.stdout).toContain('Listed 25 signing keys')

    const activeKey = keys[22] as (typeof keys)[number]
    const rolledTo = signingKeyWithSecret()
    pool
      .intercept({ path: `${signingPath}${activeKey.uid}/roll/`, method: 'POST' })
      .reply(201, rolledTo, { headers: jsonHeaders })
    const rolled = await run(inputs('roll-signing-key'), { agent })
    expect(rolled.error).toBeUndefined()
    expect(rolled.calls.map((c) => `${c.method} ${c.url.slice(apiUrl.length)}`)).toEqual([
      `GET ${listPath(signingPath, 0)}`,
      `GET ${listPath(signingPath, 10)}`,
      `GET ${listPath(signingPath, 20)}`,
      `POST ${signingPath}${activeKey.uid}/roll/`,
    ])
    expect(rolled.outputs['previous-key-uid']).toBe(activeKey.uid)
    expect(rolled.outputs['key-uid']).toBe(rolledTo.uid)
  })

  it('stops listing at an empty page even when meta.count promises more', async () => {
    const { agent, pool } = suprsend()
    const keys = Array.from({ length: 10 }, () => signingKey({ status: 'rolled' }))
    pool
      .intercept({ path: listPath(signingPath, 0), method: 'GET' })
      .reply(200, page(keys, { count: 40 }), { headers: jsonHeaders })
    pool
      .intercept({ path: listPath(signingPath, 10), method: 'GET' })
      .reply(200, page([], { count: 40, offset: 10 }), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expect(keysOutput(result.outputs)).toHaveLength(10)
  })

  it('without meta.count, reads on while pages come back full, and finds the active key on page 2', async () => {
    const { agent, pool } = suprsend()
    const rolled = Array.from({ length: 10 }, () => signingKey({ status: 'rolled' }))
    const active = signingKey({ status: 'active' })
    // The server caps pages at 10 and says so in meta.limit, but gives no count.
    pool
      .intercept({ path: listPath(signingPath, 0), method: 'GET' })
      .reply(200, { meta: { limit: 10, offset: 0 }, results: rolled }, { headers: jsonHeaders })
    pool
      .intercept({ path: listPath(signingPath, 10), method: 'GET' })
      .reply(200, { meta: { limit: 10, offset: 10 }, results: [active] }, { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expect(keysOutput(result.outputs).map((k) => k['uid'])).toEqual([...rolled, active].map((k) => k.uid))
  })

  it('a server that ignores offset and repeats a page cannot double the list or loop', async () => {
    const { agent, pool } = suprsend()
    const keys = Array.from({ length: 10 }, () => signingKey({ status: 'rolled' }))
    pool
      .intercept({ path: /\/ws_signing_key\/\?limit=100&offset=\d+$/, method: 'GET' })
      .reply(200, page(keys, { count: 30 }), { headers: jsonHeaders })
      .persist()

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expect(keysOutput(result.outputs)).toHaveLength(10)
  })

  it('create-signing-key checks for an active key, then POSTs without a body and outputs the key and its private key', async () => {
    const { agent, pool } = suprsend()
    const old = signingKey({ status: 'rolled' })
    const created = signingKeyWithSecret()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([old]), { headers: jsonHeaders })
    pool
      .intercept({ path: signingPath, method: 'POST', headers: { authorization } })
      .reply(201, created, { headers: jsonHeaders })

    const result = await run(inputs('create-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expectCall(result.calls[0], 'GET', listPath(signingPath))
    expectCall(result.calls[1], 'POST', signingPath)
    expect(result.outputs).toEqual({
      'private-key': created.private_key_pem,
      'private-key-base64': created.private_key_base64,
      'dry-run': 'false',
      'key-id': created.id,
      'key-uid': created.uid,
      status: 'active',
      'previous-key-uid': '',
    })
    expect(result.stdout).toContain(`Created signing key ${created.uid}`)
  })

  it('create-signing-key refuses before any POST when the workspace already has an active key', async () => {
    const { agent, pool } = suprsend()
    const active = signingKey()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([active]), { headers: jsonHeaders })

    const result = await run(inputs('create-signing-key'), { agent })

    expect(result.calls.map((c) => c.method)).toEqual(['GET'])
    expect(result.error).toContain(active.uid)
    expect(result.error).toMatch(/rotate-signing-key|roll-signing-key/)
    expect(result.outputs['private-key']).toBeUndefined()
  })

  it('roll-signing-key with a uid sends only the roll POST and outputs the new key and the rolled uid', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_0f3a9c'
    const rolledTo = signingKeyWithSecret()
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST', headers: { authorization } })
      .reply(201, rolledTo, { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key', { 'signing-key-uid': uid }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'POST', `${signingPath}${uid}/roll/`)
    expect(result.outputs).toEqual({
      'private-key': rolledTo.private_key_pem,
      'private-key-base64': rolledTo.private_key_base64,
      'dry-run': 'false',
      'key-id': rolledTo.id,
      'key-uid': rolledTo.uid,
      status: 'active',
      'previous-key-uid': uid,
    })
    expect(result.stdout).toContain(`Rolled signing key ${uid}; the new active key is ${rolledTo.uid}`)
  })

  it('roll-signing-key without a uid rolls the active key found by listing', async () => {
    const { agent, pool } = suprsend()
    const rolled = signingKey({ status: 'rolled' })
    const active = signingKey()
    const rolledTo = signingKeyWithSecret()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, page([rolled, active]), { headers: jsonHeaders })
    pool
      .intercept({ path: `${signingPath}${active.uid}/roll/`, method: 'POST' })
      .reply(201, rolledTo, { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expectCall(result.calls[0], 'GET', listPath(signingPath))
    expectCall(result.calls[1], 'POST', `${signingPath}${active.uid}/roll/`)
    expect(result.calls).toHaveLength(2)
    expect(result.outputs['previous-key-uid']).toBe(active.uid)
    expect(result.outputs['key-id']).toBe(rolledTo.id)
  })

  it('roll-signing-key without a uid fails clearly, sending no POST, when no key is active', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, page([signingKey({ status: 'rolled' })]), { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key'), { agent })

    expect(result.calls.map((c) => c.method)).toEqual(['GET'])
    expect(result.error).toBe(
      `roll-signing-key in workspace '${workspace}' failed: workspace '${workspace}' has no active signing key to roll; use 'create-signing-key' or 'rotate-signing-key', which creates one.`,
    )
    expect(result.outputs['private-key']).toBeUndefined()
  })

  it('rotate-signing-key rolls the active key and sets previous-key-uid', async () => {
    const { agent, pool } = suprsend()
    const { active, rolledTo } = serveActiveKeyThatRolls(pool)

    const result = await run(inputs('rotate-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expectCall(result.calls[0], 'GET', listPath(signingPath))
    expectCall(result.calls[1], 'POST', `${signingPath}${active.uid}/roll/`)
    expect(result.outputs).toMatchObject({
      'key-id': rolledTo.id,
      'key-uid': rolledTo.uid,
      status: 'active',
      'previous-key-uid': active.uid,
      'private-key-base64': rolledTo.private_key_base64,
    })
  })

  it('a timestamp sent as a number, or a null in a list, cannot break the summary or the run', async () => {
    const { agent, pool } = suprsend()
    const active = signingKey()
    const rolledTo = { ...signingKeyWithSecret(), created_at: 1767225600 as unknown as string }
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, { meta: { count: 2 }, results: [null, active] }, { headers: jsonHeaders })
    // The null still counted towards meta.count, so the client asks once more and meets an empty page.
    pool
      .intercept({ path: listPath(signingPath, 2), method: 'GET' })
      .reply(200, page([], { count: 2, offset: 2 }), { headers: jsonHeaders })
    pool
      .intercept({ path: `${signingPath}${active.uid}/roll/`, method: 'POST' })
      .reply(201, rolledTo, { headers: jsonHeaders })

    const result = await run(inputs('rotate-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.outputs['private-key']).toBe(rolledTo.private_key_pem)
    expect(result.summary).toContain(`| ${rolledTo.id} | ${rolledTo.uid} | active | 1767225600 |`)
  })

  it('rotate-signing-key creates a key when none is active and leaves previous-key-uid empty', async () => {
    const { agent, pool } = suprsend()
    const created = signingKeyWithSecret()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })
    pool.intercept({ path: signingPath, method: 'POST' }).reply(201, created, { headers: jsonHeaders })

    const result = await run(inputs('rotate-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expectCall(result.calls[1], 'POST', signingPath)
    expect(result.outputs).toMatchObject({ 'key-uid': created.uid, 'previous-key-uid': '', status: 'active' })
    expect(result.outputs['private-key']).toBe(created.private_key_pem)
  })

  it('delete-signing-key sends the DELETE and sets key-uid', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_7b21e0'
    pool.intercept({ path: `${signingPath}${uid}/`, method: 'DELETE', headers: { authorization } }).reply(204, '')

    const result = await run(inputs('delete-signing-key', { 'signing-key-uid': uid }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'DELETE', `${signingPath}${uid}/`)
    expect(result.outputs).toEqual({ 'dry-run': 'false', 'key-uid': uid })
    expect(result.stdout).toContain(`Deleted signing key ${uid}`)
  })
})

describe('public keys', () => {
  it('list-public-keys outputs every documented field of every key', async () => {
    const { agent, pool } = suprsend()
    const keys = [publicKey({ is_default: true }), publicKey({ name: 'ios', is_secure_mode_enabled: true })]
    pool.intercept({ path: listPath(publicPath), method: 'GET' }).reply(200, page(keys), { headers: jsonHeaders })

    const result = await run(inputs('list-public-keys'), { agent })

    expect(result.error).toBeUndefined()
    expectCall(result.calls[0], 'GET', listPath(publicPath))
    expect(keysOutput(result.outputs)).toEqual(keys)
    expect(result.summary).toContain(keys[1]?.id)
    expect(result.summary).toContain(keys[1]?.api_key)
  })

  it('create-public-key POSTs {name, description} as JSON and outputs the key', async () => {
    const { agent, pool } = suprsend()
    const created = publicKey({ name: 'web-app' })
    pool
      .intercept({ path: publicPath, method: 'POST', headers: { authorization, 'content-type': 'application/json' } })
      .reply(201, created, { headers: jsonHeaders })

    const result = await run(inputs('create-public-key', { name: 'web-app', description: 'storefront' }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'POST', publicPath, { name: 'web-app', description: 'storefront' })
    expect(result.outputs).toEqual({
      'dry-run': 'false',
      'key-id': created.id,
      'public-key': created.api_key,
      'secure-mode': 'false',
    })
    // Not secret: nothing registered but the service token.
    expect(result.masks).toEqual([serviceToken])
  })

  it('create-public-key without a description sends only the name', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: publicPath, method: 'POST' }).reply(201, publicKey(), { headers: jsonHeaders })

    const result = await run(inputs('create-public-key', { name: 'web-app' }), { agent })

    expect(result.error).toBeUndefined()
    expectCall(result.calls[0], 'POST', publicPath, { name: 'web-app' })
  })

  it('rotate-public-key PATCHes .../rotate/ without a body and outputs the new value', async () => {
    const { agent, pool } = suprsend()
    const rotated = publicKey({ is_secure_mode_enabled: true, rotated_at: '2026-11-22T13:00:00Z' })
    pool
      .intercept({ path: `${publicPath}${rotated.id}/rotate/`, method: 'PATCH', headers: { authorization } })
      .reply(202, rotated, { headers: jsonHeaders })

    const result = await run(inputs('rotate-public-key', { 'public-key-id': rotated.id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'PATCH', `${publicPath}${rotated.id}/rotate/`)
    expect(result.outputs).toEqual({
      'dry-run': 'false',
      'key-id': rotated.id,
      'public-key': rotated.api_key,
      'secure-mode': 'true',
    })
    expect(result.stdout).toContain(`Rotated public key ${rotated.id}`)
  })

  it('rotate-public-key keeps the new value when the answer leaves out the id and secure-mode flag', async () => {
    const { agent, pool } = suprsend()
    const { id, is_secure_mode_enabled: _flag, ...rotated } = publicKey()
    pool
      .intercept({ path: `${publicPath}${id}/rotate/`, method: 'PATCH' })
      .reply(202, rotated, { headers: jsonHeaders })

    const result = await run(inputs('rotate-public-key', { 'public-key-id': id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.outputs).toEqual({
      'dry-run': 'false',
      'key-id': id,
      'public-key': rotated.api_key,
      'secure-mode': '',
    })
  })

  it.each([
    ['enable-secure-mode', true],
    ['disable-secure-mode', false],
  ] as const)('%s PATCHes {"is_secure_mode_enabled": %s} and outputs secure-mode', async (operation, enabled) => {
    const { agent, pool } = suprsend()
    const key = publicKey({ is_secure_mode_enabled: enabled })
    pool.intercept({ path: `${publicPath}${key.id}/`, method: 'PATCH' }).reply(202, key, { headers: jsonHeaders })

    const result = await run(inputs(operation, { 'public-key-id': key.id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'PATCH', `${publicPath}${key.id}/`, { is_secure_mode_enabled: enabled })
    expect(result.calls[0]?.body).toBe(`{"is_secure_mode_enabled":${enabled}}`)
    expect(result.outputs).toEqual({
      'dry-run': 'false',
      'key-id': key.id,
      'public-key': key.api_key,
      'secure-mode': String(enabled),
    })
    expect(result.stdout).toContain(`Secure mode is ${enabled ? 'on' : 'off'} for public key ${key.id}`)
  })

  it('delete-public-key sends the DELETE and sets key-id', async () => {
    const { agent, pool } = suprsend()
    const id = 'ws_pubk_5e8d1c'
    pool.intercept({ path: `${publicPath}${id}/`, method: 'DELETE' }).reply(204, '')

    const result = await run(inputs('delete-public-key', { 'public-key-id': id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'DELETE', `${publicPath}${id}/`)
    expect(result.outputs).toEqual({ 'dry-run': 'false', 'key-id': id })
  })
})

describe('API keys', () => {
  it('list-api-keys outputs the keys and drops an api_key secret the server should not have sent', async () => {
    const { agent, pool } = suprsend()
    const leaky = apiKeyWithSecret()
    const plain = apiKey({ name: 'worker' })
    pool
      .intercept({ path: listPath(apiKeyPath), method: 'GET' })
      .reply(200, page([leaky, plain]), { headers: jsonHeaders })

    const result = await run(inputs('list-api-keys'), { agent })

    expect(result.error).toBeUndefined()
    expectCall(result.calls[0], 'GET', listPath(apiKeyPath))
    const { api_key: secret, ...withoutSecret } = leaky
    expect(keysOutput(result.outputs)).toEqual([withoutSecret, plain])
    expectNoFragment(result.outputs['keys'] ?? '', [secret])
    expectNoFragment(result.summary, [secret])
    expectNoFragment(result.stdout, [secret])
    expect(result.summary).toContain(plain.id)
  })

  it('create-api-key POSTs {name, description} and outputs the masked secret and the id', async () => {
    const { agent, pool } = suprsend()
    const created = apiKeyWithSecret({ name: 'backend-prod' })
    pool
      .intercept({ path: apiKeyPath, method: 'POST', headers: { authorization, 'content-type': 'application/json' } })
      .reply(201, created, { headers: jsonHeaders })

    const result = await run(inputs('create-api-key', { name: 'backend-prod', description: 'orders service' }), {
      agent,
    })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'POST', apiKeyPath, { name: 'backend-prod', description: 'orders service' })
    expect(result.outputs).toEqual({ 'api-key': created.api_key, 'dry-run': 'false', 'key-id': created.id })
    expect(result.masks).toContain(created.api_key)
    expectNoFragment(result.summary, [created.api_key])
  })

  it('delete-api-key sends the DELETE and sets key-id', async () => {
    const { agent, pool } = suprsend()
    const id = 'ws_apik_9a0b7f'
    pool.intercept({ path: `${apiKeyPath}${id}/`, method: 'DELETE', headers: { authorization } }).reply(204, '')

    const result = await run(inputs('delete-api-key', { 'api-key-id': id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(1)
    expectCall(result.calls[0], 'DELETE', `${apiKeyPath}${id}/`)
    expect(result.outputs).toEqual({ 'dry-run': 'false', 'key-id': id })
  })
})

describe('dry run', () => {
  const active = signingKey()
  const pub = publicKey({ is_secure_mode_enabled: false })
  const api = apiKey()
  const cases: [string, Record<string, string>, RegExp][] = [
    ['create-signing-key', {}, /create a signing key/],
    ['roll-signing-key', {}, new RegExp(`roll signing key ${active.uid}`)],
    ['roll-signing-key', { 'signing-key-uid': active.uid }, new RegExp(`roll signing key ${active.uid}`)],
    ['rotate-signing-key', {}, new RegExp(`roll signing key ${active.uid}`)],
    ['delete-signing-key', { 'signing-key-uid': active.uid }, new RegExp(`delete signing key ${active.uid}`)],
    ['create-public-key', { name: 'web-app' }, /create public key 'web-app'/],
    ['rotate-public-key', { 'public-key-id': pub.id }, new RegExp(`rotate public key ${pub.id}`)],
    ['enable-secure-mode', { 'public-key-id': pub.id }, /enable secure mode .* \(now off\)/],
    ['disable-secure-mode', { 'public-key-id': pub.id }, /disable secure mode .* \(now off\)/],
    ['delete-public-key', { 'public-key-id': pub.id }, new RegExp(`delete public key ${pub.id}`)],
    ['create-api-key', { name: 'backend-prod' }, /create API key 'backend-prod'/],
    ['delete-api-key', { 'api-key-id': api.id }, new RegExp(`delete API key ${api.id}`)],
  ]

  it.each(cases)('%s %j sends only GETs and changes nothing', async (operation, extra, plan) => {
    const { agent, pool } = suprsend()
    // Only reads are answered; any other request would fail the run on an unmatched interceptor.
    const listedSigning = operation === 'create-signing-key' ? [signingKey({ status: 'rolled' })] : [active]
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, page(listedSigning), { headers: jsonHeaders })
      .persist()
    pool
      .intercept({ path: listPath(publicPath), method: 'GET' })
      .reply(200, page([pub]), { headers: jsonHeaders })
      .persist()
    pool
      .intercept({ path: listPath(apiKeyPath), method: 'GET' })
      .reply(200, page([api]), { headers: jsonHeaders })
      .persist()

    const result = await run(inputs(operation, { ...extra, 'dry-run': 'true' }), { agent })

    expect(result.error).toBeUndefined()
    for (const call of result.calls) expect(call.method).toBe('GET')
    expect(result.outputs['dry-run']).toBe('true')
    expect(result.outputs['private-key']).toBeUndefined()
    expect(result.outputs['api-key']).toBeUndefined()
    expect(result.stdout).toMatch(new RegExp(`^Dry run: would ${plan.source}`, 'm'))
    expect(result.summary).toContain('dry run, nothing changed')
    expect(result.summary).toContain('### Would do (dry run)')
    expect(result.summary).toMatch(plan)
  })

  it('rotate-signing-key in a dry run names the key it would roll in previous-key-uid', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([active]), { headers: jsonHeaders })

    const result = await run(inputs('rotate-signing-key', { 'dry-run': 'true' }), { agent })

    expect(result.calls.map((c) => c.method)).toEqual(['GET'])
    expect(result.outputs).toEqual({ 'dry-run': 'true', 'previous-key-uid': active.uid })
  })

  it('delete-signing-key in a dry run fails, naming the input, when the uid is not in the workspace', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([active]), { headers: jsonHeaders })

    const result = await run(
      inputs('delete-signing-key', { 'signing-key-uid': 'signing_key_missing', 'dry-run': 'true' }),
      {
        agent,
      },
    )

    expect(result.calls.map((c) => c.method)).toEqual(['GET'])
    expect(result.error).toContain("signing key 'signing_key_missing' was not found")
    expect(result.error).toContain("'signing-key-uid'")
  })
})

describe('job summary', () => {
  it('shows the operation, workspace, result and the new key in tables, and no secret', async () => {
    const { agent, pool } = suprsend()
    const { active, rolledTo } = serveActiveKeyThatRolls(pool)

    const result = await run(inputs('rotate-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.summary).toBe(
      [
        '## SuprSend workspace keys: `rotate-signing-key`',
        '',
        '| workspace | operation | result |',
        '| --- | --- | --- |',
        `| ${workspace} | rotate-signing-key | succeeded |`,
        '',
        '### Done',
        '',
        `- Rolled signing key ${active.uid}; the new active key is ${rolledTo.uid}`,
        '',
        '### Keys',
        '',
        '| id | uid | status | created_at | rolled_at | expiry_at |',
        '| --- | --- | --- | --- | --- | --- |',
        `| ${rolledTo.id} | ${rolledTo.uid} | active | ${rolledTo.created_at} |   |   |`,
        '',
      ].join('\n'),
    )
    expectNoFragment(result.summary, [rolledTo.private_key_pem, rolledTo.private_key_base64, serviceToken])
  })

  it('on failure shows the error sentence under an Error heading', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, page([signingKey({ status: 'rolled' })]), { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key'), { agent })

    expect(result.summary).toContain(`| ${workspace} | roll-signing-key | failed |`)
    expect(result.summary).toContain(`### Error\n\n${result.error}`)
  })
})

describe('stdout of a rotate run', () => {
  it('is exactly the mask registrations followed by one line saying what was done', async () => {
    const { agent, pool } = suprsend()
    const { active, rolledTo } = serveActiveKeyThatRolls(pool)

    const result = await run(inputs('rotate-signing-key'), { agent })

    const body = pemBody(rolledTo.private_key_pem)
    expect(body).toHaveLength(3)
    const expected = [
      `::add-mask::${serviceToken}`,
      ...body.map((line) => `::add-mask::${line}`),
      `::add-mask::${body.join('')}`,
      `::add-mask::${rolledTo.private_key_base64}`,
      `Rolled signing key ${active.uid}; the new active key is ${rolledTo.uid}`,
      '',
    ].join('\n')
    expect(result.stdout).toBe(expected)
  })
})
