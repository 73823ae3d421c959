/**
 * Storing new keys in GitHub (issue 3), end to end through main(): the
 * action's runner module and default GitHub client, and a fake SuprSend and
 * GitHub at the dispatcher level (undici MockAgent). Stored
 * secrets are opened with real libsodium to prove what was written.
 */
import { generateKeyPairSync } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MockAgent } from 'undici'
import { describe, expect, it } from 'vitest'
import { mapBounded } from '../src/github/destinations.ts'
import { apiUrl, githubToken, githubUrl, mockAgent, runMain, serviceToken, type RunResult } from './support/harness.ts'
import {
  bodiesSent,
  githubError,
  mutatingCalls,
  openSealed,
  paths,
  secretDestination,
  secretsKeyPair,
  serveExisting,
  servePublicKey,
  servePut,
  serveRepository,
  type SecretsKeyPair,
} from './support/github-fake.ts'

const json = { headers: { 'content-type': 'application/json' } }
const workspace = 'staging'
const secretName = 'SUPRSEND_SIGNING_KEY'

function newPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString()
}

/** The lines of a PEM that are secret: everything but the armour. */
function bodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'))
}

// ---- SuprSend side -------------------------------------------------------

function suprsend(agent: MockAgent) {
  return agent.get(apiUrl)
}

function serveSigningKeys(agent: MockAgent, keys: { id: string; uid: string; status: string }[]) {
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_signing_key/?limit=100&offset=0`, method: 'GET' })
    .reply(200, JSON.stringify({ meta: { count: keys.length, limit: 100, offset: 0 }, results: keys }), json)
}

const activeKey = { id: 'ws_signk_old', uid: 'signing_key_old', status: 'active' }

/** rotate-signing-key's SuprSend side: one active key, rolled into a new one with `pem`. */
function serveRotation(agent: MockAgent, pem: string) {
  serveSigningKeys(agent, [activeKey])
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_signing_key/signing_key_old/roll/`, method: 'POST' })
    .reply(
      201,
      JSON.stringify({
        id: 'ws_signk_new',
        uid: 'signing_key_new',
        status: 'active',
        created_at: '2026-05-01T00:00:00Z',
        private_key_pem: pem,
        private_key_base64: Buffer.from(pem).toString('base64'),
      }),
      json,
    )
}

const oldApiKey = { id: 'ws_apik_old', name: 'backend-prod', masked_api_key: 'SS.abc***', is_deleted: false }

function serveApiKeys(agent: MockAgent) {
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_api_key/?limit=100&offset=0`, method: 'GET' })
    .reply(200, JSON.stringify({ meta: { count: 1, limit: 100, offset: 0 }, results: [oldApiKey] }), json)
}

/** A generated API key secret (never a real-looking fixed one). */
function newApiKey(): string {
  return `SS.${Buffer.from(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }),
  )
    .toString('hex')
    .slice(-40)}`
}

function serveApiKeyCreate(agent: MockAgent, name: string, secret: string) {
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_api_key/`, method: 'POST', body: JSON.stringify({ name }) })
    .reply(201, JSON.stringify({ id: 'ws_apik_new', name, masked_api_key: 'SS.xyz***', api_key: secret }), json)
}

// ---- common inputs and checks --------------------------------------------

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    'service-token': serviceToken,
    workspace,
    operation: 'rotate-signing-key',
    'github-token': githubToken,
    'secret-name': secretName,
    ...extra,
  }
}

function suprsendMutations(result: RunResult) {
  return mutatingCalls(result, apiUrl).map((call) => `${call.method} ${new URL(call.url).pathname}`)
}

function githubMutations(result: RunResult) {
  return mutatingCalls(result, githubUrl).map((call) => `${call.method} ${new URL(call.url).pathname}`)
}

/** Tokens appear in stdout only in their own ::add-mask:: line, and never in the error or summary. */
function expectTokensHidden(result: RunResult): void {
  for (const token of [serviceToken, githubToken]) {
    expect(result.stdout.split('\n').filter((line) => line.includes(token))).toEqual([`::add-mask::${token}`])
    expect(result.error ?? '').not.toContain(token)
    expect(result.summary).not.toContain(token)
    for (const value of Object.values(result.outputs)) expect(value).not.toContain(token)
  }
}

/** Every secret line is registered, and appears in stdout only in ::add-mask:: lines. */
function expectSecretHidden(result: RunResult, lines: string[]): void {
  for (const line of lines) {
    expect(result.masks).toContain(line)
    const seen = result.stdout.split('\n').filter((l) => l.includes(line))
    expect(seen.every((l) => l.startsWith('::add-mask::'))).toBe(true)
    expect(result.error ?? '').not.toContain(line)
    expect(result.summary).not.toContain(line)
  }
}

/** Opens the single PUT sent to `path` and checks its body's fields. */
function openedPut(result: RunResult, path: string, pair: SecretsKeyPair, extra: Record<string, unknown> = {}): Buffer {
  const bodies = bodiesSent(result, 'PUT', path)
  expect(bodies).toHaveLength(1)
  const body = bodies[0] as { encrypted_value: string; key_id: string }
  expect(Object.keys(body).sort()).toEqual(['encrypted_value', 'key_id', ...Object.keys(extra)].sort())
  expect(body.key_id).toBe(pair.keyId)
  for (const [field, value] of Object.entries(extra)) expect(body[field as keyof typeof body]).toEqual(value)
  return openSealed(pair, body.encrypted_value)
}

const repoSecrets = paths.repo('acme/app', 'secrets')

// ---- secrets -------------------------------------------------------------

