/**
 * The retry policy, seen from outside: which requests are repeated, how
 * many times, after what recorded delays, and which are sent exactly once.
 * Delays are recorded by the harness's sleep, never waited for.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defaultRetryPolicy, NetworkError, retryAfterMs, send, type HttpOptions } from '../src/http.ts'
import { NodeTransport } from '../src/transport.ts'
import { mockAgent } from './support/harness.ts'
import {
  apiKeyPath,
  apiKeyWithSecret,
  apiUrl,
  errorBody,
  expectCall,
  inputs,
  jsonHeaders,
  listPath,
  page,
  publicKey,
  publicPath,
  run,
  serviceToken,
  signingKey,
  signingKeyWithSecret,
  signingPath,
  workspace,
  suprsend,
} from './support/suprsend-fixtures.ts'

const unavailable = errorBody(503, 'service_unavailable', 'ServiceUnavailable', 'try again later')

function networkError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code })
}

afterEach(() => {
  vi.useRealTimers()
})

describe('idempotent requests are retried', () => {
  it.each([429, 500, 502, 503, 504])('a GET answered %i is retried and the run succeeds', async (status) => {
    const { agent, pool } = suprsend()
    const keys = [signingKey()]
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(status, unavailable, { headers: jsonHeaders })
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page(keys), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    for (const call of result.calls) expectCall(call, 'GET', listPath(signingPath))
    expect(result.sleeps).toHaveLength(1)
    expect(result.stdout).toContain(
      `GET management-api.suprsend.com${signingPath} failed (HTTP ${status}); retrying in`,
    )
    expect(JSON.parse(result.outputs['keys'] ?? '[]')).toHaveLength(1)
  })

  it('a GET that hits network errors is retried', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(apiKeyPath), method: 'GET' }).replyWithError(networkError('ECONNRESET'))
    pool.intercept({ path: listPath(apiKeyPath), method: 'GET' }).replyWithError(networkError('ECONNREFUSED'))
    pool.intercept({ path: listPath(apiKeyPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })

    const result = await run(inputs('list-api-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(3)
    expect(result.sleeps).toHaveLength(2)
    expect(result.stdout).toContain('failed (the connection was closed before an answer arrived); retrying in')
    expect(result.stdout).toContain('failed (the connection was refused); retrying in')
  })

  it("makes the policy's 4 attempts in all (at least 3), then gives up", async () => {
    expect(defaultRetryPolicy.attempts).toBeGreaterThanOrEqual(3)
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(publicPath), method: 'GET' })
      .reply(503, unavailable, { headers: jsonHeaders })
      .persist()

    const result = await run(inputs('list-public-keys'), { agent })

    expect(result.calls).toHaveLength(defaultRetryPolicy.attempts)
    expect(result.calls).toHaveLength(4)
    expect(result.sleeps).toHaveLength(3)
    expect(result.error).toContain('HTTP 503')
    expect(result.stdout).toContain('(attempt 4 of 4)')
    expect(result.stdout).not.toContain('(attempt 5 of')
  })

  it.each([
    ['delete-signing-key', { 'signing-key-uid': 'signing_key_a1b2c3' }, `${signingPath}signing_key_a1b2c3/`],
    ['delete-public-key', { 'public-key-id': 'ws_pubk_a1b2c3' }, `${publicPath}ws_pubk_a1b2c3/`],
    ['delete-api-key', { 'api-key-id': 'ws_apik_a1b2c3' }, `${apiKeyPath}ws_apik_a1b2c3/`],
  ])('%s: a DELETE is retried on 503 and on a network error', async (operation, extra, path) => {
    const { agent, pool } = suprsend()
    pool.intercept({ path, method: 'DELETE' }).reply(503, unavailable, { headers: jsonHeaders })
    pool.intercept({ path, method: 'DELETE' }).replyWithError(networkError('ECONNRESET'))
    pool.intercept({ path, method: 'DELETE' }).reply(204, '')

    const result = await run(inputs(operation, extra), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(3)
    for (const call of result.calls) expectCall(call, 'DELETE', path)
    expect(result.sleeps).toHaveLength(2)
  })

  it.each([
    ['enable-secure-mode', true],
    ['disable-secure-mode', false],
  ] as const)('%s: the secure-mode PATCH is retried on 429, 5xx and network errors', async (operation, enabled) => {
    const { agent, pool } = suprsend()
    const key = publicKey({ is_secure_mode_enabled: enabled })
    const path = `${publicPath}${key.id}/`
    pool.intercept({ path, method: 'PATCH' }).reply(429, unavailable, { headers: jsonHeaders })
    pool.intercept({ path, method: 'PATCH' }).replyWithError(networkError('UND_ERR_SOCKET'))
    pool.intercept({ path, method: 'PATCH' }).reply(500, unavailable, { headers: jsonHeaders })
    pool.intercept({ path, method: 'PATCH' }).reply(202, key, { headers: jsonHeaders })

    const result = await run(inputs(operation, { 'public-key-id': key.id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(4)
    for (const call of result.calls) expectCall(call, 'PATCH', path, { is_secure_mode_enabled: enabled })
    expect(result.outputs['secure-mode']).toBe(String(enabled))
  })

  it.each([400, 401, 403, 404, 409, 422])('a GET answered %i is not retried', async (status) => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(status, errorBody(status, 'error', 'Error', 'no'), { headers: jsonHeaders })
      .persist()

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.calls).toHaveLength(1)
    expect(result.sleeps).toEqual([])
    expect(result.error).toContain(`HTTP ${status}`)
  })
})

describe('backoff', () => {
  it('honours Retry-After in seconds', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(429, unavailable, { headers: { ...jsonHeaders, 'retry-after': '7' } })
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(503, unavailable, { headers: { ...jsonHeaders, 'retry-after': '0' } })
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toEqual([7000, 0])
    expect(result.stdout).toContain('retrying in 7.0 s (attempt 2 of 4)')
  })

  it('honours Retry-After as an HTTP date', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-11-22T13:00:00.000Z'))
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(429, unavailable, {
      headers: { ...jsonHeaders, 'retry-after': 'Sun, 22 Nov 2026 13:00:12 GMT' },
    })
    // A date already past means "now".
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(503, unavailable, {
      headers: { ...jsonHeaders, 'retry-after': 'Sun, 22 Nov 2026 12:59:00 GMT' },
    })
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toEqual([12_000, 0])
  })

  it('waits as long as Retry-After asks, beyond the backoff cap', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(429, unavailable, { headers: { ...jsonHeaders, 'retry-after': '120' } })
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toEqual([120_000])
  })

  it('stops retrying when Retry-After asks for longer than the longest wait, rather than retry early', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(429, unavailable, { headers: { ...jsonHeaders, 'retry-after': '3600' } })

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(3600_000).toBeGreaterThan(defaultRetryPolicy.maxHintedDelayMs)
    expect(result.sleeps).toEqual([])
    expect(result.calls).toHaveLength(1)
    expect(result.error).toContain('SuprSend answered HTTP 429')
  })

  it('backs off exponentially, with jitter, when there is no Retry-After', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(503, unavailable, { headers: jsonHeaders })
      .persist()

    const result = await run(inputs('list-signing-keys'), { agent })

    expect(result.sleeps).toHaveLength(3)
    const base = defaultRetryPolicy.baseDelayMs
    // Retry n waits between half and all of base * 2^(n-1).
    result.sleeps.forEach((ms, i) => {
      const ceiling = base * 2 ** i
      expect(ms).toBeGreaterThanOrEqual(ceiling / 2)
      expect(ms).toBeLessThanOrEqual(ceiling)
    })
  })
})

describe('requests that create, roll or rotate are sent exactly once', () => {
  const active = signingKey()
  const pub = publicKey()
  const cases: {
    operation: string
    extra: Record<string, string>
    method: string
    path: string
    success: () => object
    reads: boolean
  }[] = [
    {
      operation: 'create-signing-key',
      extra: {},
      method: 'POST',
      path: signingPath,
      success: () => signingKeyWithSecret(),
      reads: true,
    },
    {
      operation: 'roll-signing-key',
      extra: { 'signing-key-uid': active.uid },
      method: 'POST',
      path: `${signingPath}${active.uid}/roll/`,
      success: () => signingKeyWithSecret(),
      reads: false,
    },
    {
      operation: 'rotate-signing-key',
      extra: {},
      method: 'POST',
      path: `${signingPath}${active.uid}/roll/`,
      success: () => signingKeyWithSecret(),
      reads: true,
    },
    {
      operation: 'create-public-key',
      extra: { name: 'web-app' },
      method: 'POST',
      path: publicPath,
      success: () => publicKey(),
      reads: false,
    },
    {
      operation: 'rotate-public-key',
      extra: { 'public-key-id': pub.id },
      method: 'PATCH',
      path: `${publicPath}${pub.id}/rotate/`,
      success: () => pub,
      reads: false,
    },
    {
      operation: 'create-api-key',
      extra: { name: 'backend-prod' },
      method: 'POST',
      path: apiKeyPath,
      success: () => apiKeyWithSecret(),
      reads: false,
    },
  ]
  const failures: [string, (scope: ReturnType<ReturnType<typeof suprsend>['pool']['intercept']>) => void][] = [
    ['503', (scope) => scope.reply(503, unavailable, { headers: jsonHeaders })],
    ['429 with Retry-After', (scope) => scope.reply(429, unavailable, { headers: { 'retry-after': '1' } })],
    ['a dropped connection', (scope) => scope.replyWithError(networkError('ECONNRESET'))],
    ['a refused connection', (scope) => scope.replyWithError(networkError('ECONNREFUSED'))],
  ]

  for (const c of cases) {
    it.each(failures)(`${c.operation}: one attempt only on %s`, async (_label, fail) => {
      const { agent, pool } = suprsend()
      if (c.reads) {
        // create-signing-key sees no active key; rotate sees one and rolls it.
        const listed = c.operation === 'create-signing-key' ? [] : [active]
        pool
          .intercept({ path: listPath(signingPath), method: 'GET' })
          .reply(200, page(listed), { headers: jsonHeaders })
      }
      fail(pool.intercept({ path: c.path, method: c.method }))
      // A retry would get this success and the run would pass: it must never be asked for.
      pool.intercept({ path: c.path, method: c.method }).reply(201, c.success(), { headers: jsonHeaders })

      const result = await run(inputs(c.operation, c.extra), { agent })

      const writes = result.calls.filter((call) => call.method !== 'GET')
      expect(writes).toHaveLength(1)
      expect(writes[0]?.url).toBe(`${apiUrl}${c.path}`)
      expect(result.sleeps).toEqual([])
      expect(result.stdout).not.toContain('retrying in')
      expect(result.error).toMatch(new RegExp(`^${c.operation} in workspace '${workspace}' failed: `))
      expect(result.error).not.toContain(serviceToken)
    })
  }
})

describe('DELETE answering 404', () => {
  it.each([
    ['503', 503],
    ['a network error', 0],
  ])('after a first attempt that failed with %s, 404 means it was deleted', async (_label, firstStatus) => {
    const { agent, pool } = suprsend()
    const id = 'ws_apik_d4e5f6'
    const path = `${apiKeyPath}${id}/`
    const first = pool.intercept({ path, method: 'DELETE' })
    if (firstStatus) first.reply(firstStatus, unavailable, { headers: jsonHeaders })
    else first.replyWithError(networkError('ECONNRESET'))
    pool
      .intercept({ path, method: 'DELETE' })
      .reply(404, errorBody(404, 'not_found', 'NotFound', `api key '${id}' not found`), { headers: jsonHeaders })

    const result = await run(inputs('delete-api-key', { 'api-key-id': id }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls).toHaveLength(2)
    expect(result.outputs['key-id']).toBe(id)
    expect(result.stdout).toContain(`Deleted API key ${id}`)
  })

  it.each([
    ['429', 429],
    ['a refused connection', 0],
  ])('after a first attempt that cannot have deleted anything (%s), 404 is an error', async (_label, firstStatus) => {
    const { agent, pool } = suprsend()
    const id = 'ws_apik_typo00'
    const path = `${apiKeyPath}${id}/`
    const first = pool.intercept({ path, method: 'DELETE' })
    if (firstStatus) first.reply(firstStatus, unavailable, { headers: { ...jsonHeaders, 'retry-after': '1' } })
    else first.replyWithError(networkError('ECONNREFUSED'))
    pool
      .intercept({ path, method: 'DELETE' })
      .reply(404, errorBody(404, 'not_found', 'NotFound', `api key '${id}' not found`), { headers: jsonHeaders })

    const result = await run(inputs('delete-api-key', { 'api-key-id': id }), { agent })

    expect(result.calls).toHaveLength(2)
    expect(result.error).toContain(`API key '${id}' was not found in workspace '${workspace}'`)
    expect(result.stdout).not.toContain('Deleted API key')
  })

  it('on the first attempt, 404 is an error naming the key', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_d4e5f6'
    pool
      .intercept({ path: `${signingPath}${uid}/`, method: 'DELETE' })
      .reply(404, errorBody(404, 'not_found', 'NotFound', `signing key '${uid}' not found`), { headers: jsonHeaders })

    const result = await run(inputs('delete-signing-key', { 'signing-key-uid': uid }), { agent })

    expect(result.calls).toHaveLength(1)
    expect(result.error).toContain('HTTP 404')
    expect(result.error).toContain(`signing key '${uid}' was not found in workspace '${workspace}'`)
    expect(result.error).toContain("check input 'signing-key-uid'")
  })
})

describe('NodeTransport', () => {
  it("never reads a path that starts with '//' as another host", async () => {
    const { createServer } = await import('node:http')
    const seen: string[] = []
    const server = createServer((req, res) => {
      seen.push(req.url ?? '')
      res.end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const transport = new NodeTransport()
    try {
      const response = await transport.request({
        origin: `http://127.0.0.1:${port}`,
        path: '//127.0.0.2:9/v1/',
        method: 'GET',
        headers: {},
        body: null,
        signal: AbortSignal.timeout(5000),
      })
      expect(response.statusCode).toBe(200)
      expect(seen).toEqual(['//127.0.0.2:9/v1/'])
    } finally {
      await transport.close()
      server.close()
    }
  })
})

describe('send()', () => {
  const options = (agent: ReturnType<typeof mockAgent>, sleeps: number[]): HttpOptions => ({
    dispatcher: agent,
    timeoutMs: 5000,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxHintedDelayMs: 10_000, rateLimitDelayMs: 0 },
    sleep: async (ms) => {
      sleeps.push(ms)
    },
  })

  it('never retries a request that could not be built, and says nothing was sent', async () => {
    // The node:http transport refuses a header value HTTP does not allow before opening a connection.
    const transport = new NodeTransport()
    const sleeps: number[] = []
    const request = send(
      {
        method: 'POST',
        url: new URL('http://127.0.0.1:9/v1/ws/ws_signing_key/'),
        headers: { authorization: 'ServiceToken tok\u20ac' },
        idempotent: true,
      },
      { ...options(mockAgent(), sleeps), dispatcher: transport },
    )
    const error = await request.catch((e: unknown) => e)
    await transport.close()
    expect(error).toBeInstanceOf(NetworkError)
    expect((error as NetworkError).code).toBe('ERR_INVALID_CHAR')
    expect((error as NetworkError).mayHaveReachedServer).toBe(false)
    expect((error as NetworkError).message).toContain('could not be sent')
    expect(sleeps).toEqual([])
  })

  it('reports how many attempts an answer took and the retry reasons', async () => {
    const { agent, pool } = suprsend()
    const sleeps: number[] = []
    const reasons: string[] = []
    pool.intercept({ path: '/thing/', method: 'GET' }).reply(502, 'bad gateway')
    pool.intercept({ path: '/thing/', method: 'GET' }).reply(200, 'ok', { headers: { 'X-Custom': 'Yes' } })

    const response = await send(
      { method: 'GET', url: new URL(`${apiUrl}/thing/`), headers: {}, idempotent: true },
      { ...options(agent, sleeps), onRetry: (info) => reasons.push(`${info.reason} ${info.attempt}/${info.attempts}`) },
    )

    expect(response).toMatchObject({ status: 200, text: 'ok', attempts: 2 })
    expect(response.headers['x-custom']).toBe('Yes')
    expect(reasons).toEqual(['HTTP 502 1/3'])
    expect(sleeps).toHaveLength(1)
  })

  it('returns the last answer once attempts run out, and sends a non-idempotent request once', async () => {
    const { agent, pool } = suprsend()
    const sleeps: number[] = []
    pool.intercept({ path: '/thing/', method: 'GET' }).reply(500, 'no').times(3)
    pool.intercept({ path: '/thing/', method: 'POST' }).reply(500, 'no').times(3)

    const read = await send(
      { method: 'GET', url: new URL(`${apiUrl}/thing/`), headers: {}, idempotent: true },
      options(agent, sleeps),
    )
    const write = await send(
      { method: 'POST', url: new URL(`${apiUrl}/thing/`), headers: {}, body: '{}', idempotent: false },
      options(agent, sleeps),
    )

    expect(read).toMatchObject({ status: 500, attempts: 3 })
    expect(write).toMatchObject({ status: 500, attempts: 1 })
    expect(sleeps).toHaveLength(2)
  })

  it('throws a NetworkError that tells a connect failure from an ambiguous one', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: '/a/', method: 'POST' }).replyWithError(networkError('ECONNREFUSED'))
    pool.intercept({ path: '/b/', method: 'POST' }).replyWithError(networkError('ECONNRESET'))
    const post = (path: string) =>
      send({ method: 'POST', url: new URL(`${apiUrl}${path}`), headers: {}, idempotent: false }, options(agent, []))

    await expect(post('/a/')).rejects.toMatchObject({
      name: 'NetworkError',
      code: 'ECONNREFUSED',
      mayHaveReachedServer: false,
      attempts: 1,
    })
    await expect(post('/b/')).rejects.toMatchObject({
      name: 'NetworkError',
      code: 'ECONNRESET',
      mayHaveReachedServer: true,
      attempts: 1,
    })
  })
})

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-22T13:00:00.000Z')

  it('reads seconds', () => {
    expect(retryAfterMs({ 'retry-after': '5' }, now)).toBe(5000)
    expect(retryAfterMs({ 'retry-after': '0' }, now)).toBe(0)
    expect(retryAfterMs({ 'retry-after': '1.5' }, now)).toBe(1500)
  })

  it('reads an HTTP date relative to now, never negative', () => {
    expect(retryAfterMs({ 'retry-after': 'Sun, 22 Nov 2026 13:00:30 GMT' }, now)).toBe(30_000)
    expect(retryAfterMs({ 'retry-after': 'Sun, 22 Nov 2026 12:00:00 GMT' }, now)).toBe(0)
  })

  it('ignores a missing or unreadable value', () => {
    expect(retryAfterMs({}, now)).toBeUndefined()
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined()
  })

  it("uses GitHub's rate-limit reset only when no requests remain", () => {
    const reset = String(now / 1000 + 42)
    expect(retryAfterMs({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }, now)).toBe(42_000)
    expect(retryAfterMs({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '17' }, now)).toBeUndefined()
    expect(retryAfterMs({ 'retry-after': '3', 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }, now)).toBe(
      3000,
    )
  })
})
