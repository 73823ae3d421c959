/**
 * Generated SuprSend answers and request helpers for the behaviour tests.
 * Every key value is generated per run: real EC P-256 PEMs from node:crypto,
 * random ids and random API key secrets. Nothing here is a real secret.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MockAgent } from 'undici'
import { expect } from 'vitest'
import type { ApiKey, ApiKeyWithSecret, PublicKey, SigningKey, SigningKeyWithSecret } from '../../src/suprsend/types.ts'
import { apiUrl, mockAgent, runMain, serviceToken, type RunResult } from './harness.ts'

export { apiUrl, serviceToken }

export const workspace = 'staging'
export const signingPath = `/v1/${workspace}/ws_signing_key/`
export const publicPath = `/v1/${workspace}/ws_public_key/`
export const apiKeyPath = `/v1/${workspace}/ws_api_key/`

/** The page the client asks for; the server may answer with fewer per page. */
/** A MockAgent with net connect disabled, and its pool for SuprSend's origin. */
export function suprsend() {
  const agent = mockAgent()
  return { agent, pool: agent.get(apiUrl) }
}

/**
 * One workspace whose only key is active and rolls: the list answers with it,
 * and rolling it answers with a new key and its private key.
 */
export function serveActiveKeyThatRolls(pool: ReturnType<MockAgent['get']>) {
  const active = signingKey()
  const rolledTo = signingKeyWithSecret()
  pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([active]), { headers: jsonHeaders })
  pool
    .intercept({ path: `${signingPath}${active.uid}/roll/`, method: 'POST' })
    .reply(201, rolledTo, { headers: jsonHeaders })
  return { active, rolledTo }
}

export function listPath(collection: string, offset = 0): string {
  return `${collection}?limit=100&offset=${offset}`
}

export const jsonHeaders = { 'content-type': 'application/json' }
export const authorization = `ServiceToken ${serviceToken}`

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** A real PKCS#8 PEM of a fresh EC P-256 key, the kind SuprSend returns. */
export function generatePem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString()
}

/** The base64 lines of a PEM, without armour or blank lines. */
export function pemBody(pem: string): string[] {
  return pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----'))
}

export function signingKey(overrides: Partial<SigningKey> = {}): SigningKey {
  const n = hex(8)
  return {
    id: `ws_signk_${n}`,
    uid: `signing_key_${n}`,
    status: 'active',
    allowed_domains: null,
    expiry_at: null,
    created_at: '2026-11-01T10:00:00.000000Z',
    created_by: { name: 'Release Bot', email: 'bot@example.com' },
    rolled_at: null,
    rolled_by: null,
    deleted_at: null,
    deleted_by: null,
    ...overrides,
  }
}

export function signingKeyWithSecret(overrides: Partial<SigningKeyWithSecret> = {}): SigningKeyWithSecret {
  const pem = overrides.private_key_pem ?? generatePem()
  return {
    ...signingKey(),
    created_at: '2026-11-22T13:00:00.000000Z',
    private_key_pem: pem,
    private_key_base64: Buffer.from(pem).toString('base64'),
    ...overrides,
  }
}

export function publicKey(overrides: Partial<PublicKey> = {}): PublicKey {
  return {
    id: `ws_pubk_${hex(8)}`,
    api_key: `SS.PUBK.${randomBytes(24).toString('base64url')}`,
    name: 'web-app',
    allowed_domains: null,
    is_secure_mode_enabled: false,
    is_deleted: false,
    is_default: false,
    created_at: '2026-11-01T10:00:00.000000Z',
    created_by: null,
    rotated_at: null,
    rotated_by: null,
    updated_at: null,
    updated_by: null,
    ...overrides,
  }
}

export function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: `ws_apik_${hex(8)}`,
    masked_api_key: `SS.WSS.****${hex(2)}`,
    name: 'backend-prod',
    is_deleted: false,
    allowed_domains: null,
    created_at: '2026-11-01T10:00:00.000000Z',
    created_by: null,
    deleted_at: null,
    deleted_by: null,
    ...overrides,
  }
}

export function apiKeyWithSecret(overrides: Partial<ApiKeyWithSecret> = {}): ApiKeyWithSecret {
  const secret = `SS.WSS.${randomBytes(30).toString('base64url')}`
  return { ...apiKey(), masked_api_key: `${secret.slice(0, 7)}****${secret.slice(-4)}`, api_key: secret, ...overrides }
}

/** One page of a list answer, as SuprSend shapes it. */
export function page<T>(results: T[], meta: { count?: number; offset?: number; limit?: number } = {}) {
  return { meta: { count: meta.count ?? results.length, limit: meta.limit ?? 10, offset: meta.offset ?? 0 }, results }
}

/** SuprSend's error shape. */
export function errorBody(code: number, errorCode: string, type: string, message: string, detail?: string | string[]) {
  return { code, error_code: errorCode, type, message, detail: detail ?? message }
}

/** Inputs as a workflow step would give them. */
export function inputs(operation: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'service-token': serviceToken, workspace, operation, ...extra }
}

// @actions/core's summary remembers the first GITHUB_STEP_SUMMARY path it
// sees, and the harness gives every run a new one; one stable file per test
// file keeps each run's summary readable.
const summaryFile = join(mkdtempSync(join(tmpdir(), 'action-summary-')), 'summary')

/** runMain, with a job summary that works for every run in a test file. */
export async function run(
  given: Record<string, string>,
  options: { agent: MockAgent; env?: Record<string, string> },
): Promise<RunResult> {
  writeFileSync(summaryFile, '')
  const result = await runMain(given, { ...options, env: { GITHUB_STEP_SUMMARY: summaryFile, ...options.env } })
  return { ...result, summary: readFileSync(summaryFile, 'utf8') }
}

/** Checks one recorded request: method, exact URL, the service-token header, and the JSON body if any. */
export function expectCall(
  call: RunResult['calls'][number] | undefined,
  method: string,
  path: string,
  body?: Record<string, unknown>,
): void {
  expect(call, `${method} ${path} was sent`).toBeDefined()
  expect(call?.method).toBe(method)
  expect(call?.url).toBe(`${apiUrl}${path}`)
  expect(call?.headers['authorization']).toBe(authorization)
  if (body === undefined) {
    expect(call?.body ?? '').toBe('')
    expect(call?.headers['content-type']).toBeUndefined()
  } else {
    expect(call?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(call?.body ?? 'null')).toEqual(body)
  }
}

/** The lines of stdout that are not `::add-mask::` commands. */
export function logLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '' && !line.startsWith('::add-mask::'))
}

/**
 * Every 16-character window of a secret: finding any of them in a log means
 * part of the secret leaked.
 */
export function fragmentsOf(secret: string, size = 16): string[] {
  const compact = secret.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '')
  if (compact.length <= size) return [compact]
  const windows: string[] = []
  for (let i = 0; i + size <= compact.length; i += 4) windows.push(compact.slice(i, i + size))
  return windows
}

export function expectNoFragment(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    for (const fragment of fragmentsOf(secret)) expect(text).not.toContain(fragment)
  }
}
