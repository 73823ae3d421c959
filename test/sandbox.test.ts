// Tests of the sandbox stand-ins themselves, over real HTTP (global fetch, node:http where the exact
// bytes or a cut-off body matter), and of runAction().
import { createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sodium from 'libsodium-wrappers'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  actionInputDefaults,
  generateSigningKeyMaterial,
  maskLine,
  maskRunnerLog,
  parseFileCommand,
  runAction,
  SECONDARY_RATE_LIMIT_MESSAGE,
  secondaryRateLimit,
  startGitHub,
  startSuprSend,
} from './sandbox/index.ts'
import type { GitHubSandbox, RateLimits, SuprSendOptions, SuprSendSandbox } from './sandbox/index.ts'

// Response bodies are checked field by field below; `any` keeps those checks readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any
const read = (res: Response): Promise<Json> => res.json()
const getJson = async (input: string, init?: RequestInit): Promise<Json> => read(await fetch(input, init))

const TOKEN = 'sandbox-service-token'
const auth = { authorization: `ServiceToken ${TOKEN}` }
const json = { ...auth, 'content-type': 'application/json' }

describe('SuprSend sandbox', () => {
  let ss: SuprSendSandbox
  beforeAll(async () => {
    ss = await startSuprSend()
  })
  afterAll(async () => {
    await ss.close()
  })
  let ws = ''
  let n = 0
  beforeEach(() => {
    ss.reset()
    n += 1
    ws = `ws-${n}`
    ss.addWorkspace(ws)
  })
  const url = (path: string): string => `${ss.url}/v1/${ws}/${path}`

  it('answers 401 with the documented body without a valid service token', async () => {
    const expected = {
      code: 401,
      error_code: 'authentication_failed',
      type: 'AuthenticationFailed',
      message: 'Invalid service token.',
      detail: 'Invalid service token.',
    }
    for (const headers of [{}, { authorization: 'ServiceToken wrong' }, { authorization: `Bearer ${TOKEN}` }]) {
      const res = await fetch(url('ws_signing_key/'), { headers })
      expect(res.status).toBe(401)
      expect(await read(res)).toEqual(expected)
    }
    expect((await fetch(url('ws_signing_key/'), { headers: auth })).status).toBe(200)
  })

  it('answers 404 not_found for an unknown workspace', async () => {
    const res = await fetch(`${ss.url}/v1/demo/ws_api_key/`, { headers: auth })
    expect(res.status).toBe(404)
    expect(await read(res)).toEqual({
      code: 404,
      error_code: 'not_found',
      type: 'NotFound',
      message: "workspace 'demo' not found",
      detail: "workspace 'demo' not found",
    })
  })

  it('requires the trailing slash on every path', async () => {
    expect((await fetch(url('ws_public_key'), { headers: auth })).status).toBe(404)
    expect((await fetch(url('ws_signing_key'), { method: 'POST', headers: auth })).status).toBe(404)
    expect(ss.signingKeys(ws)).toHaveLength(0)
    const key = ss.seedSigningKey(ws)
    expect((await fetch(url(`ws_signing_key/${key.uid}/roll`), { method: 'POST', headers: auth })).status).toBe(404)
    expect((await fetch(url(`ws_signing_key/${key.uid}`), { method: 'DELETE', headers: auth })).status).toBe(404)
    expect(ss.activeSigningKey(ws)?.uid).toBe(key.uid)
    expect((await fetch(url('ws_public_key/'), { headers: auth })).status).toBe(200)
  })

  it('creates a real P-256 signing key once and enforces one active key', async () => {
    const res = await fetch(url('ws_signing_key/'), { method: 'POST', headers: auth })
    expect(res.status).toBe(201)
    const created = await read(res)
    expect(created.id).toMatch(/^ws_signk_[A-Za-z0-9]+$/)
    expect(created.uid).toMatch(/^signing_key_[A-Za-z0-9]+$/)
    expect(created.status).toBe('active')
    const pem = created.private_key_pem as string
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/)
    expect(Buffer.from(created.private_key_base64 as string, 'base64').toString('utf8')).toBe(pem)
    const key = createPrivateKey(pem)
    expect(key.asymmetricKeyType).toBe('ec')
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(ss.activeSigningKey(ws)?.private_key_pem).toBe(pem)

    const second = await fetch(url('ws_signing_key/'), { method: 'POST', headers: auth })
    expect(second.status).toBe(400)
    expect(await read(second)).toEqual({
      code: 400,
      error_code: 'error',
      type: 'ValidationError',
      message: '["only 1 active signing key is allowed"]',
      detail: ['only 1 active signing key is allowed'],
    })
    expect(ss.signingKeys(ws)).toHaveLength(1)
  })

  it('rolls the active key, lists without private material, and deletes by uid', async () => {
    const old = ss.seedSigningKey(ws)
    const res = await fetch(url(`ws_signing_key/${old.uid}/roll/`), { method: 'POST', headers: auth })
    expect(res.status).toBe(201)
    const rolled = await read(res)
    expect(rolled.id).not.toBe(old.id)
    expect(rolled.uid).not.toBe(old.uid)
    expect(rolled.status).toBe('active')
    expect(rolled.private_key_pem).not.toBe(old.private_key_pem)
    expect(ss.activeSigningKey(ws)?.private_key_pem).toBe(rolled.private_key_pem)
    const before = ss.signingKeys(ws).find((k) => k.uid === old.uid)
    expect(before?.status).toBe('rolled')
    expect(before?.rolled_at).toEqual(expect.any(String))

    const list = await getJson(url('ws_signing_key/'), { headers: auth })
    expect(list.meta).toEqual({ count: 2, limit: 10, offset: 0 })
    expect(list.results.map((k: Record<string, unknown>) => [k.uid, k.status])).toEqual([
      [rolled.uid, 'active'],
      [old.uid, 'rolled'],
    ])
    for (const k of list.results) {
      expect(k).not.toHaveProperty('private_key_pem')
      expect(k).not.toHaveProperty('private_key_base64')
    }

    // rolling a key that is not active: 400; unknown uid or the id instead of the uid: 404
    expect((await fetch(url(`ws_signing_key/${old.uid}/roll/`), { method: 'POST', headers: auth })).status).toBe(400)
    expect((await fetch(url('ws_signing_key/signing_key_nope/roll/'), { method: 'POST', headers: auth })).status).toBe(
      404,
    )
    expect((await fetch(url(`ws_signing_key/${rolled.id}/roll/`), { method: 'POST', headers: auth })).status).toBe(404)

    const del = await fetch(url(`ws_signing_key/${old.uid}/`), { method: 'DELETE', headers: auth })
    expect(del.status).toBe(204)
    expect(await del.text()).toBe('')
    expect(ss.signingKeys(ws).map((k) => k.uid)).toEqual([rolled.uid])
    expect((await fetch(url(`ws_signing_key/${old.uid}/`), { method: 'DELETE', headers: auth })).status).toBe(404)
  })

  it('paginates lists with limit/offset and never lists API key secrets', async () => {
    const seeded = Array.from({ length: 23 }, (_, i) => ss.seedApiKey(ws, { name: `key-${i}` }))
    const seen: string[] = []
    for (let offset = 0; ; offset += 10) {
      const page = await getJson(url(`ws_api_key/?limit=10&offset=${offset}`), { headers: auth })
      expect(page.meta).toEqual({ count: 23, limit: 10, offset })
      for (const k of page.results) {
        expect(k).not.toHaveProperty('api_key')
        expect(k.masked_api_key).toMatch(/^SS\.[A-Za-z0-9]{7}\*{5}$/)
        seen.push(k.id)
      }
      if (offset + page.results.length >= page.meta.count) break
    }
    expect(seen).toHaveLength(23)
    expect(new Set(seen)).toEqual(new Set(seeded.map((k) => k.id)))
    const first = await getJson(url('ws_api_key/'), { headers: auth })
    expect(first.meta).toEqual({ count: 23, limit: 10, offset: 0 })
    expect(first.results).toHaveLength(10)
  })

  it('creates API keys with the secret once', async () => {
    const res = await fetch(url('ws_api_key/'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'backend-prod' }),
    })
    expect(res.status).toBe(201)
    const body = await read(res)
    expect(body.id).toMatch(/^ws_apik_/)
    expect(body.api_key).toMatch(/^SS\.[A-Za-z0-9]{43}$/)
    expect(body.masked_api_key).toBe(`${body.api_key.slice(0, 10)}*****`)
    expect(ss.apiKeys(ws)[0]?.api_key).toBe(body.api_key)
    expect((await fetch(url(`ws_api_key/${body.id}/`), { method: 'DELETE', headers: auth })).status).toBe(204)
    expect(ss.apiKeys(ws)).toEqual([])
  })

  it('manages public keys: create, secure mode, rotate, delete', async () => {
    const missing = await fetch(url('ws_public_key/'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ description: 'x' }),
    })
    expect(missing.status).toBe(400)
    expect((await read(missing)).type).toBe('ValidationError')

    const created = await getJson(url('ws_public_key/'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'web-app' }),
    })
    expect(created).toMatchObject({ name: 'web-app', is_secure_mode_enabled: false, is_deleted: false })
    expect(created.id).toMatch(/^ws_pubk_/)
    expect(created.api_key).toMatch(/^SS\.PUBK\./)

    const bad = await fetch(url(`ws_public_key/${created.id}/`), {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ is_secure_mode_enabled: 'yes' }),
    })
    expect(bad.status).toBe(400)
    const on = await fetch(url(`ws_public_key/${created.id}/`), {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ is_secure_mode_enabled: true }),
    })
    expect(on.status).toBe(202)
    expect((await read(on)).is_secure_mode_enabled).toBe(true)

    const rotated = await fetch(url(`ws_public_key/${created.id}/rotate/`), { method: 'PATCH', headers: auth })
    expect(rotated.status).toBe(202)
    const after = await read(rotated)
    expect(after.id).toBe(created.id)
    expect(after.api_key).toMatch(/^SS\.PUBK\.[A-Za-z0-9]+$/)
    expect(after.api_key).not.toBe(created.api_key)
    expect(after.is_secure_mode_enabled).toBe(true)
    expect(ss.publicKeys(ws)[0]?.api_key).toBe(after.api_key)

    expect((await fetch(url(`ws_public_key/${created.id}/`), { method: 'DELETE', headers: auth })).status).toBe(204)
    expect((await fetch(url(`ws_public_key/${created.id}/rotate/`), { method: 'PATCH', headers: auth })).status).toBe(
      404,
    )
  })

  it('injects a status sequence with retry-after, then answers normally', async () => {
    const fault = ss.inject({ method: 'POST', path: /\/ws_signing_key\/$/, status: [503, 503], retryAfter: 2 })
    // a GET to the same path does not match the POST fault
    expect((await fetch(url('ws_signing_key/'), { headers: auth })).status).toBe(200)
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(url('ws_signing_key/'), { method: 'POST', headers: auth })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('2')
      expect((await read(res)).code).toBe(503)
    }
    expect(ss.signingKeys(ws)).toHaveLength(0)
    expect((await fetch(url('ws_signing_key/'), { method: 'POST', headers: auth })).status).toBe(201)
    expect(fault.hits).toBe(2)
    expect(fault.remaining).toBe(0)
    expect(ss.requests.map((r) => [r.method, r.fault ?? null])).toEqual([
      ['GET', null],
      ['POST', 'status 503'],
      ['POST', 'status 503'],
      ['POST', null],
    ])
  })

  it('drops the connection without a response, once', async () => {
    ss.inject({ method: 'POST', path: /ws_api_key/, drop: true })
    await expect(fetch(url('ws_api_key/'), { method: 'POST', headers: json, body: '{"name":"a"}' })).rejects.toThrow()
    expect(ss.apiKeys(ws)).toHaveLength(0)
    expect(ss.requests[0]).toMatchObject({ method: 'POST', fault: 'drop', json: { name: 'a' } })
    expect((await fetch(url('ws_api_key/'), { method: 'POST', headers: json, body: '{"name":"a"}' })).status).toBe(201)
  })

  it('answers with a non-JSON proxy page', async () => {
    ss.inject({ path: /ws_public_key/, html: true, status: 502 })
    const res = await fetch(url('ws_public_key/'), { headers: auth })
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const text = await res.text()
    expect(text).toContain('<title>502 Bad Gateway</title>')
    expect(() => JSON.parse(text)).toThrow()
    expect((await fetch(url('ws_public_key/'), { headers: auth })).status).toBe(200)
  })

  it('applies a delay-only fault and then handles the request normally', async () => {
    ss.inject({ method: 'GET', delayMs: 20 })
    const res = await fetch(url('ws_api_key/'), { headers: auth })
    expect(res.status).toBe(200)
    expect(ss.requests[0]?.fault).toBe('delay 20ms')
  })

  it('logs requests with lower-case headers, path with query and body; reset clears', async () => {
    await fetch(url('ws_public_key/?limit=5'), {
      headers: { Authorization: `ServiceToken ${TOKEN}`, 'X-Trace': 'abc' },
    })
    await fetch(url('ws_public_key/'), { method: 'POST', headers: json, body: JSON.stringify({ name: 'n' }) })
    expect(ss.requests).toHaveLength(2)
    expect(ss.requests[0]).toMatchObject({ method: 'GET', path: `/v1/${ws}/ws_public_key/?limit=5`, body: '' })
    expect(ss.requests[0]?.headers['x-trace']).toBe('abc')
    expect(ss.requests[0]?.headers.authorization).toBe(`ServiceToken ${TOKEN}`)
    expect(ss.requests[1]?.json).toEqual({ name: 'n' })
    expect(ss.requests.filter((r) => r.method === 'POST' && r.path.includes('ws_signing_key'))).toEqual([])
    ss.reset()
    expect(ss.requests).toHaveLength(0)
  })
})

