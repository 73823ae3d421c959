// End to end: the bundled action (dist/index.js) runs as a child process exactly as the runner runs
// it (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_API_URL), against the loopback
// SuprSend and GitHub sandboxes. After every run, no secret fragment may appear in the log as the
// runner shows it, in any raw log or error line, in the job summary, in stderr or in a non-secret
// output. Rebuild dist/ first (`npm run build`): this suite tests what users run.
import { spawn } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  decodeCommandData,
  randomAlnum,
  repoRoot,
  runAction,
  secondaryRateLimit,
  startGitHub,
  startSuprSend,
} from './sandbox/index.ts'
import type { GitHubSandbox, RunActionResult, SuprSendSandbox } from './sandbox/index.ts'

const bundle = join(repoRoot, 'dist', 'index.js')
const SERVICE_TOKEN = `ss_svc_${randomAlnum(32)}`
const GITHUB_TOKEN = `ghp_${randomAlnum(36)}`
/** A token that may write everywhere except repository acme/worker. */
const WEAK_TOKEN = `github_pat_${randomAlnum(40)}`

const armour = /^-----(BEGIN|END) [A-Z ]+-----$/

/** The parts of a PEM that are secret: each body line and the body as one line. */
function pemFragments(pem: string): string[] {
  const body = pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !armour.test(line))
  return [...body, body.join('')]
}

let ss: SuprSendSandbox
let gh: GitHubSandbox
const workspaces: string[] = []
/** Secrets that are not in any sandbox's state (a wrong token, a pasted secret). */
const extraSecrets = new Set<string>()
let ws = ''
let runsInTest = 0
let counter = 0

/** Every secret the sandboxes know of: tokens, every signing key ever issued, every API key. */
function secretFragments(outputs: Record<string, string>): string[] {
  const fragments = new Set<string>([SERVICE_TOKEN, GITHUB_TOKEN, WEAK_TOKEN, ...extraSecrets])
  for (const slug of workspaces) {
    for (const key of ss.signingKeys(slug, { includeDeleted: true })) {
      for (const f of pemFragments(key.private_key_pem)) fragments.add(f)
      fragments.add(key.private_key_base64)
    }
    for (const key of ss.apiKeys(slug, { includeDeleted: true })) fragments.add(key.api_key)
  }
  // Whatever the run handed out as secret outputs, in case it did not come from the sandbox's state.
  if (outputs['private-key']) for (const f of pemFragments(outputs['private-key'])) fragments.add(f)
  for (const name of ['private-key-base64', 'api-key']) if (outputs[name]) fragments.add(outputs[name])
  return [...fragments]
}

const secretOutputs = new Set(['private-key', 'private-key-base64', 'api-key'])

/** The leak check that runs after every action run. */
function expectNoLeak(result: RunActionResult): void {
  const rawLines = result.stdout.split(/\r?\n/).filter((line) => !line.startsWith('::add-mask::'))
  const places: Record<string, string> = {
    'masked log': result.maskedLog,
    // Stricter than the runner: secrets must never be printed at all, not just masked afterwards.
    'raw log and error lines': rawLines.join('\n'),
    'job summary': result.summary,
    stderr: result.stderr,
  }
  for (const [name, value] of Object.entries(result.outputs)) {
    if (!secretOutputs.has(name)) places[`output ${name}`] = value
  }
  for (const fragment of secretFragments(result.outputs)) {
    for (const [place, text] of Object.entries(places)) {
      if (text.includes(fragment)) {
        throw new Error(`a secret fragment (${fragment.length} characters) appears in the ${place}`)
      }
    }
  }
  // The armour is never registered: it would blank those lines everywhere in the log.
  for (const mask of result.masks) expect(mask).not.toMatch(/-----(BEGIN|END) /)
}

interface ActOptions {
  /** GITHUB_API_URL (default: the GitHub sandbox). */
  githubApiUrl?: string
}

/** Runs dist/index.js with the usual inputs for this test's workspace, then checks for leaks. */
async function act(inputs: Record<string, string>, options: ActOptions = {}): Promise<RunActionResult> {
  runsInTest += 1
  const result = await runAction({
    bundle,
    inputs: { 'service-token': SERVICE_TOKEN, workspace: ws, 'api-url': ss.url, ...inputs },
    githubApiUrl: options.githubApiUrl ?? gh.url,
    repository: 'acme/app',
  })
  expect(result.timedOut).toBe(false)
  expectNoLeak(result)
  return result
}

/** The one ::error:: line of a failed run, decoded; asserts the run failed. */
function failure(result: RunActionResult): string {
  expect(result.exitCode).toBe(1)
  const lines = result.stdout.split(/\r?\n/).filter((line) => line.startsWith('::error'))
  expect(lines).toHaveLength(1)
  const line = lines[0] ?? ''
  return decodeCommandData(line.slice(line.indexOf('::', 2) + 2))
}