describe('storing a signing key in secrets', () => {
  it('stores the multi-line PEM in a repository secret, byte for byte, after the preflight', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-1', put: 201 })

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toBeUndefined()
    const opened = openedPut(result, `${repoSecrets}/${secretName}`, pair)
    expect(opened.equals(Buffer.from(pem, 'utf8'))).toBe(true)
    expect(opened.toString('utf8')).toBe(pem)
    expect(result.outputs['written']).toBe(
      '[{"kind":"repository","target":"acme/app","name":"SUPRSEND_SIGNING_KEY","result":"created"}]',
    )
    expect(result.outputs['dry-run']).toBe('false')
    expect(result.outputs['key-uid']).toBe('signing_key_new')
    // Preflight reads (secret check and public key) come before the roll; the write after it.
    const order = result.calls.map((call) => `${call.method} ${new URL(call.url).pathname}`)
    const roll = order.indexOf(`POST /v1/${workspace}/ws_signing_key/signing_key_old/roll/`)
    expect(order.indexOf(`GET ${repoSecrets}/${secretName}`)).toBeLessThan(roll)
    expect(order.indexOf(`GET ${repoSecrets}/public-key`)).toBeLessThan(roll)
    expect(order.indexOf(`PUT ${repoSecrets}/${secretName}`)).toBeGreaterThan(roll)
    // The write reuses the public key fetched in preflight.
    expect(order.filter((entry) => entry === `GET ${repoSecrets}/public-key`)).toHaveLength(1)
    // The GitHub client sends the token and a JSON body.
    const put = result.calls.find((call) => call.method === 'PUT')
    expect(put?.headers['authorization']).toBe(`Bearer ${githubToken}`)
    expect(put?.headers['content-type']).toMatch(/^application\/json/)
    expect(result.stdout).toContain(`Stored secret ${secretName} in repository acme/app (created)`)
    expect(result.summary).toContain('### Stored in GitHub')
    expectSecretHidden(result, bodyLines(pem))
    expectTokensHidden(result)
    agent.assertNoPendingInterceptors()
  })

  it("stores private_key_base64 with secret-format base64 and reports an existing secret as 'updated'", async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, {
      keyId: 'key-app-2',
      exists: true,
      put: 204,
    })

    const result = await runMain(inputs({ 'secret-format': 'base64' }), { agent })

    expect(result.error).toBeUndefined()
    const opened = openedPut(result, `${repoSecrets}/${secretName}`, pair).toString('utf8')
    expect(opened).toBe(Buffer.from(pem).toString('base64'))
    expect(Buffer.from(opened, 'base64').toString('utf8')).toBe(pem)
    expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
      { kind: 'repository', target: 'acme/app', name: secretName, result: 'updated' },
    ])
    expect(result.stdout).toContain('acme/app (exists)')
  })

  it("reports a new secret as 'created' when GitHub answers a success other than 201 or 204", async () => {
    const agent = mockAgent()
    serveRotation(agent, newPem())
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-3', exists: false, put: 200 })

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toBeUndefined()
    expect(JSON.parse(result.outputs['written'] ?? '')[0].result).toBe('created')
  })

  it('still stores the key when the runner cannot take outputs, and warns about each one', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-1', put: 201 })
    const missing = join(tmpdir(), `no-such-dir-${process.pid}`, 'output')

    const result = await runMain(inputs({}), { agent, env: { GITHUB_OUTPUT: missing } })

    // The output file is gone, so no output was set; the key still reached its secret.
    expect(result.error).toBeUndefined()
    expect(openedPut(result, `${repoSecrets}/${secretName}`, pair).toString('utf8')).toBe(pem)
    expect(result.stdout).toMatch(/^::warning::Could not set output 'private-key': Missing file at path/m)
    expect(result.stdout).toContain(`Stored secret ${secretName} in repository acme/app (created)`)
    expectSecretHidden(result, bodyLines(pem))
    agent.assertNoPendingInterceptors()
  })

  it('upper-cases the secret name the way GitHub stores it', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-3', put: 201 })

    const result = await runMain(inputs({ 'secret-name': 'suprsend_Signing_key' }), { agent })

    expect(result.error).toBeUndefined()
    expect(openedPut(result, `${repoSecrets}/${secretName}`, pair).toString('utf8')).toBe(pem)
    expect(JSON.parse(result.outputs['written'] ?? '')[0].name).toBe(secretName)
  })

  it('writes an environment secret whose name needs URL-encoding as one path segment', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const base = paths.environment('acme/app', 'prod east/1', 'secrets')
    expect(base).toBe('/repos/acme/app/environments/prod%20east%2F1/secrets')
    const pair = await secretDestination(agent, base, secretName, { keyId: 'key-env-1', put: 201 })

    const result = await runMain(inputs({ environment: 'prod east/1' }), { agent })

    expect(result.error).toBeUndefined()
    const githubUrls = result.calls.filter((call) => call.url.startsWith(githubUrl)).map((call) => call.url)
    expect(githubUrls).toHaveLength(3)
    for (const url of githubUrls) expect(url).toContain('/environments/prod%20east%2F1/secrets/')
    expect(openedPut(result, `${base}/${secretName}`, pair).toString('utf8')).toBe(pem)
    expect(result.outputs['written']).toBe(
      '[{"kind":"environment","target":"acme/app/prod east/1","name":"SUPRSEND_SIGNING_KEY","result":"created"}]',
    )
  })

  const orgSecrets = paths.org('acme', 'secrets')

  it.each([
    { visibility: 'all', given: 'all' },
    { visibility: 'private', given: 'private' },
    { visibility: 'private', given: '' },
  ])("writes an organization secret with visibility '$visibility' (input '$given')", async ({ visibility, given }) => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, orgSecrets, secretName, { keyId: 'key-org-1', put: 201 })

    const result = await runMain(inputs({ organization: 'acme', ...(given ? { visibility: given } : {}) }), {
      agent,
    })

    expect(result.error).toBeUndefined()
    // No selected_repository_ids unless the visibility is 'selected'.
    const opened = openedPut(result, `${orgSecrets}/${secretName}`, pair, { visibility })
    expect(opened.toString('utf8')).toBe(pem)
    expect(result.calls.some((call) => /\/repos\//.test(call.url))).toBe(false)
    expect(result.outputs['written']).toBe(
      '[{"kind":"organization","target":"acme","name":"SUPRSEND_SIGNING_KEY","result":"created"}]',
    )
  })

  it("writes an organization secret with visibility 'selected', using repository ids from GET /repos/{owner}/{repo}", async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, orgSecrets, secretName, { keyId: 'key-org-2', exists: true, put: 204 })
    serveRepository(agent, 'acme/app', 1296269)
    serveRepository(agent, 'acme/web', 1296270)

    const result = await runMain(
      inputs({ organization: 'acme', visibility: 'selected', repositories: 'acme/app\nacme/web' }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    const opened = openedPut(result, `${orgSecrets}/${secretName}`, pair, {
      visibility: 'selected',
      selected_repository_ids: [1296269, 1296270],
    })
    expect(opened.toString('utf8')).toBe(pem)
    // The repository lookups are preflight reads, before the roll.
    const order = result.calls.map((call) => `${call.method} ${new URL(call.url).pathname}`)
    const roll = order.findIndex((entry) => entry.endsWith('/roll/'))
    expect(order.indexOf('GET /repos/acme/app')).toBeLessThan(roll)
    expect(order.indexOf('GET /repos/acme/web')).toBeLessThan(roll)
    expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
      { kind: 'organization', target: 'acme', name: secretName, result: 'updated' },
    ])
    agent.assertNoPendingInterceptors()
  })

  it('writes several repositories, each with its own public key, and lists each in `written`', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const repos = [
      { name: 'acme/app', put: 201, result: 'created' },
      { name: 'acme/web', put: 204, result: 'updated' },
      { name: 'other-org/api', put: 201, result: 'created' },
    ]
    const pairs = await Promise.all(
      repos.map((repo, i) =>
        secretDestination(agent, paths.repo(repo.name, 'secrets'), secretName, {
          keyId: `key-${i}`,
          exists: repo.put === 204,
          put: repo.put,
        }),
      ),
    )

    const result = await runMain(inputs({ repositories: 'acme/app\nacme/web, other-org/api' }), { agent })

    expect(result.error).toBeUndefined()
    const ciphertexts = new Set<string>()
    repos.forEach((repo, i) => {
      const path = `${paths.repo(repo.name, 'secrets')}/${secretName}`
      expect(openedPut(result, path, pairs[i] as SecretsKeyPair).toString('utf8')).toBe(pem)
      ciphertexts.add(String(bodiesSent(result, 'PUT', path)[0]?.['encrypted_value']))
    })
    // Each destination got its own sealed box: none can be opened with another's key.
    expect(ciphertexts.size).toBe(3)
    const firstBody = bodiesSent(result, 'PUT', `${paths.repo('acme/app', 'secrets')}/${secretName}`)[0]
    expect(() => openSealed(pairs[1] as SecretsKeyPair, String(firstBody?.['encrypted_value']))).toThrow()
    expect(result.outputs['written']).toBe(
      JSON.stringify(repos.map((r) => ({ kind: 'repository', target: r.name, name: secretName, result: r.result }))),
    )
  })

  it('writes a repository secret and an environment secret in one rotation from a mixed repositories list', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const envSecrets = paths.environment('acme/app', 'production', 'secrets')
    const repoPair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-repo', put: 201 })
    const envPair = await secretDestination(agent, envSecrets, secretName, {
      keyId: 'key-app-production',
      exists: true,
      put: 204,
    })

    const result = await runMain(inputs({ repositories: 'acme/app, acme/app/production' }), { agent })

    expect(result.error).toBeUndefined()
    // The same repository twice: its own secret and its environment's are two destinations.
    // One roll for both, and both opened with real libsodium to the PEM, byte for byte.
    expect(suprsendMutations(result)).toEqual([`POST /v1/${workspace}/ws_signing_key/signing_key_old/roll/`])
    const repoOpened = openedPut(result, `${repoSecrets}/${secretName}`, repoPair)
    const envOpened = openedPut(result, `${envSecrets}/${secretName}`, envPair)
    expect(repoOpened.equals(Buffer.from(pem, 'utf8'))).toBe(true)
    expect(envOpened.equals(Buffer.from(pem, 'utf8'))).toBe(true)
    expect(githubMutations(result).sort()).toEqual(
      [`PUT ${repoSecrets}/${secretName}`, `PUT ${envSecrets}/${secretName}`].sort(),
    )
    expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
      { kind: 'repository', target: 'acme/app', name: secretName, result: 'created' },
      { kind: 'environment', target: 'acme/app/production', name: secretName, result: 'updated' },
    ])
    expect(result.stdout).toContain(`Stored secret ${secretName} in repository acme/app (created)`)
    expect(result.stdout).toContain(`Stored secret ${secretName} in environment acme/app/production (updated)`)
    expectSecretHidden(result, bodyLines(pem))
    expectTokensHidden(result)
    agent.assertNoPendingInterceptors()
  })

  it('seals the value so that real libsodium opens it, with the 48-byte sealed-box overhead', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app-4', put: 201 })

    const result = await runMain(inputs({}), { agent })

    const [body] = bodiesSent(result, 'PUT', `${repoSecrets}/${secretName}`)
    const sealed = Buffer.from(String(body?.['encrypted_value']), 'base64')
    // Standard base64 alphabet, and ephemeral public key (32) + MAC (16) in front of the ciphertext.
    expect(String(body?.['encrypted_value'])).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    expect(sealed.length).toBe(Buffer.byteLength(pem) + 48)
    expect(openSealed(pair, sealed.toString('base64')).equals(Buffer.from(pem))).toBe(true)
    // A different key pair cannot open it.
    const stranger = await secretsKeyPair('stranger')
    expect(() => openSealed(stranger, sealed.toString('base64'))).toThrow()
  })

  it('honours GITHUB_API_URL for GitHub Enterprise Server', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const ghes = agent.get('https://ghe.example.com')
    const pair = await secretsKeyPair('key-ghes')
    ghes
      .intercept({ path: `/api/v3${repoSecrets}/public-key`, method: 'GET' })
      .reply(200, JSON.stringify({ key_id: pair.keyId, key: pair.key }), json)
    ghes
      .intercept({ path: `/api/v3${repoSecrets}/${secretName}`, method: 'GET' })
      .reply(404, githubError('Not Found'), json)
    ghes.intercept({ path: `/api/v3${repoSecrets}/${secretName}`, method: 'PUT' }).reply(201, '')

    const result = await runMain(inputs({}), { agent, env: { GITHUB_API_URL: 'https://ghe.example.com/api/v3' } })

    expect(result.error).toBeUndefined()
    expect(result.calls.some((call) => call.url.startsWith(githubUrl))).toBe(false)
    const put = result.calls.find((call) => call.method === 'PUT')
    expect(put?.url).toBe(`https://ghe.example.com/api/v3${repoSecrets}/${secretName}`)
    const body = JSON.parse(put?.body ?? '{}') as { encrypted_value: string }
    expect(openSealed(pair, body.encrypted_value).toString('utf8')).toBe(pem)
    agent.assertNoPendingInterceptors()
  })
})

