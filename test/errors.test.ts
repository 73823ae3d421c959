/**
 * Every class of failure, through main() over a MockAgent: each ends in one
 * `::error::` line that names the operation and workspace, the HTTP status
 * and SuprSend's own words, and never the service token or a request header.
 */
import { describe, expect, it } from 'vitest'
import { githubToken, type RunResult } from './support/harness.ts'
import {
  apiKeyPath,
  apiKeyWithSecret,
  errorBody,
  expectNoFragment,
  inputs,
  jsonHeaders,
  listPath,
  page,
  pemBody,
  publicPath,
  run,
  serviceToken,
  signingKey,
  signingKeyWithSecret,
  signingPath,
  workspace,
  suprsend,
} from './support/suprsend-fixtures.ts'

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

/** The checks every failure must pass, whatever its cause. */
function expectCleanFailure(result: RunResult, operation: string, options: { echoes?: boolean } = {}): string {
  const error = result.error ?? ''
  expect(error, 'the run failed with ::error::').not.toBe('')
  expect(error.startsWith(`${operation} in workspace '${workspace}' failed: `)).toBe(true)
  expect(error).not.toMatch(/[\r\n]/)
  expect(error).toMatch(/[.!?]$/)
  // Exactly one error line, and the process reported failure through it only.
  expect(result.stdout.match(/^::error::/gm)).toHaveLength(1)
  for (const text of [error, result.summary, result.stdout.replace(/^::add-mask::.*$/gm, '')]) {
    expect(text).not.toContain(serviceToken)
    // Only a server that echoes headers back can make the header's name appear, never its value.
    if (!options.echoes) expect(text).not.toMatch(/ServiceToken|authorization/i)
  }
  expect(result.summary).toContain('| failed |')
  return error
}