describe('GitHub sandbox', () => {
  let gh: GitHubSandbox
  beforeAll(async () => {
    await sodium.ready
    gh = await startGitHub()
    gh.addRepository('acme/app', { id: 4242, environments: ['production', 'prod / eu'] })
    gh.addOrganization('acme')
    gh.allowToken('good-token')
    gh.refuseToken('weak-token', { kind: 'repository', target: 'acme/app' })
  })
  afterAll(async () => {
    await gh.close()
  })
  afterEach(() => {
    gh.reset()
  })
  const h = (token = 'good-token'): Record<string, string> => ({
    authorization: `token ${token}`,
    'content-type': 'application/json',
  })
  const seal = (value: string, key: string): string =>
    Buffer.from(sodium.crypto_box_seal(sodium.from_string(value), new Uint8Array(Buffer.from(key, 'base64')))).toString(
      'base64',
    )

  it('answers 401 without a token or with an unknown one, and accepts token/Bearer', async () => {
    const missing = await fetch(`${gh.url}/repos/acme/app`)
    expect(missing.status).toBe(401)
    const bad = await fetch(`${gh.url}/repos/acme/app`, { headers: { authorization: 'token nope' } })
    expect(bad.status).toBe(401)
    expect(await read(bad)).toMatchObject({ message: 'Bad credentials', status: '401' })
    const repo = await fetch(`${gh.url}/repos/acme/app`, { headers: { authorization: 'Bearer good-token' } })
    expect(repo.status).toBe(200)
    expect(await read(repo)).toMatchObject({ id: 4242, full_name: 'acme/app' })
    expect((await fetch(`${gh.url}/repos/acme/missing`, { headers: h() })).status).toBe(404)
  })

  it('round-trips a repository secret: public key, sealed PUT (201 then 204), readSecret', async () => {
    const pk = await getJson(`${gh.url}/repos/acme/app/actions/secrets/public-key`, { headers: h() })
    expect(pk).toEqual(gh.publicKey('repository', 'acme/app'))
    expect(Buffer.from(pk.key, 'base64')).toHaveLength(32)
    expect((await fetch(`${gh.url}/repos/acme/app/actions/secrets/SIGNING_KEY`, { headers: h() })).status).toBe(404)

    const value = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n'
    const put = (v: string): Promise<Response> =>
      fetch(`${gh.url}/repos/acme/app/actions/secrets/signing_key`, {
        method: 'PUT',
        headers: h(),
        body: JSON.stringify({ encrypted_value: seal(v, pk.key), key_id: pk.key_id }),
      })
    expect((await put(value)).status).toBe(201)
    expect(await gh.readSecret('repository', 'acme/app', 'SIGNING_KEY')).toBe(value)
    const second = await put('v2')
    expect(second.status).toBe(204)
    expect(await gh.readSecret('repository', 'acme/app', 'signing_key')).toBe('v2')
    expect(gh.secretMeta('repository', 'acme/app', 'SIGNING_KEY')).toMatchObject({
      name: 'SIGNING_KEY',
      createCount: 1,
      updateCount: 1,
    })
    const got = await fetch(`${gh.url}/repos/acme/app/actions/secrets/SIGNING_KEY`, { headers: h() })
    expect(got.status).toBe(200)
    expect(Object.keys(await read(got)).sort()).toEqual(['created_at', 'name', 'updated_at'])
  })

  it('stores environment secrets under URL-encoded names with spaces and slashes', async () => {
    const base = `${gh.url}/repos/acme/app/environments/${encodeURIComponent('prod / eu')}/secrets`
    const pk = await getJson(`${base}/public-key`, { headers: h() })
    expect(pk.key_id).toBe(gh.publicKey('environment', 'acme/app/prod / eu').key_id)
    expect(pk.key_id).not.toBe(gh.publicKey('repository', 'acme/app').key_id)
    const res = await fetch(`${base}/API_KEY`, {
      method: 'PUT',
      headers: h(),
      body: JSON.stringify({ encrypted_value: seal('s3cret', pk.key), key_id: pk.key_id }),
    })
    expect(res.status).toBe(201)
    expect(await gh.readSecret('environment', 'acme/app/prod / eu', 'API_KEY')).toBe('s3cret')
    expect(gh.secretNames('environment', 'acme/app/production')).toEqual([])
  })

  it('validates PUT: key_id, base64, organization visibility', async () => {
    const pk = gh.publicKey('organization', 'acme')
    const put = (body: unknown): Promise<Response> =>
      fetch(`${gh.url}/orgs/acme/actions/secrets/ORG_KEY`, { method: 'PUT', headers: h(), body: JSON.stringify(body) })
    expect((await put({ encrypted_value: seal('x', pk.key), key_id: 'wrong', visibility: 'all' })).status).toBe(422)
    expect((await put({ encrypted_value: 'not base64!', key_id: pk.key_id, visibility: 'all' })).status).toBe(422)
    expect((await put({ encrypted_value: seal('x', pk.key), key_id: pk.key_id })).status).toBe(422)
    const ok = await put({
      encrypted_value: seal('org value', pk.key),
      key_id: pk.key_id,
      visibility: 'selected',
      selected_repository_ids: [4242],
    })
    expect(ok.status).toBe(201)
    expect(gh.secretMeta('organization', 'acme', 'ORG_KEY')).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: [4242],
    })
    expect(await gh.readSecret('organization', 'acme', 'ORG_KEY')).toBe('org value')
    const bad = await fetch(`${gh.url}/repos/acme/app/actions/secrets/GITHUB_X`, {
      method: 'PUT',
      headers: h(),
      body: JSON.stringify({
        encrypted_value: seal('x', gh.publicKey('repository', 'acme/app').key),
        key_id: gh.publicKey('repository', 'acme/app').key_id,
      }),
    })
    expect(bad.status).toBe(422)
  })

  it('refuses a refused token with GitHub 403 body, but still serves it the public key', async () => {
    const pk = await fetch(`${gh.url}/repos/acme/app/actions/secrets/public-key`, { headers: h('weak-token') })
    expect(pk.status).toBe(200)
    const key = await read(pk)
    const get = await fetch(`${gh.url}/repos/acme/app/actions/secrets/ANY`, { headers: h('weak-token') })
    expect(get.status).toBe(403)
    expect(await read(get)).toEqual({
      message: 'Resource not accessible by personal access token',
      documentation_url: 'https://docs.github.com/rest/actions/secrets#get-a-repository-secret',
      status: '403',
    })
    const put = await fetch(`${gh.url}/repos/acme/app/actions/secrets/ANY`, {
      method: 'PUT',
      headers: h('weak-token'),
      body: JSON.stringify({ encrypted_value: seal('x', key.key), key_id: key.key_id }),
    })
    expect(put.status).toBe(403)
    expect(gh.secretMeta('repository', 'acme/app', 'ANY')).toBeUndefined()
    expect((await fetch(`${gh.url}/repos/acme/app/actions/variables/ANY`, { headers: h('weak-token') })).status).toBe(
      403,
    )
    // the refusal is for the repository only
    expect(
      (await fetch(`${gh.url}/repos/acme/app/environments/production/secrets/ANY`, { headers: h('weak-token') }))
        .status,
    ).toBe(404)
  })

  it('creates and updates variables (GET 404, POST 201, POST 409, PATCH 204)', async () => {
    const base = `${gh.url}/repos/acme/app/environments/production/variables`
    expect((await fetch(`${base}/PUBLIC_KEY`, { headers: h() })).status).toBe(404)
    expect((await fetch(`${base}/PUBLIC_KEY`, { method: 'PATCH', headers: h(), body: '{"value":"x"}' })).status).toBe(
      404,
    )
    const created = await fetch(base, {
      method: 'POST',
      headers: h(),
      body: JSON.stringify({ name: 'public_key', value: 'SS.PUBK.one' }),
    })
    expect(created.status).toBe(201)
    expect(
      (await fetch(base, { method: 'POST', headers: h(), body: JSON.stringify({ name: 'PUBLIC_KEY', value: 'dup' }) }))
        .status,
    ).toBe(409)
    const patched = await fetch(`${base}/PUBLIC_KEY`, {
      method: 'PATCH',
      headers: h(),
      body: JSON.stringify({ name: 'PUBLIC_KEY', value: 'SS.PUBK.two' }),
    })
    expect(patched.status).toBe(204)
    expect(gh.readVariable('environment', 'acme/app/production', 'PUBLIC_KEY')).toBe('SS.PUBK.two')
    expect(gh.variableMeta('environment', 'acme/app/production', 'public_key')).toMatchObject({
      createCount: 1,
      updateCount: 1,
    })
    expect(await getJson(`${base}/PUBLIC_KEY`, { headers: h() })).toMatchObject({
      name: 'PUBLIC_KEY',
      value: 'SS.PUBK.two',
    })

    const org = `${gh.url}/orgs/acme/actions/variables`
    expect(
      (await fetch(org, { method: 'POST', headers: h(), body: JSON.stringify({ name: 'V', value: '1' }) })).status,
    ).toBe(422)
    expect(
      (
        await fetch(org, {
          method: 'POST',
          headers: h(),
          body: JSON.stringify({ name: 'V', value: '1', visibility: 'private' }),
        })
      ).status,
    ).toBe(201)
    expect(gh.variableMeta('organization', 'acme', 'V')).toMatchObject({ value: '1', visibility: 'private' })
  })

  it('injects a secondary rate limit, then answers normally', async () => {
    gh.inject(secondaryRateLimit({ method: 'PUT', path: /\/actions\/secrets\/RL$/, retryAfter: 3 }))
    const pk = gh.publicKey('repository', 'acme/app')
    const body = JSON.stringify({ encrypted_value: seal('v', pk.key), key_id: pk.key_id })
    const limited = await fetch(`${gh.url}/repos/acme/app/actions/secrets/RL`, { method: 'PUT', headers: h(), body })
    expect(limited.status).toBe(403)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await read(limited)).message).toMatch(/secondary rate limit/)
    expect(gh.secretMeta('repository', 'acme/app', 'RL')).toBeUndefined()
    expect(
      (await fetch(`${gh.url}/repos/acme/app/actions/secrets/RL`, { method: 'PUT', headers: h(), body })).status,
    ).toBe(201)
  })
})