// ---- variables -----------------------------------------------------------

const publicKeyValue = 'SS.PUBK.generatedForTests0123456789'

function servePublicKeyCreate(agent: MockAgent) {
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_public_key/`, method: 'POST', body: JSON.stringify({ name: 'web-app' }) })
    .reply(
      201,
      JSON.stringify({ id: 'ws_pubk_new', api_key: publicKeyValue, name: 'web-app', is_secure_mode_enabled: false }),
      json,
    )
}

function servePublicKeyRotate(agent: MockAgent) {
  suprsend(agent)
    .intercept({ path: `/v1/${workspace}/ws_public_key/ws_pubk_1/rotate/`, method: 'PATCH' })
    .reply(
      202,
      JSON.stringify({ id: 'ws_pubk_1', api_key: publicKeyValue, name: 'web-app', is_secure_mode_enabled: true }),
      json,
    )
}

function github(agent: MockAgent) {
  return agent.get(githubUrl)
}

const variableName = 'SUPRSEND_PUBLIC_KEY'
const publicKeyInputs = (extra: Record<string, string>) => ({
  'service-token': serviceToken,
  workspace,
  'github-token': githubToken,
  'variable-name': variableName,
  ...extra,
})

describe('storing a public key in variables', () => {
  it('creates a repository variable (GET 404, then POST 201) with create-public-key', async () => {
    const agent = mockAgent()
    servePublicKeyCreate(agent)
    const base = paths.repo('acme/app', 'variables')
    serveExisting(agent, base, variableName, false)
    github(agent).intercept({ path: base, method: 'POST' }).reply(201, '{}', json)

    const result = await runMain(publicKeyInputs({ operation: 'create-public-key', name: 'web-app' }), { agent })

    expect(result.error).toBeUndefined()
    expect(bodiesSent(result, 'POST', base)).toEqual([{ name: variableName, value: publicKeyValue }])
    // Variables need no public key.
    expect(result.calls.some((call) => call.url.includes('public-key'))).toBe(false)
    expect(result.outputs['written']).toBe(
      '[{"kind":"repository","target":"acme/app","name":"SUPRSEND_PUBLIC_KEY","result":"created"}]',
    )
    expect(result.outputs['public-key']).toBe(publicKeyValue)
    expect(githubMutations(result)).toEqual([`POST ${base}`])
    agent.assertNoPendingInterceptors()
  })

  it('updates an environment variable (GET 200, then PATCH 204) with rotate-public-key', async () => {
    const agent = mockAgent()
    servePublicKeyRotate(agent)
    const base = paths.environment('acme/app', 'production', 'variables')
    serveExisting(agent, base, variableName, true, { value: 'SS.PUBK.previous' })
    github(agent)
      .intercept({ path: `${base}/${variableName}`, method: 'PATCH' })
      .reply(204, '')

    const result = await runMain(
      publicKeyInputs({ operation: 'rotate-public-key', 'public-key-id': 'ws_pubk_1', environment: 'production' }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(bodiesSent(result, 'PATCH', `${base}/${variableName}`)).toEqual([{ value: publicKeyValue }])
    expect(result.outputs['written']).toBe(
      '[{"kind":"environment","target":"acme/app/production","name":"SUPRSEND_PUBLIC_KEY","result":"updated"}]',
    )
    expect(githubMutations(result)).toEqual([`PATCH ${base}/${variableName}`])
    agent.assertNoPendingInterceptors()
  })

  it("creates an organization variable with visibility 'all'", async () => {
    const agent = mockAgent()
    servePublicKeyCreate(agent)
    const base = paths.org('acme', 'variables')
    serveExisting(agent, base, variableName, false)
    github(agent).intercept({ path: base, method: 'POST' }).reply(201, '{}', json)

    const result = await runMain(
      publicKeyInputs({ operation: 'create-public-key', name: 'web-app', organization: 'acme', visibility: 'all' }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(bodiesSent(result, 'POST', base)).toEqual([{ name: variableName, value: publicKeyValue, visibility: 'all' }])
    expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
      { kind: 'organization', target: 'acme', name: variableName, result: 'created' },
    ])
  })

  it("updates an organization variable with visibility 'selected' and the repositories' ids", async () => {
    const agent = mockAgent()
    servePublicKeyRotate(agent)
    const base = paths.org('acme', 'variables')
    serveExisting(agent, base, variableName, true)
    serveRepository(agent, 'acme/app', 501)
    serveRepository(agent, 'acme/web', 502)
    github(agent)
      .intercept({ path: `${base}/${variableName}`, method: 'PATCH' })
      .reply(204, '')

    const result = await runMain(
      publicKeyInputs({
        operation: 'rotate-public-key',
        'public-key-id': 'ws_pubk_1',
        organization: 'acme',
        visibility: 'selected',
        repositories: 'acme/app, acme/web',
      }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(bodiesSent(result, 'PATCH', `${base}/${variableName}`)).toEqual([
      { value: publicKeyValue, visibility: 'selected', selected_repository_ids: [501, 502] },
    ])
    expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
      { kind: 'organization', target: 'acme', name: variableName, result: 'updated' },
    ])
  })

  it('turns a POST that finds the variable already created (409) into a PATCH', async () => {
    const agent = mockAgent()
    servePublicKeyCreate(agent)
    const base = paths.repo('acme/app', 'variables')
    serveExisting(agent, base, variableName, false)
    github(agent).intercept({ path: base, method: 'POST' }).reply(409, githubError('Already exists'), json)
    github(agent)
      .intercept({ path: `${base}/${variableName}`, method: 'PATCH' })
      .reply(204, '')

    const result = await runMain(publicKeyInputs({ operation: 'create-public-key', name: 'web-app' }), { agent })

    expect(result.error).toBeUndefined()
    expect(githubMutations(result)).toEqual([`POST ${base}`, `PATCH ${base}/${variableName}`])
    expect(JSON.parse(result.outputs['written'] ?? '')[0].result).toBe('updated')
  })

  it('retries a variable POST that got a 502, and turns the 409 of the repeat into a PATCH', async () => {
    const agent = mockAgent()
    servePublicKeyCreate(agent)
    const base = paths.repo('acme/app', 'variables')
    serveExisting(agent, base, variableName, false)
    github(agent).intercept({ path: base, method: 'POST' }).reply(502, githubError('Bad Gateway'), json)
    github(agent).intercept({ path: base, method: 'POST' }).reply(409, githubError('Already exists'), json)
    github(agent)
      .intercept({ path: `${base}/${variableName}`, method: 'PATCH' })
      .reply(204, '')

    const result = await runMain(publicKeyInputs({ operation: 'create-public-key', name: 'web-app' }), { agent })

    expect(result.error).toBeUndefined()
    expect(githubMutations(result)).toEqual([`POST ${base}`, `POST ${base}`, `PATCH ${base}/${variableName}`])
    expect(bodiesSent(result, 'PATCH', `${base}/${variableName}`)).toEqual([{ value: publicKeyValue }])
    expect(result.sleeps).toHaveLength(1)
    expect(JSON.parse(result.outputs['written'] ?? '')).toHaveLength(1)
    agent.assertNoPendingInterceptors()
  })

  it('writes a variable in several repositories at once', async () => {
    const agent = mockAgent()
    servePublicKeyRotate(agent)
    const app = paths.repo('acme/app', 'variables')
    const web = paths.repo('acme/web', 'variables')
    serveExisting(agent, app, variableName, true)
    serveExisting(agent, web, variableName, false)
    github(agent)
      .intercept({ path: `${app}/${variableName}`, method: 'PATCH' })
      .reply(204, '')
    github(agent).intercept({ path: web, method: 'POST' }).reply(201, '{}', json)

    const result = await runMain(
      publicKeyInputs({
        operation: 'rotate-public-key',
        'public-key-id': 'ws_pubk_1',
        repositories: 'acme/app,acme/web',
      }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(result.outputs['written']).toBe(
      JSON.stringify([
        { kind: 'repository', target: 'acme/app', name: variableName, result: 'updated' },
        { kind: 'repository', target: 'acme/web', name: variableName, result: 'created' },
      ]),
    )
  })
})

// ---- preflight -----------------------------------------------------------

describe('preflight: nothing changes in SuprSend unless every destination can be written', () => {
  it('stops on a 403 for one of two repositories, naming it and the permission needed', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    const web = paths.repo('acme/web', 'secrets')
    servePublicKey(agent, web, await secretsKeyPair('key-web'))
    serveExisting(agent, web, secretName, { status: 403, message: 'Resource not accessible by personal access token' })

    const result = await runMain(inputs({ repositories: 'acme/app\nacme/web' }), { agent })

    expect(result.error).toContain(`rotate-signing-key in workspace '${workspace}' failed`)
    expect(result.error).toContain('nothing was changed in SuprSend')
    expect(result.error).toContain('acme/web: GitHub answered 403 "Resource not accessible by personal access token"')
    expect(result.error).toContain("'Secrets: Read and write'")
    expect(result.error).toContain("'repo' scope")
    expect(result.error).not.toContain('acme/app:')
    expect(suprsendMutations(result)).toEqual([])
    expect(githubMutations(result)).toEqual([])
    // The 403 is a permission answer, not a rate limit: asked once, never retried.
    expect(result.calls.filter((call) => call.url === `${githubUrl}${web}/${secretName}`)).toHaveLength(1)
    expect(result.sleeps).toEqual([])
    expect(result.outputs['private-key']).toBeUndefined()
    expect(result.outputs['written']).toBe('[]')
    expectTokensHidden(result)
  })

  it("stops on a 404 for an environment's public key, naming the environment", async () => {
    const agent = mockAgent()
    const base = paths.environment('acme/app', 'staging', 'secrets')
    servePublicKey(agent, base, { status: 404, message: 'Not Found' })
    serveExisting(agent, base, secretName, false)

    const result = await runMain(
      inputs({ operation: 'roll-signing-key', 'signing-key-uid': 'signing_key_old', environment: 'staging' }),
      { agent },
    )

    expect(result.error).toContain('acme/app/staging: GitHub answered 404 "Not Found"')
    expect(result.error).toContain('repository or environment does not exist or the token cannot see it')
    expect(result.error).toContain(
      "repository permissions 'Secrets: Read and write' and 'Environments: Read and write'",
    )
    expect(result.error).toContain('nothing was changed in SuprSend')
    // roll-signing-key with a uid needs no list: not one SuprSend request was sent.
    expect(result.calls.filter((call) => call.url.startsWith(apiUrl))).toEqual([])
    expect(githubMutations(result)).toEqual([])
  })

  it('stops on an organization secret the token may not manage, naming the organization permission', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    const base = paths.org('acme', 'secrets')
    servePublicKey(agent, base, await secretsKeyPair('key-org'))
    serveExisting(agent, base, secretName, { status: 403, message: 'Resource not accessible by integration' })
    serveRepository(agent, 'acme/app', 7)

    const result = await runMain(inputs({ organization: 'acme', visibility: 'selected', repositories: 'acme/app' }), {
      agent,
    })

    expect(result.error).toContain('acme: GitHub answered 403 "Resource not accessible by integration"')
    expect(result.error).toContain(`while checking secret ${secretName} in acme`)
    expect(result.error).toContain("organization permission 'Secrets: Read and write'")
    expect(result.error).toContain("'admin:org' scope")
    expect(suprsendMutations(result)).toEqual([])
  })

  it('stops when a selected repository cannot be found', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    await secretDestination(agent, paths.org('acme', 'secrets'), secretName, { keyId: 'key-org' })
    serveRepository(agent, 'acme/app', 7)
    github(agent).intercept({ path: '/repos/acme/gone', method: 'GET' }).reply(404, githubError('Not Found'), json)

    const result = await runMain(
      inputs({ organization: 'acme', visibility: 'selected', repositories: 'acme/app, acme/gone' }),
      { agent },
    )

    expect(result.error).toContain(
      'acme: GitHub answered 404 "Not Found" while looking up repository acme/gone: it does not exist or the token cannot see it',
    )
    expect(suprsendMutations(result)).toEqual([])
    expect(githubMutations(result)).toEqual([])
  })

  it('stops when GitHub cannot be reached during the preflight, after retrying the reads', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    servePublicKey(agent, repoSecrets, await secretsKeyPair('key-app'))
    for (let i = 0; i < 4; i++) {
      github(agent)
        .intercept({ path: `${repoSecrets}/${secretName}`, method: 'GET' })
        .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    }

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toContain(
      `acme/app: checking secret ${secretName} in acme/app failed: the connection was refused`,
    )
    expect(result.error).toContain('nothing was changed in SuprSend')
    expect(result.sleeps).toHaveLength(3)
    expect(suprsendMutations(result)).toEqual([])
    expectTokensHidden(result)
  })

  it("says input 'github-token' was rejected on a 401, before anything changes", async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    servePublicKey(agent, repoSecrets, { status: 401, message: 'Bad credentials' })
    serveExisting(agent, repoSecrets, secretName, { status: 401, message: 'Bad credentials' })

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toContain('GitHub answered 401 "Bad credentials"')
    expect(result.error).toContain("input 'github-token' was rejected")
    expect(suprsendMutations(result)).toEqual([])
    expect(result.sleeps).toEqual([])
    expectTokensHidden(result)
  })

  it('refuses a missing github-token before sending any request, naming the permission', async () => {
    const agent = mockAgent()

    const result = await runMain(inputs({ 'github-token': '' }), { agent })

    expect(result.error).toContain("Input 'github-token' is required")
    expect(result.error).toContain('GITHUB_TOKEN cannot write them')
    expect(result.error).toContain("'Secrets' permission")
    expect(result.calls).toEqual([])
  })
})

// ---- write failures ------------------------------------------------------

describe('a write that fails after the key was rolled', () => {
  it('names the new key, the destinations written and the failed ones, and keeps the masked output', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const appPair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app', put: 201 })
    const web = paths.repo('acme/web', 'secrets')
    await secretDestination(agent, web, secretName, { keyId: 'key-web' })
    servePut(agent, web, secretName, 500, 502, 500, 500)

    const result = await runMain(inputs({ repositories: 'acme/app, acme/web' }), { agent })

    expect(result.error).toBe(
      `rotate-signing-key in workspace '${workspace}' failed: The new signing key signing_key_new exists in SuprSend but was not stored everywhere: ` +
        `written to acme/app; failed: acme/web (GitHub answered 500 "Server Error" while writing secret ${secretName}). ` +
        `The value is still in this step's masked output for a later 'if: failure()' step to store.`,
    )
    // Four attempts in all at the failing destination, backing off between them.
    expect(bodiesSent(result, 'PUT', `${web}/${secretName}`)).toHaveLength(4)
    expect(result.sleeps).toHaveLength(3)
    expect(openedPut(result, `${repoSecrets}/${secretName}`, appPair).toString('utf8')).toBe(pem)
    // The recovery outputs: set first, masked, and still there.
    expect(result.outputs['private-key']).toBe(pem)
    expect(result.outputs['private-key-base64']).toBe(Buffer.from(pem).toString('base64'))
    expect(result.outputOrder.slice(0, 2)).toEqual(['private-key', 'private-key-base64'])
    expect(result.outputs['key-uid']).toBe('signing_key_new')
    expect(result.outputs['previous-key-uid']).toBe('signing_key_old')
    expect(result.outputs['written']).toBe(
      '[{"kind":"repository","target":"acme/app","name":"SUPRSEND_SIGNING_KEY","result":"created"}]',
    )
    expect(result.masks).toContain(Buffer.from(pem).toString('base64'))
    expectSecretHidden(result, bodyLines(pem))
    expectTokensHidden(result)
    expect(result.summary).toContain('### Stored in GitHub')
    expect(result.summary).toContain('signing_key_new exists in SuprSend but was not stored everywhere')
    // The old key was rolled, never deleted.
    expect(suprsendMutations(result)).toEqual([`POST /v1/${workspace}/ws_signing_key/signing_key_old/roll/`])
  })

  it('reports a destination whose connection keeps failing, without crashing', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    for (let i = 0; i < 4; i++) {
      github(agent)
        .intercept({ path: `${repoSecrets}/${secretName}`, method: 'PUT' })
        .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    }

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toContain(
      'The new signing key signing_key_new exists in SuprSend but was not stored everywhere',
    )
    expect(result.error).toContain('written to none; failed: acme/app (writing secret SUPRSEND_SIGNING_KEY failed:')
    expect(result.error).toContain('the connection was closed before an answer arrived')
    expect(result.outputs['private-key']).toBe(pem)
    expect(result.outputs['written']).toBe('[]')
    expectSecretHidden(result, bodyLines(pem))
  })

  it('does not retry a permission 403 on a write', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    servePut(agent, repoSecrets, secretName, {
      status: 403,
      body: githubError('Resource not accessible by personal access token'),
    })

    const result = await runMain(inputs({}), { agent })

    expect(bodiesSent(result, 'PUT', `${repoSecrets}/${secretName}`)).toHaveLength(1)
    expect(result.sleeps).toEqual([])
    expect(result.error).toContain(
      'failed: acme/app (GitHub answered 403 "Resource not accessible by personal access token"',
    )
    expect(result.error).toContain("'Secrets: Read and write'")
    expect(result.outputs['private-key']).toBe(pem)
  })
})