describe('SuprSend error answers', () => {
  it('400 ValidationError: gives the status and the detail once, not the JSON-encoded message', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })
    pool
      .intercept({ path: signingPath, method: 'POST' })
      .reply(
        400,
        errorBody(400, 'error', 'ValidationError', '["only 1 active signing key is allowed"]', [
          'only 1 active signing key is allowed',
        ]),
        { headers: jsonHeaders },
      )

    const result = await run(inputs('create-signing-key'), { agent })

    const error = expectCleanFailure(result, 'create-signing-key')
    expect(error).toBe(
      `create-signing-key in workspace '${workspace}' failed: SuprSend answered HTTP 400 while creating a signing key: only 1 active signing key is allowed.`,
    )
    expect(result.calls).toHaveLength(2)
  })

  it('401: says the service token was rejected, quoting SuprSend, and is not retried', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(401, errorBody(401, 'authentication_failed', 'AuthenticationFailed', 'Invalid service token.'), {
        headers: jsonHeaders,
      })

    const result = await run(inputs('list-signing-keys'), { agent })

    const error = expectCleanFailure(result, 'list-signing-keys')
    expect(error).toContain('HTTP 401')
    expect(error).toContain('the service token was rejected')
    expect(error).toContain('Invalid service token')
    expect(error).toContain("'service-token'")
    expect(result.calls).toHaveLength(1)
    expect(result.sleeps).toEqual([])
  })

  it('403: says the token may not manage keys in the workspace, with SuprSend message', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(publicPath), method: 'GET' })
      .reply(
        403,
        errorBody(403, 'permission_denied', 'PermissionDenied', 'You do not have permission to perform this action.'),
        { headers: jsonHeaders },
      )

    const result = await run(inputs('list-public-keys'), { agent })

    const error = expectCleanFailure(result, 'list-public-keys')
    expect(error).toContain('HTTP 403')
    expect(error).toContain(`may not manage keys in workspace '${workspace}'`)
    expect(error).toContain('You do not have permission to perform this action')
    expect(result.calls).toHaveLength(1)
  })

  it('404 for the workspace: names the workspace and the workspace input', async () => {
    const { agent, pool } = suprsend()
    const message = `workspace '${workspace}' not found`
    pool
      .intercept({ path: listPath(apiKeyPath), method: 'GET' })
      .reply(404, errorBody(404, 'not_found', 'NotFound', message), { headers: jsonHeaders })

    const result = await run(inputs('list-api-keys'), { agent })

    const error = expectCleanFailure(result, 'list-api-keys')
    expect(error).toBe(
      `list-api-keys in workspace '${workspace}' failed: SuprSend answered HTTP 404 while listing API keys: workspace '${workspace}' was not found (SuprSend says: ${message}); check input 'workspace'.`,
    )
  })

  it('404 for the workspace on a keyed request still names the workspace, not the key', async () => {
    const { agent, pool } = suprsend()
    const id = 'ws_pubk_1c2d3e'
    pool
      .intercept({ path: `${publicPath}${id}/`, method: 'DELETE' })
      .reply(404, errorBody(404, 'not_found', 'NotFound', `workspace '${workspace}' not found`), {
        headers: jsonHeaders,
      })

    const result = await run(inputs('delete-public-key', { 'public-key-id': id }), { agent })

    const error = expectCleanFailure(result, 'delete-public-key')
    expect(error).toContain(`workspace '${workspace}' was not found`)
    expect(error).toContain("check input 'workspace'")
    expect(error).not.toContain("check input 'public-key-id'")
  })

  it.each([
    [
      'delete-public-key',
      { 'public-key-id': 'ws_pubk_4f5a6b' },
      'DELETE',
      `${publicPath}ws_pubk_4f5a6b/`,
      'public key',
      'ws_pubk_4f5a6b',
      'public-key-id',
    ],
    [
      'roll-signing-key',
      { 'signing-key-uid': 'signing_key_4f5a6b' },
      'POST',
      `${signingPath}signing_key_4f5a6b/roll/`,
      'signing key',
      'signing_key_4f5a6b',
      'signing-key-uid',
    ],
    [
      'delete-api-key',
      { 'api-key-id': 'ws_apik_4f5a6b' },
      'DELETE',
      `${apiKeyPath}ws_apik_4f5a6b/`,
      'API key',
      'ws_apik_4f5a6b',
      'api-key-id',
    ],
    [
      'enable-secure-mode',
      { 'public-key-id': 'ws_pubk_4f5a6b' },
      'PATCH',
      `${publicPath}ws_pubk_4f5a6b/`,
      'public key',
      'ws_pubk_4f5a6b',
      'public-key-id',
    ],
  ] as const)(
    '404 for a key (%s): names the key and the input to check',
    async (operation, extra, method, path, noun, id, input) => {
      const { agent, pool } = suprsend()
      pool
        .intercept({ path, method })
        .reply(404, errorBody(404, 'not_found', 'NotFound', `${noun.toLowerCase()} '${id}' not found`), {
          headers: jsonHeaders,
        })

      const result = await run(inputs(operation, extra), { agent })

      const error = expectCleanFailure(result, operation)
      expect(error).toContain('HTTP 404')
      expect(error).toContain(`${noun} '${id}' was not found in workspace '${workspace}'`)
      expect(error).toContain(`check input '${input}'`)
      // A first-attempt 404 is an answer, not a retry case.
      expect(result.calls).toHaveLength(1)
    },
  )

  it("a non-JSON body (a proxy's HTML page) is reported with a short excerpt, not crashed on", async () => {
    const { agent, pool } = suprsend()
    const html = `<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Request blocked by the corporate proxy. ${'Contact the network team for access. '.repeat(10)}</p></body></html>`
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(403, html, { headers: { 'content-type': 'text/html' } })

    const result = await run(inputs('list-signing-keys'), { agent })

    const error = expectCleanFailure(result, 'list-signing-keys')
    expect(error).toContain('HTTP 403')
    expect(error).toContain('not JSON')
    expect(error).toContain('403 Forbidden Forbidden Request blocked by the corporate proxy')
    expect(error).not.toMatch(/<[a-z!/]/i)
    const excerpt = /: "([^"]*)"/.exec(error)?.[1] ?? ''
    expect(excerpt.length).toBeGreaterThan(0)
    expect(excerpt.length).toBeLessThanOrEqual(120)
  })

  it('a 5xx that lasts through every retry is reported with its status and message', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(publicPath), method: 'GET' })
      .reply(503, errorBody(503, 'service_unavailable', 'ServiceUnavailable', 'Service temporarily unavailable'), {
        headers: jsonHeaders,
      })
      .times(4)

    const result = await run(inputs('list-public-keys'), { agent })

    const error = expectCleanFailure(result, 'list-public-keys')
    expect(result.calls).toHaveLength(4)
    expect(error).toBe(
      `list-public-keys in workspace '${workspace}' failed: SuprSend answered HTTP 503 while listing public keys: Service temporarily unavailable.`,
    )
  })

  it('a 5xx with an HTML body on a create is reported once, with how to check what happened', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: publicPath, method: 'POST' })
      .reply(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { headers: { 'content-type': 'text/html' } })

    const result = await run(inputs('create-public-key', { name: 'web-app' }), { agent })

    const error = expectCleanFailure(result, 'create-public-key')
    expect(result.calls).toHaveLength(1)
    expect(error).toContain('HTTP 502')
    expect(error).toContain('"502 Bad Gateway"')
    expect(error).toContain('Run list-public-keys to check')
  })
})