// A GitHub stand-in with a hand-driven clock, so the limiter's windows can be crossed instantly.
async function clocked(limits: RateLimits = {}, latencyMs = 0) {
  let t = Date.parse('2026-01-01T00:00:00Z')
  const gh = await startGitHub({ tokens: ['tok'], limits, latencyMs, now: () => t })
  gh.addRepository('acme/app')
  const headers = { authorization: 'token tok', 'content-type': 'application/json' }
  return {
    gh,
    advance(ms: number) {
      t += ms
    },
    /** A read: 1 point, not content-generating. */
    get: (path = '/repos/acme/app') => fetch(`${gh.url}${path}`, { headers }),
    /** A write: 5 points, content-generating (a 404 DELETE counts like any other). */
    write: () => fetch(`${gh.url}/repos/acme/app/actions/variables/NOPE`, { method: 'DELETE', headers }),
  }
}

describe('GitHub rate limits', () => {
  const open: GitHubSandbox[] = []
  const start = async (limits?: RateLimits, latencyMs?: number) => {
    const s = await clocked(limits, latencyMs)
    open.push(s.gh)
    return s
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((gh) => gh.close()))
  })
  const refusal = async (res: Response): Promise<[number, string | null, string]> => [
    res.status,
    res.headers.get('retry-after'),
    (await read(res)).message,
  ]

  it('puts x-ratelimit-* headers on authenticated answers only, and /rate_limit spends nothing', async () => {
    const { gh, get } = await start()
    const first = await get()
    expect(Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-ratelimit-')))).toEqual({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(Date.parse('2026-01-01T01:00:00Z') / 1000),
      'x-ratelimit-resource': 'core',
    })
    expect((await get('/repos/acme/nope')).headers.get('x-ratelimit-remaining')).toBe('4998')
    const anonymous = await fetch(`${gh.url}/repos/acme/app`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('x-ratelimit-limit')).toBeNull()
    const rate = await get('/rate_limit')
    expect(rate.headers.get('x-ratelimit-remaining')).toBe('4998')
    const core = { limit: 5000, remaining: 4998, used: 2, reset: Date.parse('2026-01-01T01:00:00Z') / 1000 }
    expect(await read(rate)).toEqual({
      resources: { core: { ...core, resource: 'core' } },
      rate: { ...core, resource: 'core' },
    })
  })

  it('refuses past the primary budget with 403 and remaining 0 until the hour is over', async () => {
    const { gh, get, advance } = await start({ primaryPerHour: 2 })
    expect((await get()).status).toBe(200)
    expect((await get()).status).toBe(200)
    const refused = await get()
    expect(refused.status).toBe(403)
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(refused.headers.get('retry-after')).toBeNull()
    expect((await read(refused)).message).toMatch(/^API rate limit exceeded for user ID 1\. /)
    expect((await get('/rate_limit')).status).toBe(200)
    advance(3_600_000)
    expect((await get()).headers.get('x-ratelimit-remaining')).toBe('1')
    expect(gh.refusals()).toMatchObject({ primary: 1, total: 1 })
  })

  it('presets a token budget with setRateLimitRemaining, as after an earlier large rotation', async () => {
    const { gh, get } = await start()
    gh.setRateLimitRemaining('tok', 1, { resetInSeconds: 120 })
    expect(gh.rateLimit('tok')).toMatchObject({ limit: 5000, remaining: 1, used: 4999 })
    const last = await get()
    expect(last.status).toBe(200)
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(last.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2026-01-01T00:02:00Z') / 1000))
    expect((await get()).status).toBe(403)
  })

  it('counts points: reads 1, writes 5, at most pointsPerMinute in a trailing minute', async () => {
    const { gh, get, write, advance } = await start({ pointsPerMinute: 12 })
    expect((await write()).status).toBe(404)
    expect((await write()).status).toBe(404)
    advance(30_000)
    expect((await get()).status).toBe(200)
    expect((await get()).status).toBe(200)
    expect(await refusal(await get())).toEqual([403, '60', SECONDARY_RATE_LIMIT_MESSAGE])
    advance(30_000) // the two writes leave the window; the reads and the counted refusal stay (3 points)
    expect((await write()).status).toBe(404)
    expect(gh.refusals()).toMatchObject({ points: 1, total: 1 })
    expect(gh.requests.map((r) => r.refused ?? null)).toEqual([null, null, null, null, 'points', null])
  })

  it('allows GitHub’s 80 content-generating requests a minute by default, not 81', async () => {
    const { gh, write, advance } = await start()
    for (let i = 0; i < 80; i += 1) expect((await write()).status).toBe(404)
    const refused = await write()
    expect(refused.status).toBe(403)
    expect(refused.headers.get('retry-after')).toBe('60')
    expect(gh.requests.at(-1)?.refused).toBe('contentPerMinute')
    advance(60_001)
    expect((await write()).status).toBe(404)
  })

  it('keeps refusing a client that writes while limited, because refused requests count', async () => {
    const { write, advance } = await start({ contentPerMinute: 2 })
    await write()
    await write()
    advance(50_000)
    expect((await write()).status).toBe(403)
    advance(5_000)
    expect((await write()).status).toBe(403)
    advance(6_000) // the first two left the window, the two refused ones have not
    expect((await write()).status).toBe(403)
  })

  it('does not count refused requests with countRefused: false', async () => {
    const { write, advance } = await start({ contentPerMinute: 2, countRefused: false })
    await write()
    await write()
    advance(50_000)
    expect((await write()).status).toBe(403)
    advance(11_000)
    expect((await write()).status).toBe(404)
  })

  it('limits content-generating requests per trailing hour', async () => {
    const { gh, write, advance } = await start({ contentPerHour: 3 })
    for (let i = 0; i < 3; i += 1) {
      expect((await write()).status).toBe(404)
      advance(61_000)
    }
    expect(await refusal(await write())).toEqual([403, '60', SECONDARY_RATE_LIMIT_MESSAGE])
    expect(gh.refusals('tok').contentPerHour).toBe(1)
    advance(3_600_000)
    expect((await write()).status).toBe(404)
  })

  it('refuses requests beyond the concurrency limit while earlier ones are in flight', async () => {
    const { gh, get } = await start({ concurrent: 2 }, 150)
    const statuses = (await Promise.all([get(), get(), get(), get()])).map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 403, 403])
    expect(gh.refusals()).toMatchObject({ concurrent: 2, total: 2 })
    expect((await get()).status).toBe(200) // every slot was released once its answer was sent
  })

  it('counts a request an injected fault answered; reset() clears the limiter and its counts', async () => {
    const { gh, get } = await start({ primaryPerHour: 2 })
    gh.inject({ path: '/repos/acme/app', status: 502 })
    expect((await get()).status).toBe(502)
    expect((await get()).status).toBe(200)
    expect((await get()).status).toBe(403)
    expect(gh.refusals().total).toBe(1)
    gh.reset()
    expect(gh.refusals()).toEqual({
      primary: 0,
      concurrent: 0,
      points: 0,
      contentPerMinute: 0,
      contentPerHour: 0,
      total: 0,
    })
    expect(gh.requests).toEqual([])
    expect((await get()).headers.get('x-ratelimit-remaining')).toBe('1')
  })
})

