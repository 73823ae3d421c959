/**
 * A fake GitHub REST API at the dispatcher level: interceptors on a MockAgent
 * for the secrets and variables endpoints the action uses, with real
 * Curve25519 key pairs from libsodium so a test can open what was stored.
 */
import sodium from 'libsodium-wrappers'
import type { MockAgent } from 'undici'
import { githubUrl, type RunResult } from './harness.ts'

const jsonHeaders = { headers: { 'content-type': 'application/json; charset=utf-8' } }

/** A destination's secrets key pair, as GitHub would hold it. */
export interface SecretsKeyPair {
  keyId: string
  /** base64 of the 32-byte public key: what GET .../public-key answers. */
  key: string
  publicKey: Uint8Array
  privateKey: Uint8Array
}

export async function secretsKeyPair(keyId: string): Promise<SecretsKeyPair> {
  await sodium.ready
  const { publicKey, privateKey } = sodium.crypto_box_keypair()
  return { keyId, key: Buffer.from(publicKey).toString('base64'), publicKey, privateKey }
}

/** Opens an `encrypted_value` with real libsodium, as GitHub does; throws if it does not open. */
export function openSealed(pair: SecretsKeyPair, encryptedValue: string): Buffer {
  return Buffer.from(
    sodium.crypto_box_seal_open(Buffer.from(encryptedValue, 'base64'), pair.publicKey, pair.privateKey),
  )
}

/** Collection paths, encoded the way GitHub's routes need them. */
export const paths = {
  repo: (fullName: string, collection: 'secrets' | 'variables') => `/repos/${fullName}/actions/${collection}`,
  environment: (fullName: string, environment: string, collection: 'secrets' | 'variables') =>
    `/repos/${fullName}/environments/${encodeURIComponent(environment)}/${collection}`,
  org: (org: string, collection: 'secrets' | 'variables') => `/orgs/${org}/actions/${collection}`,
}

function github(agent: MockAgent) {
  return agent.get(githubUrl)
}

/** GitHub's error body. */
export function githubError(message: string): string {
  return JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest' })
}

/** GET {base}/public-key answers with the pair's public key (or an error status). */
export function servePublicKey(
  agent: MockAgent,
  base: string,
  pair: SecretsKeyPair | { status: number; message: string },
): void {
  const interceptor = github(agent).intercept({ path: `${base}/public-key`, method: 'GET' })
  if ('status' in pair) interceptor.reply(pair.status, githubError(pair.message), jsonHeaders)
  else interceptor.reply(200, JSON.stringify({ key_id: pair.keyId, key: pair.key }), jsonHeaders)
}

/**
 * GET {base}/{name}: the permission check. `true` answers 200 (it exists),
 * `false` 404 (not there yet), or a given error status and message.
 */
export function serveExisting(
  agent: MockAgent,
  base: string,
  name: string,
  answer: boolean | { status: number; message: string },
  body: Record<string, unknown> = {},
) {
  if (base.endsWith('/variables')) {
    // The preflight lists a variables collection to prove its repository, environment or org exists.
    const list = github(agent).intercept({ path: `${base}?per_page=1`, method: 'GET' })
    if (typeof answer === 'object') list.reply(answer.status, githubError(answer.message), jsonHeaders)
    else list.reply(200, JSON.stringify({ total_count: 0, variables: [] }), jsonHeaders)
  }
  const interceptor = github(agent).intercept({ path: `${base}/${name}`, method: 'GET' })
  if (answer === true) {
    interceptor.reply(
      200,
      JSON.stringify({ name, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', ...body }),
      jsonHeaders,
    )
  } else if (answer === false) {
    interceptor.reply(404, githubError('Not Found'), jsonHeaders)
  } else {
    interceptor.reply(answer.status, githubError(answer.message), jsonHeaders)
  }
}

/** PUT {base}/{name} answers each status in turn (201 created, 204 updated, or errors). */
export function servePut(
  agent: MockAgent,
  base: string,
  name: string,
  ...answers: (number | { status: number; body?: string; headers?: Record<string, string> })[]
) {
  for (const answer of answers) {
    const { status, body, headers } = typeof answer === 'number' ? { status: answer } : answer
    github(agent)
      .intercept({ path: `${base}/${name}`, method: 'PUT' })
      .reply(status, body ?? (status >= 400 ? githubError('Server Error') : ''), {
        headers: { ...(body || status >= 400 ? jsonHeaders.headers : {}), ...headers },
      })
  }
}

/** A secret destination that passes preflight and accepts the write with `put` (201 or 204). */
export async function secretDestination(
  agent: MockAgent,
  base: string,
  name: string,
  options: { keyId: string; exists?: boolean; put?: number },
): Promise<SecretsKeyPair> {
  const pair = await secretsKeyPair(options.keyId)
  servePublicKey(agent, base, pair)
  serveExisting(agent, base, name, options.exists ?? false)
  if (options.put !== undefined) servePut(agent, base, name, options.put)
  return pair
}

/** GET /repos/{owner}/{repo} answers the repository with its numeric id. */
export function serveRepository(agent: MockAgent, fullName: string, id: number) {
  github(agent)
    .intercept({ path: `/repos/${fullName}`, method: 'GET' })
    .reply(200, JSON.stringify({ id, full_name: fullName, name: fullName.split('/')[1] }), jsonHeaders)
}

/** The JSON bodies of the requests sent to one GitHub path with one method, in order. */
export function bodiesSent(result: RunResult, method: string, path: string): Record<string, unknown>[] {
  return result.calls
    .filter((call) => call.method === method && call.url === `${githubUrl}${path}`)
    .map((call) => JSON.parse(call.body ?? 'null') as Record<string, unknown>)
}

/** Requests that could change something, per origin. */
export function mutatingCalls(result: RunResult, origin: string): RunResult['calls'] {
  return result.calls.filter((call) => call.method !== 'GET' && call.url.startsWith(origin))
}