function succeeded(result: RunActionResult): void {
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.maskedLog}${result.stderr}`)
  expect(result.stdout).not.toMatch(/^::error/m)
}

const ssCalls = (): string[] => ss.requests.map((r) => `${r.method} ${r.path}`)
const ghCalls = (): string[] => gh.requests.map((r) => `${r.method} ${r.path}`)
const ssMethods = (): string[] => [...new Set(ss.requests.map((r) => r.method))]
const ghMethods = (): string[] => [...new Set(gh.requests.map((r) => r.method))]

function expectP256(pem: string): void {
  const key = createPrivateKey(pem)
  expect(key.asymmetricKeyType).toBe('ec')
  expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
}

function activeKey() {
  const key = ss.activeSigningKey(ws)
  if (key === undefined) throw new Error(`workspace '${ws}' has no active signing key`)
  return key
}

/** A per-test secret name, so tests never see each other's secrets. */
const secretName = (): string => `SUPRSEND_KEY_${counter}`

beforeAll(async () => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run build' first`)
  ss = await startSuprSend({ token: SERVICE_TOKEN })
  gh = await startGitHub({ tokens: [GITHUB_TOKEN] })
  gh.addRepository('acme/app', { environments: ['production', 'prod / eu'] })
  gh.addRepository('acme/worker', { environments: ['production'] })
  gh.addOrganization('acme')
  gh.refuseToken(WEAK_TOKEN, { kind: 'repository', target: 'acme/worker' })
})

afterAll(async () => {
  await Promise.all([ss?.close(), gh?.close()])
})