describe('GitHub secret families and token permissions', () => {
  let gh: GitHubSandbox
  beforeAll(async () => {
    await sodium.ready
    gh = await startGitHub({ tokens: ['full'] })
    gh.addRepository('acme/app', { environments: ['production'] })
    gh.addOrganization('acme')
    gh.addToken('no-secrets', { secrets: false })
    gh.addToken('no-dependabot', { dependabotSecrets: false })
    gh.addToken('no-codespaces', { codespacesSecrets: false })
    gh.addToken('no-variables', { variables: false })
    gh.addToken('no-environments', { environments: false })
  })
  afterAll(async () => {
    await gh.close()
  })
  afterEach(() => {
    gh.reset()
  })
  const h = (token = 'full') => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' })
  const seal = (value: string, key: string): string =>
    Buffer.from(sodium.crypto_box_seal(sodium.from_string(value), new Uint8Array(Buffer.from(key, 'base64')))).toString(
      'base64',
    )
  const put = (path: string, body: unknown, token = 'full') =>
    fetch(`${gh.url}${path}`, { method: 'PUT', headers: h(token), body: JSON.stringify(body) })
  const forbidden = (anchor: string) => ({
    message: 'Resource not accessible by personal access token',
    documentation_url: expect.stringContaining(`#${anchor}`),
    status: '403',
  })
  const families = [
    { type: 'dependabot', kind: 'repository', target: 'acme/app', path: '/repos/acme/app/dependabot/secrets' },
    { type: 'codespaces', kind: 'repository', target: 'acme/app', path: '/repos/acme/app/codespaces/secrets' },
    { type: 'dependabot', kind: 'organization', target: 'acme', path: '/orgs/acme/dependabot/secrets' },
    { type: 'codespaces', kind: 'organization', target: 'acme', path: '/orgs/acme/codespaces/secrets' },
  ] as const

  for (const f of families) {
    it(`stores ${f.type} secrets of a ${f.kind} sealed for that family's own key`, async () => {
      const pk = await getJson(`${gh.url}${f.path}/public-key`, { headers: h() })
      expect(pk).toEqual(gh.publicKey(f.kind, f.target, { type: f.type }))
      expect(pk.key_id).not.toBe(gh.publicKey(f.kind, f.target).key_id)
      const visibility = f.kind === 'organization' ? { visibility: 'private' } : {}
      if (f.kind === 'organization') {
        const missing = await put(`${f.path}/NO_VIS`, { encrypted_value: seal('v', pk.key), key_id: pk.key_id })
        expect(missing.status).toBe(422)
      }
      const created = await put(`${f.path}/TOKEN`, {
        encrypted_value: seal('s3cret', pk.key),
        key_id: pk.key_id,
        ...visibility,
      })
      expect(created.status).toBe(201)
      expect(await gh.readSecret(f.kind, f.target, 'TOKEN', { type: f.type })).toBe('s3cret')
      expect(gh.secretNames(f.kind, f.target, { type: f.type })).toEqual(['TOKEN'])
      expect(gh.secretNames(f.kind, f.target)).toEqual([])
      // A box sealed for the Actions key, sent with this family's key id, is stored but never opens.
      const actionsKey = gh.publicKey(f.kind, f.target).key
      const wrong = await put(`${f.path}/TOKEN`, {
        encrypted_value: seal('x', actionsKey),
        key_id: pk.key_id,
        ...visibility,
      })
      expect(wrong.status).toBe(204)
      await expect(gh.readSecret(f.kind, f.target, 'TOKEN', { type: f.type })).rejects.toThrow()
    })
  }

  it('has no Dependabot or Codespaces secrets for environments', async () => {
    const env = `${gh.url}/repos/acme/app/environments/production`
    expect((await fetch(`${env}/dependabot/secrets/public-key`, { headers: h() })).status).toBe(404)
    expect(() => gh.publicKey('environment', 'acme/app/production', { type: 'codespaces' })).toThrow(/no codespaces/)
    await gh.seedSecret('repository', 'acme/app', 'SEEDED', 'v', { type: 'codespaces' })
    expect(gh.secretMeta('repository', 'acme/app', 'SEEDED', { type: 'codespaces' })).toMatchObject({ createCount: 0 })
  })

  it('answers 422 naming a stale key_id after rotatePublicKey; old boxes still open', async () => {
    await gh.seedSecret('repository', 'acme/app', 'OLD', 'before', { type: 'dependabot' })
    const old = gh.publicKey('repository', 'acme/app', { type: 'dependabot' })
    const fresh = gh.rotatePublicKey('repository', 'acme/app', { type: 'dependabot' })
    expect(fresh.key_id).not.toBe(old.key_id)
    const stale = await put('/repos/acme/app/dependabot/secrets/NEW', {
      encrypted_value: seal('v', old.key),
      key_id: old.key_id,
    })
    expect(stale.status).toBe(422)
    expect(await read(stale)).toEqual({
      message: `Invalid request.\n\nkey_id '${old.key_id}' does not match the current public key.`,
      documentation_url: 'https://docs.github.com/rest/dependabot/secrets',
      status: '422',
    })
    expect(await gh.readSecret('repository', 'acme/app', 'OLD', { type: 'dependabot' })).toBe('before')
    const ok = await put('/repos/acme/app/dependabot/secrets/NEW', {
      encrypted_value: seal('v', fresh.key),
      key_id: fresh.key_id,
    })
    expect(ok.status).toBe(201)
  })

  it('refuses Actions secrets to a token without `secrets`, but serves it the public key', async () => {
    const base = `${gh.url}/repos/acme/app/actions/secrets`
    expect((await fetch(`${base}/public-key`, { headers: h('no-secrets') })).status).toBe(200)
    const got = await fetch(`${base}/ANY`, { headers: h('no-secrets') })
    expect(got.status).toBe(403)
    expect(await read(got)).toEqual(forbidden('get-a-repository-secret'))
    const pk = gh.publicKey('organization', 'acme')
    const org = await put(
      '/orgs/acme/actions/secrets/ANY',
      { encrypted_value: seal('v', pk.key), key_id: pk.key_id, visibility: 'all' },
      'no-secrets',
    )
    expect(org.status).toBe(403)
    expect((await fetch(`${gh.url}/repos/acme/app/actions/variables/ANY`, { headers: h('no-secrets') })).status).toBe(
      404,
    )
    expect((await fetch(`${gh.url}/repos/acme/app/dependabot/secrets/ANY`, { headers: h('no-secrets') })).status).toBe(
      404,
    )
  })

  it('refuses each family and variables to a token without that permission', async () => {
    const cases = [
      ['no-dependabot', '/repos/acme/app/dependabot/secrets', 'get-a-repository-secret'],
      ['no-codespaces', '/orgs/acme/codespaces/secrets', 'get-an-organization-secret'],
    ] as const
    for (const [token, path, anchor] of cases) {
      expect((await fetch(`${gh.url}${path}/public-key`, { headers: h(token) })).status).toBe(200)
      const res = await fetch(`${gh.url}${path}/ANY`, { headers: h(token) })
      expect([token, res.status, await read(res)]).toEqual([token, 403, forbidden(anchor)])
      expect((await fetch(`${gh.url}/repos/acme/app/actions/secrets/ANY`, { headers: h(token) })).status).toBe(404)
    }
    const variable = await fetch(`${gh.url}/repos/acme/app/actions/variables`, {
      method: 'POST',
      headers: h('no-variables'),
      body: JSON.stringify({ name: 'V', value: '1' }),
    })
    expect(variable.status).toBe(403)
    expect(gh.readVariable('repository', 'acme/app', 'V')).toBeUndefined()
  })

  it('needs `environments` for environment secrets and variables', async () => {
    const env = `${gh.url}/repos/acme/app/environments/production`
    expect((await fetch(env, { headers: h('no-environments') })).status).toBe(200)
    expect((await fetch(`${env}/secrets/public-key`, { headers: h('no-environments') })).status).toBe(200)
    const secret = await fetch(`${env}/secrets/ANY`, { headers: h('no-environments') })
    expect(await read(secret)).toEqual(forbidden('get-an-environment-secret'))
    expect((await fetch(`${env}/variables/ANY`, { headers: h('no-environments') })).status).toBe(403)
    expect(
      (await fetch(`${gh.url}/repos/acme/app/actions/secrets/ANY`, { headers: h('no-environments') })).status,
    ).toBe(404)
    expect((await fetch(`${env}/secrets/ANY`, { headers: h('no-secrets') })).status).toBe(403)
  })
})

