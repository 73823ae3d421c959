// Tests of the sandbox stand-ins themselves, over real HTTP (global fetch), and of runAction().
import { createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sodium from 'libsodium-wrappers'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  actionInputDefaults,
  maskLine,
  maskRunnerLog,
  parseFileCommand,
  runAction,
  secondaryRateLimit,
  startGitHub,
  startSuprSend,
} from './sandbox/index.ts'
import type { GitHubSandbox, SuprSendSandbox } from './sandbox/index.ts'

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