// ---- rate limits and concurrency -----------------------------------------

describe('rate limits and bounded writes', () => {
  it('retries a PUT on a secondary-rate-limit 403 and a 429, waiting as Retry-After says', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const pair = await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    servePut(
      agent,
      repoSecrets,
      secretName,
      {
        status: 403,
        body: githubError('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'),
        headers: { 'retry-after': '7' },
      },
      { status: 429, body: githubError('Too Many Requests'), headers: { 'retry-after': '3' } },
      201,
    )

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toEqual([7000, 3000])
    const bodies = bodiesSent(result, 'PUT', `${repoSecrets}/${secretName}`)
    expect(bodies).toHaveLength(3)
    for (const body of bodies) expect(openSealed(pair, String(body['encrypted_value'])).toString('utf8')).toBe(pem)
    expect(result.stdout).toContain(
      `PUT api.github.com${repoSecrets}/${secretName} failed (HTTP 403); retrying in 7.0 s`,
    )
    expect(result.stdout).toContain('failed (HTTP 429); retrying in 3.0 s')
    expect(JSON.parse(result.outputs['written'] ?? '')[0].result).toBe('created')
    agent.assertNoPendingInterceptors()
  })

  it('retries a primary-rate-limit 403 (x-ratelimit-remaining 0) when the window resets, not before', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    const resetAt = Math.floor(Date.now() / 1000) + 300
    servePut(
      agent,
      repoSecrets,
      secretName,
      {
        status: 403,
        body: githubError('API rate limit exceeded for installation.'),
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) },
      },
      204,
    )

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toHaveLength(1)
    // Five minutes, well past the 30 s backoff cap: retrying earlier would only meet the limit again.
    expect(result.sleeps[0]).toBeGreaterThan(295_000)
    expect(result.sleeps[0]).toBeLessThanOrEqual(300_000)
    expect(JSON.parse(result.outputs['written'] ?? '')[0].result).toBe('updated')
  })

  it('waits a minute after a secondary rate limit that names no time, as GitHub asks', async () => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    servePut(
      agent,
      repoSecrets,
      secretName,
      { status: 403, body: githubError('You have exceeded a secondary rate limit. Please wait a few minutes.') },
      201,
    )

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toBeUndefined()
    expect(result.sleeps).toEqual([60_000])
  })

  /** Five repositories whose PUTs record how many are inside the fake GitHub at once. */
  async function countWrites(agent: MockAgent, repos: string[]) {
    const tracker = { current: 0, max: 0, total: 0 }
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
    }
    for (const [i, repo] of repos.entries()) {
      const base = paths.repo(repo, 'secrets')
      await secretDestination(agent, base, secretName, { keyId: `key-${i}` })
      github(agent)
        .intercept({ path: `${base}/${secretName}`, method: 'PUT' })
        .reply(async () => {
          tracker.current++
          tracker.total++
          tracker.max = Math.max(tracker.max, tracker.current)
          // Let every write that could start now, start, before this one answers.
          await turns(20)
          tracker.current--
          return { statusCode: 201, data: '' }
        })
    }
    return tracker
  }

  it.each([1, 2, 5])('keeps at most write-concurrency %i PUTs in flight over five repositories', async (limit) => {
    const agent = mockAgent()
    const pem = newPem()
    serveRotation(agent, pem)
    const repos = ['acme/r1', 'acme/r2', 'acme/r3', 'acme/r4', 'acme/r5']
    const tracker = await countWrites(agent, repos)

    const result = await runMain(inputs({ repositories: repos.join(','), 'write-concurrency': String(limit) }), {
      agent,
    })

    expect(result.error).toBeUndefined()
    expect(tracker.total).toBe(5)
    // Exactly the limit: never more, and the limit is used (so the measurement can see a burst).
    expect(tracker.max).toBe(limit)
    expect(JSON.parse(result.outputs['written'] ?? '')).toHaveLength(5)
  })

  it('mapBounded never runs more than the limit at once and keeps the results in order', async () => {
    const pending: { item: number; resolve: (value: string) => void }[] = []
    let running = 0
    let max = 0
    const done = mapBounded([1, 2, 3, 4, 5], 2, (item) => {
      running++
      max = Math.max(max, running)
      return new Promise<string>((resolve) =>
        pending.push({
          item,
          resolve: (value) => {
            running--
            resolve(value)
          },
        }),
      )
    })
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
    await settle()
    expect(pending.map((p) => p.item)).toEqual([1, 2])
    // Finish them out of order: each finished slot takes the next item.
    pending.splice(1, 1)[0]?.resolve('two')
    await settle()
    expect(pending.map((p) => p.item)).toEqual([1, 3])
    while (pending.length > 0) {
      pending.shift()?.resolve(`#${pending.length}`)
      await settle()
    }
    const results = await done
    expect(max).toBe(2)
    expect(results[1]).toBe('two')
    expect(results).toHaveLength(5)
    expect(await mapBounded([], 3, async () => 1)).toEqual([])
  })
})