describe('dist/index.js against the sandbox', () => {
  beforeEach(() => {
    counter += 1
    ws = `e2e-${counter}`
    workspaces.push(ws)
    ss.addWorkspace(ws)
    ss.reset()
    gh.reset()
    runsInTest = 0
  })

  afterEach(() => {
    // Every scenario runs the bundle at least once, so the leak check ran for it.
    expect(runsInTest).toBeGreaterThan(0)
  })

  describe('every operation through dist/index.js', { timeout: 30_000 }, () => {
    it('list-signing-keys lists every key without private fields', async () => {
      const rolled = ss.seedSigningKey(ws, { status: 'rolled' })
      const active = ss.seedSigningKey(ws)
      const result = await act({ operation: 'list-signing-keys' })
      succeeded(result)
      const keys = JSON.parse(result.outputs['keys'] ?? '') as Record<string, unknown>[]
      expect(keys.map((k) => [k['uid'], k['status']])).toEqual([
        [active.uid, 'active'],
        [rolled.uid, 'rolled'],
      ])
      for (const key of keys) expect(Object.keys(key)).not.toContain('private_key_pem')
      expect(result.maskedLog).toContain('Listed 2 signing keys')
      expect(result.summary).toContain(active.uid)
      expect(ssMethods()).toEqual(['GET'])
    })

    it('create-signing-key returns a real P-256 key as masked outputs', async () => {
      const result = await act({ operation: 'create-signing-key' })
      succeeded(result)
      const key = activeKey()
      expect(result.outputs).toMatchObject({
        'key-id': key.id,
        'key-uid': key.uid,
        status: 'active',
        'previous-key-uid': '',
        'private-key': key.private_key_pem,
        'private-key-base64': key.private_key_base64,
      })
      expectP256(result.outputs['private-key'] ?? '')
      // Every body line is registered, and the log names the key.
      for (const line of pemFragments(key.private_key_pem)) expect(result.masks).toContain(line)
      expect(result.masks).toContain(key.private_key_base64)
      expect(result.maskedLog).toContain(`Created signing key ${key.uid}`)
      expect(ssCalls()).toEqual([`GET /v1/${ws}/ws_signing_key/?limit=100&offset=0`, `POST /v1/${ws}/ws_signing_key/`])
    })

    it('roll-signing-key rolls the given uid, or the active key when none is given', async () => {
      const first = ss.seedSigningKey(ws)
      const byUid = await act({ operation: 'roll-signing-key', 'signing-key-uid': first.uid })
      succeeded(byUid)
      const second = activeKey()
      expect(second.uid).not.toBe(first.uid)
      expect(ss.signingKeys(ws).find((k) => k.uid === first.uid)?.status).toBe('rolled')
      expect(byUid.outputs).toMatchObject({ 'previous-key-uid': first.uid, 'key-uid': second.uid, status: 'active' })
      expect(byUid.outputs['private-key']).toBe(second.private_key_pem)
      expect(ssCalls()).toEqual([`POST /v1/${ws}/ws_signing_key/${first.uid}/roll/`])

      ss.reset()
      const byList = await act({ operation: 'roll-signing-key' })
      succeeded(byList)
      const third = activeKey()
      expect(byList.outputs).toMatchObject({ 'previous-key-uid': second.uid, 'key-uid': third.uid })
      expect(ss.requests.map((r) => r.method)).toEqual(['GET', 'POST'])
    })

    it('rotate-signing-key creates a key in an empty workspace, then rolls the active one', async () => {
      const created = await act({ operation: 'rotate-signing-key' })
      succeeded(created)
      const first = activeKey()
      expect(created.outputs).toMatchObject({ 'key-uid': first.uid, 'previous-key-uid': '' })
      expect(created.outputs['private-key']).toBe(first.private_key_pem)

      const rolled = await act({ operation: 'rotate-signing-key' })
      succeeded(rolled)
      const second = activeKey()
      expect(rolled.outputs).toMatchObject({ 'key-uid': second.uid, 'previous-key-uid': first.uid })
      expect(rolled.outputs['private-key']).toBe(second.private_key_pem)
      expect(ss.signingKeys(ws).map((k) => k.status)).toEqual(['active', 'rolled'])
    })

    it('delete-signing-key deletes by uid', async () => {
      const old = ss.seedSigningKey(ws, { status: 'rolled' })
      const active = ss.seedSigningKey(ws)
      const result = await act({ operation: 'delete-signing-key', 'signing-key-uid': old.uid })
      succeeded(result)
      expect(result.outputs['key-uid']).toBe(old.uid)
      expect(ss.signingKeys(ws).map((k) => k.uid)).toEqual([active.uid])
      expect(ssCalls()).toEqual([`DELETE /v1/${ws}/ws_signing_key/${old.uid}/`])
    })

    it('list-public-keys lists every key', async () => {
      const a = ss.seedPublicKey(ws, { name: 'web' })
      const b = ss.seedPublicKey(ws, { name: 'ios', is_secure_mode_enabled: true })
      const result = await act({ operation: 'list-public-keys' })
      succeeded(result)
      const keys = JSON.parse(result.outputs['keys'] ?? '') as Record<string, unknown>[]
      expect(keys.map((k) => [k['id'], k['api_key'], k['is_secure_mode_enabled']])).toEqual([
        [b.id, b.api_key, true],
        [a.id, a.api_key, false],
      ])
    })

    it('create-public-key sends the name and description and outputs the key', async () => {
      const result = await act({ operation: 'create-public-key', name: 'web-app', description: 'storefront' })
      succeeded(result)
      const [key] = ss.publicKeys(ws)
      expect(key?.name).toBe('web-app')
      expect(result.outputs).toMatchObject({ 'key-id': key?.id, 'public-key': key?.api_key, 'secure-mode': 'false' })
      const post = ss.requests.find((r) => r.method === 'POST')
      expect(post?.json).toEqual({ name: 'web-app', description: 'storefront' })
      expect(post?.headers['content-type']).toBe('application/json')
    })

    it('rotate-public-key changes the value and stores it in a repository variable', async () => {
      const key = ss.seedPublicKey(ws)
      const name = `PUBLIC_KEY_${counter}`
      const result = await act({
        operation: 'rotate-public-key',
        'public-key-id': key.id,
        'variable-name': name,
        'github-token': GITHUB_TOKEN,
      })
      succeeded(result)
      const [after] = ss.publicKeys(ws)
      expect(after?.api_key).not.toBe(key.api_key)
      expect(result.outputs).toMatchObject({ 'key-id': key.id, 'public-key': after?.api_key })
      expect(gh.readVariable('repository', 'acme/app', name)).toBe(after?.api_key)
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'repository', target: 'acme/app', name, result: 'created' },
      ])
      expect(ssCalls()).toEqual([`PATCH /v1/${ws}/ws_public_key/${key.id}/rotate/`])
    })

    it('enable-secure-mode and disable-secure-mode switch the flag', async () => {
      const key = ss.seedPublicKey(ws)
      const on = await act({ operation: 'enable-secure-mode', 'public-key-id': key.id })
      succeeded(on)
      expect(on.outputs).toMatchObject({ 'key-id': key.id, 'secure-mode': 'true', 'public-key': key.api_key })
      expect(ss.publicKeys(ws)[0]?.is_secure_mode_enabled).toBe(true)
      expect(ss.requests.map((r) => [r.method, r.path, r.json])).toEqual([
        ['PATCH', `/v1/${ws}/ws_public_key/${key.id}/`, { is_secure_mode_enabled: true }],
      ])

      const off = await act({ operation: 'disable-secure-mode', 'public-key-id': key.id })
      succeeded(off)
      expect(off.outputs['secure-mode']).toBe('false')
      expect(ss.publicKeys(ws)[0]?.is_secure_mode_enabled).toBe(false)
    })

    it('delete-public-key deletes it', async () => {
      const key = ss.seedPublicKey(ws)
      const result = await act({ operation: 'delete-public-key', 'public-key-id': key.id })
      succeeded(result)
      expect(ss.publicKeys(ws)).toEqual([])
      expect(ssCalls()).toEqual([`DELETE /v1/${ws}/ws_public_key/${key.id}/`])
    })

    it('list-api-keys lists masked keys only', async () => {
      const key = ss.seedApiKey(ws, { name: 'backend' })
      const result = await act({ operation: 'list-api-keys' })
      succeeded(result)
      expect(JSON.parse(result.outputs['keys'] ?? '')).toEqual([
        expect.objectContaining({ id: key.id, name: 'backend', masked_api_key: key.masked_api_key }),
      ])
    })

    it('create-api-key outputs the secret masked', async () => {
      const result = await act({ operation: 'create-api-key', name: 'backend-prod' })
      succeeded(result)
      const [key] = ss.apiKeys(ws)
      expect(key?.name).toBe('backend-prod')
      expect(result.outputs).toMatchObject({ 'key-id': key?.id, 'api-key': key?.api_key })
      expect(result.masks).toContain(key?.api_key)
    })

    it('rotate-api-key stores the new key, then deletes the old one', async () => {
      const old = ss.seedApiKey(ws, { name: 'backend' })
      const name = secretName()
      const result = await act({
        operation: 'rotate-api-key',
        'api-key-id': old.id,
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
      })
      succeeded(result)
      const keys = ss.apiKeys(ws)
      expect(keys).toHaveLength(1)
      const fresh = keys[0]
      expect(fresh?.id).not.toBe(old.id)
      expect(fresh?.name).toBe('backend')
      expect(await gh.readSecret('repository', 'acme/app', name)).toBe(fresh?.api_key)
      expect(result.outputs).toMatchObject({
        'key-id': fresh?.id,
        'previous-key-id': old.id,
        'api-key': fresh?.api_key,
      })
      // The old key goes only after the new one is stored.
      const put = gh.requests.find((r) => r.method === 'PUT')
      const del = ss.requests.find((r) => r.method === 'DELETE')
      expect(del?.path).toBe(`/v1/${ws}/ws_api_key/${old.id}/`)
      expect(put !== undefined && del !== undefined && put.at <= del.at).toBe(true)
    })

    it('delete-api-key deletes it', async () => {
      const key = ss.seedApiKey(ws)
      const result = await act({ operation: 'delete-api-key', 'api-key-id': key.id })
      succeeded(result)
      expect(result.outputs['key-id']).toBe(key.id)
      expect(ss.apiKeys(ws)).toEqual([])
      expect(ssCalls()).toEqual([`DELETE /v1/${ws}/ws_api_key/${key.id}/`])
    })
  })

  describe('rotation into each kind of destination', { timeout: 30_000 }, () => {
    it('repository secrets in two repositories hold the active key', async () => {
      ss.seedSigningKey(ws)
      const name = secretName()
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
        repositories: 'acme/app, acme/worker',
      })
      succeeded(result)
      const active = activeKey()
      for (const target of ['acme/app', 'acme/worker']) {
        const stored = await gh.readSecret('repository', target, name)
        expect(stored).toBe(active.private_key_pem)
        expectP256(stored)
      }
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'repository', target: 'acme/app', name, result: 'created' },
        { kind: 'repository', target: 'acme/worker', name, result: 'created' },
      ])
      expect(result.summary).toContain('### Stored in GitHub')
    })

    it('an environment secret (name needing URL-encoding) holds the active key in base64 form', async () => {
      ss.seedSigningKey(ws)
      const name = secretName()
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'secret-format': 'base64',
        'github-token': GITHUB_TOKEN,
        environment: 'prod / eu',
      })
      succeeded(result)
      const active = activeKey()
      const stored = await gh.readSecret('environment', 'acme/app/prod / eu', name)
      expect(stored).toBe(active.private_key_base64)
      expect(Buffer.from(stored, 'base64').toString('utf8')).toBe(active.private_key_pem)
      expect(gh.secretNames('environment', 'acme/app/production')).not.toContain(name)
      expect(ghCalls()).toContain(`PUT /repos/acme/app/environments/prod%20%2F%20eu/secrets/${name}`)
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'environment', target: 'acme/app/prod / eu', name, result: 'created' },
      ])
    })

    it('one rotation writes repository secrets and an environment secret from a mixed list', async () => {
      const first = ss.seedSigningKey(ws)
      const name = secretName()
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
        repositories: 'acme/app\nacme/worker\nacme/app/production',
      })
      succeeded(result)
      // Rolled exactly once for all three destinations.
      expect(ssCalls().filter((call) => call.startsWith('POST '))).toEqual([
        `POST /v1/${ws}/ws_signing_key/${first.uid}/roll/`,
      ])
      const active = activeKey()
      expect(active.uid).not.toBe(first.uid)
      for (const [kind, target] of [
        ['repository', 'acme/app'],
        ['repository', 'acme/worker'],
        ['environment', 'acme/app/production'],
      ] as const) {
        const stored = await gh.readSecret(kind, target, name)
        expect(stored).toBe(active.private_key_pem)
        expectP256(stored)
      }
      expect(gh.secretNames('environment', 'acme/worker/production')).not.toContain(name)
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'repository', target: 'acme/app', name, result: 'created' },
        { kind: 'repository', target: 'acme/worker', name, result: 'created' },
        { kind: 'environment', target: 'acme/app/production', name, result: 'created' },
      ])
    })

    it('an organization secret with selected visibility holds the active key and names the repositories', async () => {
      ss.seedSigningKey(ws)
      const name = secretName()
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
        organization: 'acme',
        visibility: 'selected',
        repositories: 'acme/app\nacme/worker',
      })
      succeeded(result)
      const active = activeKey()
      expect(await gh.readSecret('organization', 'acme', name)).toBe(active.private_key_pem)
      const ids = [gh.addRepository('acme/app').id, gh.addRepository('acme/worker').id]
      expect(gh.secretMeta('organization', 'acme', name)).toMatchObject({
        visibility: 'selected',
        selected_repository_ids: ids,
      })
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'organization', target: 'acme', name, result: 'created' },
      ])
    })
  })

  describe('pagination', { timeout: 30_000 }, () => {
    it('finds and rolls the active key on a later page', async () => {
      // Lists are newest first: the active key, seeded first, comes after 105 rolled ones (page 2 at limit 100).
      const active = ss.seedSigningKey(ws)
      for (let i = 0; i < 105; i += 1) ss.seedSigningKey(ws, { status: 'rolled' })

      const listed = await act({ operation: 'list-signing-keys' })
      succeeded(listed)
      const keys = JSON.parse(listed.outputs['keys'] ?? '') as { uid: string }[]
      expect(keys).toHaveLength(106)
      expect(keys[105]?.uid).toBe(active.uid)
      expect(ssCalls()).toEqual([
        `GET /v1/${ws}/ws_signing_key/?limit=100&offset=0`,
        `GET /v1/${ws}/ws_signing_key/?limit=100&offset=100`,
      ])

      ss.reset()
      const rotated = await act({ operation: 'rotate-signing-key' })
      succeeded(rotated)
      expect(rotated.outputs['previous-key-uid']).toBe(active.uid)
      expect(ssCalls().at(-1)).toBe(`POST /v1/${ws}/ws_signing_key/${active.uid}/roll/`)
      expect(activeKey().uid).toBe(rotated.outputs['key-uid'])
    })
  })

  describe('retries', { timeout: 30_000 }, () => {
    it('retries a GET that answers 503, then succeeds', async () => {
      const key = ss.seedApiKey(ws)
      ss.inject({ method: 'GET', status: [503], retryAfter: 0 })
      const result = await act({ operation: 'list-api-keys' })
      succeeded(result)
      expect(JSON.parse(result.outputs['keys'] ?? '')).toEqual([expect.objectContaining({ id: key.id })])
      expect(ss.requests.map((r) => [r.method, r.fault ?? 'ok'])).toEqual([
        ['GET', 'status 503'],
        ['GET', 'ok'],
      ])
      expect(result.maskedLog).toMatch(
        /GET \S+\/ws_api_key\/ failed \(HTTP 503\); retrying in 0\.0 s \(attempt 2 of 4\)/,
      )
    })

    it('retries a GitHub PUT that answers 429, honouring Retry-After, and stores the key', async () => {
      const name = secretName()
      gh.inject({ method: 'PUT', status: 429, retryAfter: 1 })
      const result = await act({ operation: 'create-signing-key', 'secret-name': name, 'github-token': GITHUB_TOKEN })
      succeeded(result)
      expect(await gh.readSecret('repository', 'acme/app', name)).toBe(activeKey().private_key_pem)
      expect(gh.requests.filter((r) => r.method === 'PUT').map((r) => r.fault ?? 'ok')).toEqual(['status 429', 'ok'])
      expect(result.maskedLog).toMatch(/PUT \S+ failed \(HTTP 429\); retrying in 1\.0 s/)
    })

    it('retries a GitHub secondary rate limit (403) on a PUT', async () => {
      ss.seedSigningKey(ws)
      const name = secretName()
      gh.inject(secondaryRateLimit({ method: 'PUT', retryAfter: 0 }))
      const result = await act({ operation: 'rotate-signing-key', 'secret-name': name, 'github-token': GITHUB_TOKEN })
      succeeded(result)
      expect(await gh.readSecret('repository', 'acme/app', name)).toBe(activeKey().private_key_pem)
      expect(gh.requests.filter((r) => r.method === 'PUT')).toHaveLength(2)
    })

    it('never retries a POST that answers 503, and says how to check', async () => {
      const fault = ss.inject({ method: 'POST', status: 503, times: 4 })
      const result = await act({ operation: 'create-signing-key' })
      const message = failure(result)
      expect(message).toMatch(/^create-signing-key in workspace 'e2e-\d+' failed: SuprSend answered HTTP 503/)
      expect(message).toContain('Run list-signing-keys to check')
      expect(ss.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
      expect(fault.hits).toBe(1)
      expect(result.maskedLog).not.toContain('retrying')
      expect(ss.signingKeys(ws)).toEqual([])
    })

    it('never retries a roll whose connection dropped, and reports it as ambiguous', async () => {
      const old = ss.seedSigningKey(ws)
      ss.inject({ method: 'POST', drop: true, times: 4 })
      const message = failure(await act({ operation: 'rotate-signing-key' }))
      expect(message).toContain('may have reached SuprSend')
      expect(message).toContain(`if '${old.uid}' is now 'rolled'`)
      expect(ss.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    })

    it('never retries a roll that timed out, and says it timed out', async () => {
      const old = ss.seedSigningKey(ws)
      // The sandbox answers after 3 s; the action gives up after request-timeout (1 s).
      ss.inject({ method: 'POST', delayMs: 3000 })
      const message = failure(await act({ operation: 'rotate-signing-key', 'request-timeout': '1' }))
      expect(message).toContain(
        `may have reached SuprSend while rolling signing key '${old.uid}', but no answer within 1 s`,
      )
      expect(message).toContain('it was not retried')
      expect(ss.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    })
  })

  describe('errors', { timeout: 30_000 }, () => {
    it('401: says the service token was rejected, without repeating it', async () => {
      const wrong = `ss_svc_${randomAlnum(32)}`
      extraSecrets.add(wrong)
      const message = failure(await act({ operation: 'list-signing-keys', 'service-token': wrong }))
      expect(message).toMatch(/HTTP 401 .*the service token was rejected \(SuprSend says: Invalid service token\)/)
      expect(message).toContain("check input 'service-token'")
    })

    it('404: names the workspace, or the key', async () => {
      const workspace = failure(await act({ operation: 'list-public-keys', workspace: 'no-such-ws' }))
      expect(workspace).toContain("workspace 'no-such-ws' was not found")
      expect(workspace).toContain("check input 'workspace'")

      const key = failure(await act({ operation: 'delete-public-key', 'public-key-id': 'ws_pubk_gone' }))
      expect(key).toContain(`public key 'ws_pubk_gone' was not found in workspace '${ws}'`)
      expect(key).toContain("check input 'public-key-id'")
    })

    it('a non-JSON error body is reported with its status and an excerpt', async () => {
      ss.inject({ method: 'GET', html: true, status: 502, retryAfter: 0, times: 4 })
      const message = failure(await act({ operation: 'list-public-keys' }))
      expect(message).toMatch(/HTTP 502 with a body that is not JSON while listing public keys: "502 Bad Gateway/)
      expect(ss.requests).toHaveLength(4)

      ss.reset()
      ss.inject({ method: 'POST', html: true, status: 502 })
      const create = failure(await act({ operation: 'create-api-key', name: 'backend' }))
      expect(create).toMatch(/HTTP 502 with a body that is not JSON while creating API key 'backend'/)
      expect(create).toContain('Run list-api-keys to check')
      expect(ss.requests).toHaveLength(1)
    })

    it('a GitHub token that is rejected is reported as such, before anything is rolled', async () => {
      const old = ss.seedSigningKey(ws)
      const bad = `ghp_${randomAlnum(36)}`
      extraSecrets.add(bad)
      const message = failure(
        await act({ operation: 'rotate-signing-key', 'secret-name': secretName(), 'github-token': bad }),
      )
      expect(message).toContain("input 'github-token' was rejected")
      expect(ssMethods()).toEqual(['GET'])
      expect(activeKey().uid).toBe(old.uid)
    })
  })

  describe('never lose a key', { timeout: 30_000 }, () => {
    it('a preflight refusal stops the rotation before anything is rolled', async () => {
      const old = ss.seedSigningKey(ws)
      const name = secretName()
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'github-token': WEAK_TOKEN,
        repositories: 'acme/app, acme/worker',
      })
      const message = failure(result)
      expect(message).toContain('GitHub preflight failed for 1 destination, so nothing was changed in SuprSend')
      expect(message).toContain('acme/worker: GitHub answered 403 "Resource not accessible by personal access token"')
      expect(message).toContain("'Secrets: Read and write'")
      expect(ss.requests.filter((r) => r.method !== 'GET')).toEqual([])
      expect(gh.requests.filter((r) => r.method !== 'GET')).toEqual([])
      expect(activeKey().uid).toBe(old.uid)
      expect(result.outputs['private-key']).toBeUndefined()
    })

    it('a write failure after the roll keeps the key in the masked outputs and names what was and was not written', async () => {
      const old = ss.seedSigningKey(ws)
      const name = secretName()
      gh.inject({
        method: 'PUT',
        path: `/repos/acme/worker/actions/secrets/${name}`,
        status: 403,
        body: { message: 'Resource not accessible by integration', status: '403' },
      })
      const result = await act({
        operation: 'rotate-signing-key',
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
        repositories: 'acme/app, acme/worker',
      })
      const message = failure(result)
      const active = activeKey()
      expect(active.uid).not.toBe(old.uid)
      expect(message).toContain(`The new signing key ${active.uid} exists in SuprSend but was not stored everywhere`)
      expect(message).toContain('written to acme/app;')
      expect(message).toMatch(/failed: acme\/worker \(GitHub answered 403 "Resource not accessible by integration"/)
      // Recovery: a later `if: failure()` step can still read the key from the masked outputs.
      expect(result.outputs).toMatchObject({
        'private-key': active.private_key_pem,
        'private-key-base64': active.private_key_base64,
        'key-uid': active.uid,
        'previous-key-uid': old.uid,
      })
      expect(JSON.parse(result.outputs['written'] ?? '')).toEqual([
        { kind: 'repository', target: 'acme/app', name, result: 'created' },
      ])
      expect(await gh.readSecret('repository', 'acme/app', name)).toBe(active.private_key_pem)
      expect(gh.secretNames('repository', 'acme/worker')).not.toContain(name)
      expect(ss.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    })

    it('rotate-api-key keeps the old key when storing the new one failed', async () => {
      const old = ss.seedApiKey(ws, { name: 'backend' })
      const name = secretName()
      gh.inject({ method: 'PUT', status: 422 })
      const result = await act({
        operation: 'rotate-api-key',
        'api-key-id': old.id,
        'secret-name': name,
        'github-token': GITHUB_TOKEN,
      })
      const message = failure(result)
      expect(message).toContain(`The old API key ${old.id} was not deleted`)
      expect(ss.apiKeys(ws).map((k) => k.id)).toContain(old.id)
      expect(ss.requests.filter((r) => r.method === 'DELETE')).toEqual([])
      const fresh = ss.apiKeys(ws).find((k) => k.id !== old.id)
      expect(result.outputs['api-key']).toBe(fresh?.api_key)
    })
  })

  describe('dry run', { timeout: 30_000 }, () => {
    it('sends only reads to both APIs and changes nothing', async () => {
      const signing = ss.seedSigningKey(ws)
      const pub = ss.seedPublicKey(ws)
      const api = ss.seedApiKey(ws, { name: 'backend' })
      const store = { 'secret-name': secretName(), 'github-token': GITHUB_TOKEN }
      const runs: [Record<string, string>, RegExp][] = [
        [
          {
            operation: 'rotate-signing-key',
            ...store,
            organization: 'acme',
            visibility: 'selected',
            repositories: 'acme/app',
          },
          new RegExp(`Dry run: would roll signing key ${signing.uid} and store it in secret SUPRSEND_KEY_\\d+`),
        ],
        [
          { operation: 'rotate-api-key', 'api-key-id': api.id, ...store, environment: 'production' },
          new RegExp(`Dry run: would create API key 'backend' and store it .*, then delete API key ${api.id}`),
        ],
        [{ operation: 'enable-secure-mode', 'public-key-id': pub.id }, /Dry run: would enable secure mode/],
        [{ operation: 'delete-signing-key', 'signing-key-uid': signing.uid }, /Dry run: would delete signing key/],
      ]
      for (const [inputs, planned] of runs) {
        const result = await act({ ...inputs, 'dry-run': 'true' })
        succeeded(result)
        expect(result.outputs['dry-run']).toBe('true')
        expect(result.maskedLog).toMatch(planned)
        expect(result.summary).toContain('dry run, nothing changed')
        expect(result.outputs['private-key']).toBeUndefined()
      }
      expect(ssMethods()).toEqual(['GET'])
      expect(ghMethods()).toEqual(['GET'])
      expect(activeKey().uid).toBe(signing.uid)
      expect(ss.signingKeys(ws)).toHaveLength(1)
      expect(ss.publicKeys(ws)[0]?.is_secure_mode_enabled).toBe(false)
      expect(ss.apiKeys(ws).map((k) => k.id)).toEqual([api.id])
    })
  })

  describe('bad input is refused before any request', { timeout: 30_000 }, () => {
    const pasted = `sk_live_${randomAlnum(40)}`
    const cases: [string, Record<string, string>, RegExp][] = [
      ['a missing required input', { operation: 'list-api-keys', workspace: '' }, /^Input 'workspace' is required/],
      [
        'a missing per-operation input',
        { operation: 'delete-signing-key' },
        /^Input 'signing-key-uid' is required for operation 'delete-signing-key'/,
      ],
      [
        'an unknown operation, listing the valid ones',
        { operation: 'rotate-everything' },
        /^Input 'operation' is 'rotate-everything'; expected one of: list-signing-keys, .*delete-api-key\.$/,
      ],
      [
        'an unknown operation that looks like a pasted secret, not echoed',
        { operation: pasted },
        /^Input 'operation' is not an operation name; expected one of:/,
      ],
      [
        "a signing key id where the uid is needed ('ws_signk_' vs 'signing_key_')",
        { operation: 'delete-signing-key', 'signing-key-uid': 'ws_signk_abc123' },
        /^Input 'signing-key-uid' got a signing key id \('ws_signk_\.\.\.'\), not its uid; expected a signing key uid/,
      ],
      [
        'a public key value where its id is needed',
        { operation: 'enable-secure-mode', 'public-key-id': 'SS.PUBK.abcdef' },
        /^Input 'public-key-id' got a public key's value/,
      ],
      [
        'a path trick in the workspace',
        { operation: 'list-api-keys', workspace: '../admin' },
        /^Input 'workspace' contains '\/'/,
      ],
      [
        'a path trick in a key id',
        { operation: 'delete-signing-key', 'signing-key-uid': 'signing_key_a/../b' },
        /^Input 'signing-key-uid' contains '\/'/,
      ],
      [
        'whitespace in a key id',
        { operation: 'delete-api-key', 'api-key-id': 'ws_apik_a b' },
        /^Input 'api-key-id' contains whitespace/,
      ],
      [
        'a control character in a key id',
        { operation: 'delete-public-key', 'public-key-id': 'ws_pubk_a\u0007' },
        /^Input 'public-key-id' contains a control character/,
      ],
      [
        'a non-https api-url',
        { operation: 'list-api-keys', 'api-url': 'http://management-api.suprsend.com' },
        /^Input 'api-url' uses http; expected https/,
      ],
      [
        'an input that does not apply to the operation',
        { operation: 'list-signing-keys', 'public-key-id': 'ws_pubk_abc' },
        /^Input 'public-key-id' does not apply to operation 'list-signing-keys'/,
      ],
      [
        'a secret name on an operation that stores nothing',
        { operation: 'list-api-keys', 'secret-name': 'X', 'github-token': GITHUB_TOKEN },
        /^Input 'secret-name' does not apply to operation 'list-api-keys', which returns no key to store/,
      ],
      [
        'visibility without an organization',
        { operation: 'rotate-signing-key', 'secret-name': 'X', 'github-token': GITHUB_TOKEN, visibility: 'all' },
        /^Input 'visibility' applies only to an organization secret or variable/,
      ],
      [
        "'environment' together with an 'owner/repo/environment' entry",
        {
          operation: 'rotate-signing-key',
          'secret-name': 'X',
          'github-token': GITHUB_TOKEN,
          repositories: 'acme/app, acme/app/production',
          environment: 'production',
        },
        /^Inputs 'environment' and 'repositories' cannot be combined when an entry names its own environment \('acme\/app\/production'\)/,
      ],
      [
        'a secret without a GitHub token',
        { operation: 'rotate-signing-key', 'secret-name': 'X' },
        /^Input 'github-token' is required to store into a secret/,
      ],
    ]

    it.each(cases)('%s', async (_name, inputs, expected) => {
      if (inputs.operation === pasted) extraSecrets.add(pasted)
      const result = await act(inputs)
      expect(failure(result)).toMatch(expected)
      expect(ss.requests).toEqual([])
      expect(gh.requests).toEqual([])
      expect(result.outputs).toEqual({})
      expect(result.stderr).toBe('')
    })
  })
})

describe('the leak check', { timeout: 30_000 }, () => {
  it('catches a key line printed after it was masked, and a token in the job summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'e2e-leak-'))
    try {
      ws = 'leak-check'
      if (!workspaces.includes(ws)) {
        workspaces.push(ws)
        ss.addWorkspace(ws)
      }
      const key = ss.seedSigningKey(ws)
      const line = key.private_key_pem.split('\n')[1] ?? ''
      const script = join(dir, 'leaky.mjs')
      const print = (body: string) =>
        writeFile(script, `import { appendFileSync } from 'node:fs'\n${body}\n`).then(() =>
          runAction({ bundle: script, actionDefaults: false }),
        )
      const masked = await print(`console.log('::add-mask::${line}')\nconsole.log('key: ${line}')`)
      expect(masked.maskedLog).toBe('key: ***\n')
      expect(() => expectNoLeak(masked)).toThrow(/appears in the raw log and error lines/)
      const summary = await print(`appendFileSync(process.env.GITHUB_STEP_SUMMARY, '${SERVICE_TOKEN}')`)
      expect(() => expectNoLeak(summary)).toThrow(/appears in the job summary/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('npm run demo', { timeout: 60_000 }, () => {
  it('walks the story and passes every one of its proofs, printing nothing secret', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'test', 'sandbox', 'demo.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    if (code !== 0) throw new Error(`npm run demo exited with ${code}:\n${stdout}\n${stderr}`)
    for (const step of ['Step 1:', 'Step 2:', 'Step 3:', 'Step 4:', 'Proof:']) expect(stdout).toContain(step)
    expect(stdout).not.toMatch(/^\s*FAIL /m)
    expect(stdout).toMatch(/PASS {2}this demo printed no token and no fragment of any private key/)
    expect(stdout).toMatch(/All proofs passed\.\n$/)
    // No line that looks like PEM body or base64 key material.
    expect(stdout).not.toMatch(/[A-Za-z0-9+/]{60,}/)
    expect(stdout.split('\n').length).toBeLessThan(400)
  })
})