describe('answers that lose key material', () => {
  it('a 2xx create answer with only private_key_base64 still delivers the key, rebuilt from it, masked', async () => {
    const { agent, pool } = suprsend()
    const created = signingKeyWithSecret()
    const { private_key_pem: _pem, uid: _uid, ...withoutPemAndUid } = created
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })
    pool.intercept({ path: signingPath, method: 'POST' }).reply(201, withoutPemAndUid, { headers: jsonHeaders })

    const result = await run(inputs('create-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.outputs['private-key']).toBe(created.private_key_pem)
    expect(result.outputs['private-key-base64']).toBe(created.private_key_base64)
    expect(result.outputs['key-uid']).toBe('')
    expect(result.stdout).toContain(
      "Created signing key (SuprSend's answer had no uid; run list-signing-keys to see it)",
    )
    for (const line of pemBody(created.private_key_pem)) expect(result.masks).toContain(line)
    expect(result.calls.map((c) => c.method)).toEqual(['GET', 'POST'])
  })

  it('a 2xx roll answer with only private_key_pem still delivers the key, with the base64 form rebuilt', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_2b3c4d'
    const rolled = signingKeyWithSecret()
    const { private_key_base64: _b64, ...withoutBase64 } = rolled
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST' })
      .reply(201, withoutBase64, { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key', { 'signing-key-uid': uid }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.outputs['private-key']).toBe(rolled.private_key_pem)
    expect(result.outputs['private-key-base64']).toBe(Buffer.from(rolled.private_key_pem).toString('base64'))
    expect(result.masks).toContain(result.outputs['private-key-base64'])
    expect(result.calls).toHaveLength(1)
  })

  it('a 2xx create-api-key answer without an id still masks and outputs the secret', async () => {
    const { agent, pool } = suprsend()
    const { id: _id, ...withoutId } = apiKeyWithSecret()
    pool.intercept({ path: apiKeyPath, method: 'POST' }).reply(201, withoutId, { headers: jsonHeaders })

    const result = await run(inputs('create-api-key', { name: 'backend-prod' }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.masks).toContain(withoutId.api_key)
    expect(result.outputs['api-key']).toBe(withoutId.api_key)
    expect(result.outputs['key-id']).toBe('')
    expect(result.stdout).toContain("Created API key (SuprSend's answer had no id; run list-api-keys to see it)")
    expectNoFragment(result.stdout.replace(/^::add-mask::.*$/gm, ''), [withoutId.api_key])
  })

  it('a 2xx roll answer without private_key_pem says how to recover: roll the new active key', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_2b3c4d'
    const { private_key_pem: _pem, private_key_base64: _b64, ...withoutSecrets } = signingKeyWithSecret()
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST' })
      .reply(201, withoutSecrets, { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key', { 'signing-key-uid': uid }), { agent })

    const error = expectCleanFailure(result, 'roll-signing-key')
    expect(error).toContain("lacked 'private_key_pem', 'private_key_base64'")
    expect(error).toContain(
      `if '${uid}' is now 'rolled', the new key's private key was not received, so roll the new active key`,
    )
  })

  it('a 2xx create answer that is not JSON is reported without its body', async () => {
    const { agent, pool } = suprsend()
    const created = signingKeyWithSecret()
    // Truncated JSON: key material in a body the action cannot parse.
    const truncated = JSON.stringify(created).slice(0, -20)
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })
    pool.intercept({ path: signingPath, method: 'POST' }).reply(201, truncated, { headers: jsonHeaders })

    const result = await run(inputs('create-signing-key'), { agent })

    const error = expectCleanFailure(result, 'create-signing-key')
    expect(error).toContain('HTTP 201')
    expect(error).toContain('not JSON')
    expect(error).toContain('Run list-signing-keys')
    expectNoFragment(result.stdout, [created.private_key_pem, created.private_key_base64])
    expectNoFragment(result.summary, [created.private_key_pem, created.private_key_base64])
  })
})

describe('network errors', () => {
  it('a read that cannot connect is retried, then reported with the attempts and the cause', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .replyWithError(networkError('ECONNREFUSED', 'connect ECONNREFUSED 203.0.113.7:443'))
      .times(4)

    const result = await run(inputs('list-signing-keys'), { agent })

    const error = expectCleanFailure(result, 'list-signing-keys')
    expect(error).toBe(
      `list-signing-keys in workspace '${workspace}' failed: could not reach SuprSend while listing signing keys after 4 attempts: the connection was refused.`,
    )
  })

  it('a roll whose connection dropped after sending says what may have happened, how to check, and that it was not retried', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_8d9e0f'
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST' })
      .replyWithError(networkError('ECONNRESET', 'socket hang up'))
    // Were it retried, this would answer and the run would succeed.
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST' })
      .reply(201, signingKeyWithSecret(), { headers: jsonHeaders })

    const result = await run(inputs('roll-signing-key', { 'signing-key-uid': uid }), { agent })

    const error = expectCleanFailure(result, 'roll-signing-key')
    expect(result.calls).toHaveLength(1)
    expect(result.sleeps).toEqual([])
    expect(error).toBe(
      `roll-signing-key in workspace '${workspace}' failed: the request may have reached SuprSend while rolling signing key '${uid}', ` +
        `but the connection was closed before an answer arrived; it was not retried, because repeating it could replace the key it returned. ` +
        `Run list-signing-keys to check: if '${uid}' is now 'rolled', the new key's private key was not received, so roll the new active key.`,
    )
  })

  it('a roll that timed out after sending is reported as ambiguous too', async () => {
    const { agent, pool } = suprsend()
    const uid = 'signing_key_8d9e0f'
    pool
      .intercept({ path: `${signingPath}${uid}/roll/`, method: 'POST' })
      .replyWithError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))

    const result = await run(inputs('roll-signing-key', { 'signing-key-uid': uid, 'request-timeout': '45' }), { agent })

    const error = expectCleanFailure(result, 'roll-signing-key')
    expect(result.calls).toHaveLength(1)
    expect(error).toContain('may have reached SuprSend')
    expect(error).toContain('no answer within 45 s')
    expect(error).toContain('it was not retried')
    expect(error).toContain('Run list-signing-keys to check')
  })

  it('a create that could not even connect is a clean failure: nothing was created', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: apiKeyPath, method: 'POST' })
      .replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND'))

    const result = await run(inputs('create-api-key', { name: 'backend-prod' }), { agent })

    const error = expectCleanFailure(result, 'create-api-key')
    expect(result.calls).toHaveLength(1)
    expect(error).toBe(
      `create-api-key in workspace '${workspace}' failed: could not reach SuprSend while creating API key 'backend-prod': the host name could not be resolved.`,
    )
  })
})