// ---- dry run -------------------------------------------------------------

describe('dry-run', () => {
  it('sends only reads to both APIs and prints the plan for rotate-signing-key', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    await secretDestination(agent, repoSecrets, secretName, { keyId: 'key-app' })
    await secretDestination(agent, paths.repo('acme/web', 'secrets'), secretName, { keyId: 'key-web', exists: true })

    const result = await runMain(inputs({ 'dry-run': 'true', repositories: 'acme/app,acme/web' }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.calls.length).toBeGreaterThan(0)
    expect(result.calls.every((call) => call.method === 'GET')).toBe(true)
    expect(result.stdout).toContain(
      `Dry run: would roll signing key signing_key_old and store it in secret ${secretName} in repository acme/app, repository acme/web`,
    )
    expect(result.stdout).toContain('acme/app (new), acme/web (exists)')
    expect(result.outputs['dry-run']).toBe('true')
    expect(result.outputs['written']).toBe('[]')
    expect(result.outputs['previous-key-uid']).toBe('signing_key_old')
    expect(result.outputs['private-key']).toBeUndefined()
    expect(result.summary).toContain('dry run, nothing changed')
    expect(result.summary).toContain('Would do (dry run)')
    expectTokensHidden(result)
    agent.assertNoPendingInterceptors()
  })

  it('sends only reads for rotate-api-key and says it would delete the old key after storing', async () => {
    const agent = mockAgent()
    serveApiKeys(agent)
    await secretDestination(agent, paths.environment('acme/app', 'production', 'secrets'), 'SUPRSEND_API_KEY', {
      keyId: 'key-env',
    })

    const result = await runMain(
      inputs({
        operation: 'rotate-api-key',
        'api-key-id': 'ws_apik_old',
        'secret-name': 'SUPRSEND_API_KEY',
        environment: 'production',
        'dry-run': 'true',
      }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(result.calls.every((call) => call.method === 'GET')).toBe(true)
    expect(result.stdout).toContain(
      "Dry run: would create API key 'backend-prod' and store it in secret SUPRSEND_API_KEY in environment acme/app/production, then delete API key ws_apik_old",
    )
    expect(result.outputs['dry-run']).toBe('true')
    expect(result.outputs['api-key']).toBeUndefined()
  })

  it('sends only reads for create-public-key with a variable, and still runs the preflight', async () => {
    const agent = mockAgent()
    const base = paths.org('acme', 'variables')
    serveExisting(agent, base, variableName, false)

    const result = await runMain(
      publicKeyInputs({ operation: 'create-public-key', name: 'web-app', organization: 'acme', 'dry-run': 'true' }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(result.calls.map((call) => `${call.method} ${new URL(call.url).pathname}`).sort()).toEqual([
      `GET ${base}`,
      `GET ${base}/${variableName}`,
    ])
    expect(result.stdout).toContain(
      `Dry run: would create public key 'web-app' and store it in variable ${variableName} in organization acme`,
    )
  })

  it('stops a variable preflight when the environment does not exist, though the variable GET alone would pass', async () => {
    const agent = mockAgent()
    const base = paths.environment('acme/app', 'staging', 'variables')
    agent
      .get(githubUrl)
      .intercept({ path: `${base}?per_page=1`, method: 'GET' })
      .reply(404, githubError('Not Found'), json)
    agent
      .get(githubUrl)
      .intercept({ path: `${base}/${variableName}`, method: 'GET' })
      .reply(404, githubError('Not Found'), json)

    const result = await runMain(
      publicKeyInputs({
        operation: 'rotate-public-key',
        'public-key-id': 'ws_pubk_1',
        repositories: 'acme/app/staging',
      }),
      { agent },
    )

    expect(result.error).toContain('GitHub preflight failed for 1 destination')
    expect(result.error).toContain('acme/app/staging')
    expect(result.calls.some((call) => call.method !== 'GET')).toBe(false)
  })

  it('stops a secret preflight on a public key that cannot seal, before anything is rolled', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    agent
      .get(githubUrl)
      .intercept({ path: `${repoSecrets}/public-key`, method: 'GET' })
      .reply(200, JSON.stringify({ key_id: 'k1', key: 'not-a-curve25519-key' }), json)
    serveExisting(agent, repoSecrets, secretName, false)

    const result = await runMain(inputs({}), { agent })

    expect(result.error).toContain("GitHub's public key for acme/app cannot be used")
    expect(result.calls.some((call) => call.method !== 'GET')).toBe(false)
  })

  it('fails a dry run whose preflight fails, still sending no mutating request', async () => {
    const agent = mockAgent()
    serveSigningKeys(agent, [activeKey])
    servePublicKey(agent, repoSecrets, await secretsKeyPair('key-app'))
    serveExisting(agent, repoSecrets, secretName, { status: 403, message: 'Resource not accessible by integration' })

    const result = await runMain(inputs({ 'dry-run': 'true' }), { agent })

    expect(result.error).toContain('GitHub preflight failed for 1 destination')
    expect(result.calls.every((call) => call.method === 'GET')).toBe(true)
  })
})

// ---- rotate-api-key ------------------------------------------------------

describe('rotate-api-key', () => {
  const apiSecret = 'SUPRSEND_API_KEY'

  it("creates the new key under the old key's name, stores it, then deletes the old key", async () => {
    const agent = mockAgent()
    const secret = newApiKey()
    serveApiKeys(agent)
    serveApiKeyCreate(agent, 'backend-prod', secret)
    const pair = await secretDestination(agent, repoSecrets, apiSecret, { keyId: 'key-app', exists: true, put: 204 })
    suprsend(agent)
      .intercept({ path: `/v1/${workspace}/ws_api_key/ws_apik_old/`, method: 'DELETE' })
      .reply(204, '')

    const result = await runMain(
      inputs({ operation: 'rotate-api-key', 'api-key-id': 'ws_apik_old', 'secret-name': apiSecret }),
      { agent },
    )

    expect(result.error).toBeUndefined()
    expect(openedPut(result, `${repoSecrets}/${apiSecret}`, pair).toString('utf8')).toBe(secret)
    const order = result.calls
      .filter((call) => call.method !== 'GET')
      .map((call) => `${call.method} ${new URL(call.url).pathname}`)
    expect(order).toEqual([
      `POST /v1/${workspace}/ws_api_key/`,
      `PUT ${repoSecrets}/${apiSecret}`,
      `DELETE /v1/${workspace}/ws_api_key/ws_apik_old/`,
    ])
    expect(result.outputs['api-key']).toBe(secret)
    expect(result.outputs['key-id']).toBe('ws_apik_new')
    expect(result.outputs['previous-key-id']).toBe('ws_apik_old')
    expect(result.outputs['written']).toBe(
      '[{"kind":"repository","target":"acme/app","name":"SUPRSEND_API_KEY","result":"updated"}]',
    )
    expect(result.stdout).toContain('Deleted the old API key ws_apik_old')
    expectSecretHidden(result, [secret])
    expectTokensHidden(result)
    agent.assertNoPendingInterceptors()
  })

  it('says the new key is stored and both keys work when only deleting the old one fails', async () => {
    const agent = mockAgent()
    const secret = newApiKey()
    serveApiKeys(agent)
    serveApiKeyCreate(agent, 'backend-prod', secret)
    const pair = await secretDestination(agent, repoSecrets, apiSecret, { keyId: 'key-app', put: 201 })
    suprsend(agent)
      .intercept({ path: `/v1/${workspace}/ws_api_key/ws_apik_old/`, method: 'DELETE' })
      .reply(
        400,
        { code: 400, message: 'cannot delete the last key' },
        { headers: { 'content-type': 'application/json' } },
      )

    const result = await runMain(
      inputs({ operation: 'rotate-api-key', 'api-key-id': 'ws_apik_old', 'secret-name': apiSecret }),
      { agent },
    )

    expect(openedPut(result, `${repoSecrets}/${apiSecret}`, pair).toString('utf8')).toBe(secret)
    expect(result.error).toBe(
      "rotate-api-key in workspace 'staging' failed: The new API key ws_apik_new was created and stored (acme/app), " +
        "but deleting the old API key ws_apik_old failed: SuprSend answered HTTP 400 while deleting API key 'ws_apik_old': " +
        'cannot delete the last key. Both keys work now: delete ws_apik_old with delete-api-key once nothing uses it.',
    )
    expect(result.outputs['key-id']).toBe('ws_apik_new')
    expect(result.outputs['previous-key-id']).toBe('ws_apik_old')
    expectSecretHidden(result, [secret])
  })

  it('never deletes the old key when storing the new one failed, and says so', async () => {
    const agent = mockAgent()
    const secret = newApiKey()
    serveApiKeys(agent)
    serveApiKeyCreate(agent, 'backend-prod', secret)
    await secretDestination(agent, repoSecrets, apiSecret, { keyId: 'key-app', put: 201 })
    const web = paths.repo('acme/web', 'secrets')
    await secretDestination(agent, web, apiSecret, { keyId: 'key-web' })
    servePut(agent, web, apiSecret, 503, 503, 503, 503)

    const result = await runMain(
      inputs({
        operation: 'rotate-api-key',
        'api-key-id': 'ws_apik_old',
        'secret-name': apiSecret,
        repositories: 'acme/app,acme/web',
      }),
      { agent },
    )

    expect(result.calls.some((call) => call.method === 'DELETE')).toBe(false)
    expect(result.error).toContain('The new API key ws_apik_new exists in SuprSend but was not stored everywhere')
    expect(result.error).toContain('written to acme/app; failed: acme/web (GitHub answered 503')
    expect(result.error).toContain('The old API key ws_apik_old was not deleted.')
    expect(result.outputs['api-key']).toBe(secret)
    expect(result.outputs['previous-key-id']).toBe('ws_apik_old')
    expectSecretHidden(result, [secret])
    expectTokensHidden(result)
  })

  it('creates no key and deletes nothing when the preflight fails', async () => {
    const agent = mockAgent()
    serveApiKeys(agent)
    servePublicKey(agent, repoSecrets, await secretsKeyPair('key-app'))
    serveExisting(agent, repoSecrets, apiSecret, { status: 403, message: 'Resource not accessible by integration' })

    const result = await runMain(
      inputs({ operation: 'rotate-api-key', 'api-key-id': 'ws_apik_old', 'secret-name': apiSecret }),
      { agent },
    )

    expect(result.error).toContain('nothing was changed in SuprSend')
    expect(suprsendMutations(result)).toEqual([])
    expect(result.outputs['api-key']).toBeUndefined()
  })

  it('deletes nothing when no api-key-id is given', async () => {
    const agent = mockAgent()
    const secret = newApiKey()
    serveApiKeyCreate(agent, 'backend-next', secret)
    const pair = await secretDestination(agent, repoSecrets, apiSecret, { keyId: 'key-app', put: 201 })

    const result = await runMain(
      inputs({ operation: 'rotate-api-key', name: 'backend-next', 'secret-name': apiSecret }),
      {
        agent,
      },
    )

    expect(result.error).toBeUndefined()
    expect(openedPut(result, `${repoSecrets}/${apiSecret}`, pair).toString('utf8')).toBe(secret)
    expect(suprsendMutations(result)).toEqual([`POST /v1/${workspace}/ws_api_key/`])
    // No old key: no list either.
    expect(result.calls.filter((call) => call.url.startsWith(apiUrl))).toHaveLength(1)
    expect(result.outputs['previous-key-id']).toBeUndefined()
  })
})