describe('SuprSend test controls', () => {
  const open: SuprSendSandbox[] = []
  const start = async (options: SuprSendOptions = {}) => {
    const ss = await startSuprSend(options)
    open.push(ss)
    ss.addWorkspace('w')
    const call = (path: string, method = 'GET', body?: unknown) =>
      getJson(`${ss.url}/v1/w/${path}`, {
        method,
        headers: json,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    return { ss, call }
  }
  afterAll(async () => {
    await Promise.all(open.map((ss) => ss.close()))
  })
  const filler = 'x'.repeat(37)

  it('mints sequential ids and one-second-apart timestamps in deterministic mode', async () => {
    const { ss, call } = await start({ deterministic: true })
    await call('ws_signing_key/') // reads do not advance the clock
    const created = await call('ws_signing_key/', 'POST')
    expect(created).toMatchObject({
      id: 'ws_signk_000001',
      uid: 'signing_key_000001',
      created_at: '2026-01-01T00:00:00.000Z',
    })
    const rolled = await call('ws_signing_key/signing_key_000001/roll/', 'POST')
    expect(rolled).toMatchObject({
      id: 'ws_signk_000002',
      uid: 'signing_key_000002',
      created_at: '2026-01-01T00:00:01.000Z',
    })
    expect(ss.signingKeys('w')[1]).toMatchObject({ status: 'rolled', rolled_at: '2026-01-01T00:00:01.000Z' })
    expect(createPrivateKey(rolled.private_key_pem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(rolled.private_key_pem).not.toBe(created.private_key_pem)
    const pub = await call('ws_public_key/', 'POST', { name: 'web' })
    expect(pub).toMatchObject({
      id: 'ws_pubk_000001',
      api_key: `SS.PUBK.000001${filler}`,
      created_at: '2026-01-01T00:00:02.000Z',
    })
    const rotated = await call('ws_public_key/ws_pubk_000001/rotate/', 'PATCH')
    expect(rotated).toMatchObject({ api_key: `SS.PUBK.000002${filler}`, rotated_at: '2026-01-01T00:00:03.000Z' })
    const api = await call('ws_api_key/', 'POST', { name: 'backend' })
    expect(api).toMatchObject({
      id: 'ws_apik_000001',
      api_key: `SS.000001${filler}`,
      masked_api_key: 'SS.000001x*****',
    })
  })

  it('takes timestamps from an injected clock', async () => {
    const { call } = await start({ now: () => new Date('2030-05-06T07:08:09.000Z') })
    const created = await call('ws_signing_key/', 'POST')
    expect(created.created_at).toBe('2030-05-06T07:08:09.000Z')
    expect(created.id).toMatch(/^ws_signk_[A-Za-z0-9]{20}$/)
  })

  it('seeds arbitrary field values and two active keys, and lists them verbatim', async () => {
    const { ss, call } = await start()
    const hostile = 'signing_key_a\r\n::stop-commands::x\nb'
    ss.seedSigningKey('w', { uid: hostile, created_at: '2020-01-01T00:00:00Z' })
    ss.seedSigningKey('w', { created_at: null, extra: 42 })
    ss.seedPublicKey('w', { name: 'web\r\n::warning::x', rotated_at: '2024-02-03T04:05:06Z' })
    const keys = await call('ws_signing_key/')
    expect(keys.results.map((k: Json) => [k.uid === hostile, k.status, k.created_at, k.extra])).toEqual([
      [false, 'active', null, 42],
      [true, 'active', '2020-01-01T00:00:00Z', undefined],
    ])
    expect((await call('ws_public_key/')).results[0]).toMatchObject({
      name: 'web\r\n::warning::x',
      rotated_at: '2024-02-03T04:05:06Z',
    })
    expect((await call('ws_signing_key/', 'POST')).code).toBe(400) // the API still enforces one active key
  })

  it('answers every page as the first with ignoreOffset', async () => {
    const { ss, call } = await start()
    for (let i = 0; i < 12; i += 1) ss.seedPublicKey('w', { name: `k${i}` })
    ss.setHostile('w', { ignoreOffset: true })
    const first = await call('ws_public_key/?limit=10')
    const second = await call('ws_public_key/?limit=10&offset=10')
    expect(second.meta).toEqual({ count: 12, limit: 10, offset: 0 })
    expect(second.results.map((k: Json) => k.id)).toEqual(first.results.map((k: Json) => k.id))
  })

  it('repeats the previous page’s last id with repeatIds, and caps pages with pageSize', async () => {
    const { ss, call } = await start()
    for (let i = 0; i < 5; i += 1) ss.seedApiKey('w', { name: `k${i}` })
    ss.setHostile('w', { repeatIds: true, pageSize: 2 })
    const pages: Json[] = []
    for (let offset = 0; pages.length === 0 || offset < pages[0].meta.count; offset += 2)
      pages.push(await call(`ws_api_key/?limit=100&offset=${offset}`))
    expect(pages.map((p) => p.meta.limit)).toEqual([2, 2, 2])
    const ids = pages.flatMap((p) => p.results.map((k: Json) => k.id))
    expect(ids).toHaveLength(6)
    expect(ids[2]).toBe(ids[1])
    expect(new Set(ids).size).toBe(5) // every key is still reached, one of them twice
    ss.setHostile('w', {})
    expect((await call('ws_api_key/?limit=100')).results).toHaveLength(5)
  })

  it('answers create/roll with the material given to nextKeyMaterial, once', async () => {
    const { ss, call } = await start()
    const p384 = generateSigningKeyMaterial({ curve: 'P-384' }).private_key_pem
    ss.nextKeyMaterial('w', { pem: p384 })
    const created = await call('ws_signing_key/', 'POST')
    expect(created.private_key_pem).toBe(p384)
    expect(Buffer.from(created.private_key_base64, 'base64').toString()).toBe(p384)
    expect(ss.activeSigningKey('w')?.private_key_pem).toBe(p384)

    const sec1 = generateSigningKeyMaterial({ format: 'sec1' }).private_key_pem
    expect(sec1).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/)
    ss.nextKeyMaterial('w', { pem: sec1, base64: Buffer.from('not the pem').toString('base64') })
    const rolled = await call(`ws_signing_key/${created.uid}/roll/`, 'POST')
    expect([rolled.private_key_pem, Buffer.from(rolled.private_key_base64, 'base64').toString()]).toEqual([
      sec1,
      'not the pem',
    ])
    expect(ss.activeSigningKey('w')?.private_key_base64).toBe(Buffer.from(sec1).toString('base64'))

    ss.nextKeyMaterial('w', { omitPem: true })
    const bare = await call(`ws_signing_key/${rolled.uid}/roll/`, 'POST')
    expect(bare).not.toHaveProperty('private_key_pem')
    const stored = ss.activeSigningKey('w')?.private_key_pem
    expect(Buffer.from(bare.private_key_base64, 'base64').toString()).toBe(stored)
    expect(createPrivateKey(stored ?? '').asymmetricKeyDetails?.namedCurve).toBe('prime256v1')

    const normal = await call(`ws_signing_key/${bare.uid}/roll/`, 'POST')
    expect(normal.private_key_pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
  })
})

/** One request over node:http, resolved even when the server cuts it off (complete: false). */
function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  complete: boolean
  headersMs: number
  totalMs: number
}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const headersMs = performance.now() - started
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', () => {})
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
          headersMs,
          totalMs: performance.now() - started,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('fault kinds', () => {
  let ss: SuprSendSandbox
  let gh: GitHubSandbox
  beforeAll(async () => {
    ss = await startSuprSend()
    ss.addWorkspace('w')
    gh = await startGitHub({ tokens: ['good-token'] })
    gh.addRepository('acme/app')
  })
  afterAll(async () => {
    await Promise.all([ss.close(), gh.close()])
  })
  afterEach(() => {
    ss.reset()
    gh.reset()
  })
  const keys = '/v1/w/ws_signing_key/'
  const apiKeys = '/v1/w/ws_api_key/'
  const send = (path: string, method = 'GET') => rawRequest(`${ss.url}${path}`, { method, headers: auth })
  const BOM = Buffer.from([0xef, 0xbb, 0xbf])

  it('sends exact raw bytes with the given status and headers', async () => {
    const raw = Buffer.concat([BOM, Buffer.from('{"meta":{"count":0,"limit":10,"offset":0},"results":[]}')])
    ss.inject({ method: 'GET', path: keys, raw, headers: { 'x-probe': '1' } })
    const res = await send(keys)
    expect([res.status, res.headers['x-probe'], res.headers['content-type']]).toEqual([
      200,
      '1',
      'application/json; charset=utf-8',
    ])
    expect(res.body.equals(raw)).toBe(true)
    expect(res.headers['content-length']).toBe(String(raw.length))
    expect(ss.requests[0]?.fault).toBe('raw 200')
  })

  it('prefixes the real answer with a BOM, for the targeted method only', async () => {
    ss.inject({ method: 'POST', path: keys, bom: true, suffix: '\n  ' })
    expect((await send(keys)).body.subarray(0, 3).equals(BOM)).toBe(false)
    const res = await send(keys, 'POST')
    expect(res.status).toBe(201)
    expect(res.body.subarray(0, 3).equals(BOM)).toBe(true)
    const text = res.body.subarray(3).toString()
    expect(text.endsWith('}\n  ')).toBe(true)
    expect(JSON.parse(text).private_key_pem).toBe(ss.activeSigningKey('w')?.private_key_pem)
    expect(Number(res.headers['content-length'])).toBe(res.body.length)
    expect(ss.requests[1]?.fault).toBe('bom + wrapped')
  })

  it('echoes the request headers, Authorization included, in an HTML page', async () => {
    gh.inject({ path: /\/repos\//, echoHeaders: true })
    const res = await fetch(`${gh.url}/repos/acme/app`, {
      headers: { authorization: 'token good-token', 'x-trace': 't1' },
    })
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toBe('text/html')
    const page = await res.text()
    expect(page).toContain('authorization: token good-token')
    expect(page).toContain('x-trace: t1')
  })

  it('drips the body after sending the headers at once', async () => {
    ss.inject({ path: apiKeys, drip: { intervalMs: 40, chunkBytes: 16 } })
    const res = await send(apiKeys)
    const chunks = Math.ceil(res.body.length / 16)
    expect(chunks).toBeGreaterThan(2)
    expect(res.complete).toBe(true)
    expect(res.headersMs).toBeLessThan(40)
    expect(res.totalMs).toBeGreaterThanOrEqual((chunks - 1) * 40 - 5)
    expect(JSON.parse(res.body.toString())).toEqual({ meta: { count: 0, limit: 10, offset: 0 }, results: [] })
    expect(ss.requests[0]?.fault).toBe('drip 40ms')
  })

  it('cuts the body after N bytes under a full content-length', async () => {
    ss.inject({ path: apiKeys, method: 'GET', cutAfterBytes: 10 })
    const res = await send(apiKeys)
    expect(res.status).toBe(200)
    expect(Number(res.headers['content-length'])).toBeGreaterThan(50)
    expect([res.body.length, res.complete]).toEqual([10, false])
    await expect(fetch(`${ss.url}${apiKeys}`, { headers: auth }).then((r) => r.text())).resolves.toContain('results')
  })

  it('sends a JSON error whose message is N bytes, or N bytes of text', async () => {
    ss.inject({ path: keys, hugeBody: 9_000_000 })
    const res = await fetch(`${ss.url}${keys}`, { headers: auth })
    const body = await read(res)
    expect([res.status, body.code, body.message.length]).toEqual([500, 500, 9_000_000])
    gh.inject({ hugeBody: { bytes: 2_000_000, json: false }, status: 503 })
    const text = await fetch(`${gh.url}/repos/acme/app`, { headers: { authorization: 'token good-token' } })
    expect([text.status, text.headers.get('content-type'), (await text.text()).length]).toEqual([
      503,
      'text/plain; charset=utf-8',
      2_000_000,
    ])
  })
})

describe('runAction and runner masking', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-test-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('merges overlapping and adjacent matches like the runner', () => {
    expect(maskLine('abcabc', ['bca', 'cab'])).toBe('a***c')
    expect(maskLine('foobar!', ['foo', 'bar'])).toBe('***!')
    expect(maskLine('aaaa', ['aa'])).toBe('***')
  })

  it('parses name=value and heredoc file commands', () => {
    expect(parseFileCommand('a=1\nb<<EOF\nx\n\ny=z\nEOF\nc=\n')).toEqual({ a: '1', b: 'x\n\ny=z', c: '' })
    expect(() => parseFileCommand('b<<EOF\nno end\n')).toThrow(/delimiter/)
  })

  it('reads action.yml input defaults', () => {
    const yml = [
      'name: x',
      'inputs:',
      '  service-token:',
      '    description: "token"',
      '    required: true',
      '  mode:',
      "    default: 'rotate'",
      '  github-token:',
      '    default: ${{ github.token }}',
      '  note:',
      '    default: |',
      '      line one',
      '      line two',
      'runs:',
      '  using: node24',
    ].join('\n')
    expect(actionInputDefaults(yml)).toEqual({ 'service-token': '', mode: 'rotate', note: 'line one\nline two\n' })
  })

  it('runs a script like the runner and masks its log from the registration onward', async () => {
    const script = join(dir, 'fake-action.mjs')
    await writeFile(
      script,
      [
        "import { appendFileSync } from 'node:fs';",
        "const esc = (s) => s.replace(/%/g, '%25').replace(/\\r/g, '%0D').replace(/\\n/g, '%0A');",
        "const token = process.env['INPUT_SERVICE-TOKEN'];",
        "const pem = '-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMG\\n  50%off  \\n-----END PRIVATE KEY-----\\n';",
        'console.log(`early: ${token}`);',
        'console.log(`::add-mask::${esc(token)}`);',
        'console.log(`late: ${token}! ${token}`);',
        'console.log(`::add-mask::${esc(pem)}`);',
        "console.log('-----END PRIVATE KEY-----');",
        "console.log('price: 50%off today');",
        'console.log(JSON.stringify(pem));',
        "console.log('   ::add-mask::indented');",
        "console.log('indented value');",
        "console.log('::add-mask::   ');",
        "console.log('::warning::kept raw');",
        'console.log(`ws=${process.env.INPUT_WORKSPACE_NAME} leak=${process.env.SANDBOX_LEAK_PROBE ?? "none"} actions=${process.env.GITHUB_ACTIONS}`);',
        'appendFileSync(process.env.GITHUB_OUTPUT, `private-key<<ghadelimiter_1\\n${pem}\\nghadelimiter_1\\nsimple=yes\\n`);',
        "appendFileSync(process.env.GITHUB_STEP_SUMMARY, '### Keys rotated\\n');",
        "console.error('to stderr');",
        'process.exitCode = 3;',
      ].join('\n'),
    )
    process.env.SANDBOX_LEAK_PROBE = 'leaked'
    let result
    try {
      result = await runAction({
        bundle: script,
        actionDefaults: false,
        githubApiUrl: 'http://127.0.0.1:1',
        inputs: { 'service-token': 'tok-123', 'workspace name': 'staging', unused: undefined },
      })
    } finally {
      delete process.env.SANDBOX_LEAK_PROBE
    }
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toBe('to stderr\n')
    expect(result.env['INPUT_SERVICE-TOKEN']).toBe('tok-123')
    expect(result.env).not.toHaveProperty('INPUT_UNUSED')
    expect(result.env.GITHUB_API_URL).toBe('http://127.0.0.1:1')
    expect(result.masks).toEqual([
      'tok-123',
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n  50%off  \n-----END PRIVATE KEY-----\n',
      'indented',
    ])
    expect(result.maskedLog).toBe(
      [
        'early: tok-123',
        'late: ***! ***',
        '***',
        'price: *** today',
        '"***\\n***\\n  ***  \\n***\\n"',
        '*** value',
        "##[warning]Can't add secret mask for empty string in ##[add-mask] command.",
        '::warning::kept raw',
        'ws=staging leak=none actions=true',
        '',
      ].join('\n'),
    )
    expect(result.outputs).toEqual({
      'private-key': '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n  50%off  \n-----END PRIVATE KEY-----\n',
      simple: 'yes',
    })
    expect(result.summary).toBe('### Keys rotated\n')
    expect(existsSync(result.tempDir)).toBe(false)
  })

  it('maskRunnerLog decodes %25, %0D and %0A in add-mask data', () => {
    const { log, masks } = maskRunnerLog('::add-mask::a%250Ab%0D%0Ac\nx a%0Ab y\nc\r\n')
    expect(masks).toEqual(['a%0Ab\r\nc'])
    expect(log).toBe('x *** y\n***\n')
  })
})