describe('secrecy of error messages', () => {
  it('a server that echoes the request headers in its error does not get the service token into the message or summary', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply((options) => ({
      statusCode: 400,
      data: JSON.stringify(
        errorBody(400, 'error', 'ValidationError', `bad request; headers were ${JSON.stringify(options.headers)}`),
      ),
      responseOptions: { headers: jsonHeaders },
    }))

    const result = await run(inputs('list-signing-keys'), { agent })

    const error = expectCleanFailure(result, 'list-signing-keys', { echoes: true })
    expect(error).toContain('ServiceToken ***')
  })

  it('a proxy page that echoes the Authorization header does not get it into the message or summary', async () => {
    const { agent, pool } = suprsend()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply((options) => ({
      statusCode: 407,
      data: `<html><body>Proxy auth required. Authorization: ${(options.headers as Record<string, string>)['authorization']}</body></html>`,
      responseOptions: { headers: { 'content-type': 'text/html' } },
    }))

    const result = await run(inputs('list-signing-keys'), { agent })

    const error = expectCleanFailure(result, 'list-signing-keys', { echoes: true })
    expect(error).toContain('ServiceToken ***')
  })

  it('a token with a quote and a backslash, echoed JSON-escaped, is scrubbed once decoded', async () => {
    const { agent, pool } = suprsend()
    const odd = 'sst_"quoted"\\back'
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply((options) => ({
      statusCode: 401,
      data: JSON.stringify(
        errorBody(
          401,
          'authentication_failed',
          'AuthenticationFailed',
          `Invalid service token: ${(options.headers as Record<string, string>)['authorization']}`,
        ),
      ),
      responseOptions: { headers: jsonHeaders },
    }))

    const result = await run({ ...inputs('list-signing-keys'), 'service-token': odd }, { agent })

    expect(result.error).toContain('Invalid service token: ServiceToken ***')
    for (const text of [result.error ?? '', result.summary, result.stdout.replace(/^::add-mask::.*$/gm, '')]) {
      expect(text).not.toContain('quoted')
    }
  })

  it('a GitHub error that echoes the GitHub token is scrubbed from the message and the summary', async () => {
    const { agent, pool } = suprsend()
    pool
      .intercept({ path: listPath(signingPath), method: 'GET' })
      .reply(200, page([signingKey()]), { headers: jsonHeaders })
    agent
      .get('https://api.github.com')
      .intercept({ path: /.*/, method: 'GET' })
      .reply((options) => ({
        statusCode: 403,
        data: JSON.stringify({ message: `Refused: ${(options.headers as Record<string, string>)['authorization']}` }),
        responseOptions: { headers: jsonHeaders },
      }))
      .persist()

    const result = await run(
      { ...inputs('rotate-signing-key'), 'secret-name': 'KEY', 'github-token': githubToken },
      { agent },
    )

    expect(result.error).toContain('Refused: Bearer ***')
    for (const text of [result.error ?? '', result.summary, result.stdout.replace(/^::add-mask::.*$/gm, '')]) {
      expect(text).not.toContain(githubToken)
    }
    expect(result.calls.some((call) => call.method === 'POST')).toBe(false)
  })
})
