// Local stand-in for SuprSend's management API (workspace signing keys, public keys, API keys).
// Contract: SuprSend's management API reference for workspace keys and its published OpenAPI.
//
// Behaviour that the documentation leaves open, as this sandbox decides it:
// - Routing first, then auth, then workspace, then method: an unknown path (including a documented
//   path without its trailing slash) is 404 even without a token; a known path without a valid
//   `Authorization: ServiceToken <token>` header is 401; an unknown workspace is 404; a wrong method
//   on a known path is 405.
// - Roll of an unknown uid (or of a signing key `id` instead of its `uid`, or of a deleted key) -> 404
//   not_found. Roll of a key that exists but is not active (already rolled) -> 400 ValidationError
//   "only active signing key can be rolled". Only the active key can be rolled.
// - Deleting a signing key is allowed whatever its status (also the active one); it then disappears
//   from lists (kept internally with deleted_at set). A second delete -> 404. Same for public/API keys.
// - Lists are newest first. `limit` defaults to 10 and is capped at 100 (meta.limit says what was
//   used); a missing/invalid/non-positive limit falls back to 10, an invalid offset to 0.
// - Request bodies that are not valid JSON -> 400 ValidationError.
// Test controls (not SuprSend behaviour):
// - Seeding takes any field values and does not enforce the one-active-key rule.
// - `deterministic: true`: sequential ids per workspace and a per-workspace clock (suprsend-keys.ts);
//   private keys stay real random P-256 keys. `now` replaces the clock in either mode.
// - setHostile(): ignoreOffset / repeatIds / pageSize bend every list of that workspace.
// - nextKeyMaterial(): the next create/roll answer in that workspace carries the given material.
//   What is stored follows the answer only where it names the key: a given `pem` IS the issued key
//   (stored as such, with the base64 of that PEM); a wrong `base64` or an omitted field changes the
//   answer only, so the stored key (activeSigningKey) is the real key the server issued.
import { STATUS_CODES } from 'node:http'
import { segments, startCore } from './http.ts'
import type { Fault, FaultHandle, RecordedRequest, Reply } from './http.ts'
import {
  createMinter,
  DETERMINISTIC_START,
  keyAnswer,
  makeApiKey,
  makePublicKey,
  makeSigningKey,
} from './suprsend-keys.ts'
import { paginate } from './suprsend-keys.ts'
import type { Actor, ApiKey, ApiKeyWithSecret, HostileSwitches, KeyMaterialOverride, Minter } from './suprsend-keys.ts'
import type { PublicKey, SeedFields, SigningKey, SigningKeyWithSecret } from './suprsend-keys.ts'

export type { Fault, FaultHandle, RecordedRequest } from './http.ts'
export type { Actor, ApiKey, ApiKeyWithSecret, HostileSwitches, KeyMaterialOptions } from './suprsend-keys.ts'
export type { KeyMaterialOverride, PublicKey, SeedFields, SigningKey, SigningKeyWithSecret } from './suprsend-keys.ts'
export { DETERMINISTIC_START, generateSigningKeyMaterial, randomAlnum } from './suprsend-keys.ts'

export interface ListOptions {
  /** Also return deleted keys (which the API no longer lists). */
  includeDeleted?: boolean
}

export interface SuprSendOptions {
  /** Service token the server accepts (default 'sandbox-service-token'). */
  token?: string
  /** Added to every response. */
  latencyMs?: number
  /** Actor recorded as created_by/rolled_by/... for changes made through the API. */
  actor?: Actor
  /** Sequential ids and a stepping clock, per workspace, for snapshot tests (see suprsend-keys.ts). */
  deterministic?: boolean
  /** The deterministic clock's start (default DETERMINISTIC_START); it advances one second per event. */
  startAt?: string | Date
  /** Clock for every timestamp (either mode); default the real time, or the deterministic clock. */
  now?: () => Date
}

export interface SuprSendSandbox {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string
  readonly token: string
  /** Every request received, in order (cleared by reset()). */
  readonly requests: RecordedRequest[]
  /** Latency added to every response; may be changed at any time. */
  latencyMs: number
  addWorkspace(slug: string): void
  /** Seed a signing key (status 'active' by default; any field values; the one-active rule is NOT enforced). */
  seedSigningKey(workspace: string, init?: SeedFields<SigningKeyWithSecret>): SigningKeyWithSecret
  seedPublicKey(workspace: string, init?: SeedFields<PublicKey>): PublicKey
  seedApiKey(workspace: string, init?: SeedFields<ApiKeyWithSecret>): ApiKeyWithSecret
  /** Copies of the stored keys, newest first, with private material. */
  signingKeys(workspace: string, options?: ListOptions): SigningKeyWithSecret[]
  activeSigningKey(workspace: string): SigningKeyWithSecret | undefined
  publicKeys(workspace: string, options?: ListOptions): PublicKey[]
  apiKeys(workspace: string, options?: ListOptions): ApiKeyWithSecret[]
  /** Replace the workspace's hostile list switches ({} turns them off). */
  setHostile(workspace: string, switches: HostileSwitches): void
  /** Queue material for the next create/roll answer in the workspace (one answer per call). */
  nextKeyMaterial(workspace: string, material: KeyMaterialOverride): void
  inject(fault: Fault): FaultHandle
  /** Clear faults and the request log (not the workspaces, their hostile switches or queued material). */
  reset(): void
  close(): Promise<void>
}

interface Workspace {
  signing: SigningKeyWithSecret[]
  publicKeys: PublicKey[]
  apiKeys: ApiKeyWithSecret[]
  mint: Minter
  hostile: HostileSwitches
  material: KeyMaterialOverride[]
}

/** One request to one collection of one workspace, routed and authenticated. */
interface Call {
  req: RecordedRequest
  ws: Workspace
  itemId: string | undefined
  action: string | undefined
  query: URLSearchParams
  /** One timestamp per request, minted only when the request changes something. */
  stamp: () => string
  notAllowed: Reply
}

function error(status: number, errorCode: string, type: string, message: string, detail?: unknown): Reply {
  return { status, body: { code: status, error_code: errorCode, type, message, detail: detail ?? message } }
}

function validation(details: string[]): Reply {
  return error(400, 'error', 'ValidationError', JSON.stringify(details), details)
}

function notFound(message: string): Reply {
  return error(404, 'not_found', 'NotFound', message)
}

function pascal(text: string): string {
  return text
    .replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())
    .replace(/^./, (c) => c.toUpperCase())
}

function defaultErrorBody(status: number): unknown {
  const text = STATUS_CODES[status] ?? 'Error'
  return {
    code: status,
    error_code: text.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
    type: pascal(text),
    message: text,
    detail: text,
  }
}

function publicSigningKey(key: SigningKeyWithSecret): SigningKey {
  const { private_key_pem: _pem, private_key_base64: _b64, ...rest } = key
  return structuredClone(rest)
}

function publicApiKey(key: ApiKeyWithSecret): ApiKey {
  const { api_key: _secret, ...rest } = key
  return structuredClone(rest)
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply }

/** The JSON object body, or the 400 to answer; an empty body is {}. */
function readBody(req: RecordedRequest): Parsed<Record<string, unknown>> {
  if (req.body.trim() === '') return { ok: true, value: {} }
  if (req.json === undefined)
    return { ok: false, reply: validation(['JSON parse error - request body is not valid JSON']) }
  if (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json))
    return { ok: false, reply: validation(['request body must be a JSON object']) }
  return { ok: true, value: req.json as Record<string, unknown> }
}

/** A body with the `name` that creating a public or API key requires. */
function namedBody(req: RecordedRequest): Parsed<Record<string, unknown> & { name: string }> {
  const body = readBody(req)
  if (!body.ok) return body
  const { name } = body.value
  if (typeof name !== 'string' || name.trim() === '')
    return { ok: false, reply: validation(['name: This field is required.']) }
  return { ok: true, value: { ...body.value, name } }
}

/** GET of a collection: one page, newest first, as `view` shows each item. */
function list<T>(c: Call, live: T[], view: (item: T) => unknown): Reply {
  const page = paginate(live.slice().reverse(), c.query, c.ws.hostile)
  return { status: 200, body: { meta: page.meta, results: page.results.map(view) } }
}

export async function startSuprSend(options: SuprSendOptions = {}): Promise<SuprSendSandbox> {
  const token = options.token ?? 'sandbox-service-token'
  const actor: Actor = options.actor ?? {
    name: 'Sandbox Service Token',
    email: 'org_sandbox0000000000000000@systemuser.suprsend.com',
  }
  const start = new Date(options.startAt ?? DETERMINISTIC_START).toISOString()
  const workspaces = new Map<string, Workspace>()

  const ws = (slug: string): Workspace => {
    const found = workspaces.get(slug)
    if (found === undefined) throw new Error(`sandbox: workspace '${slug}' was not added`)
    return found
  }

  const signingKeys = (c: Call): Reply => {
    const { req, ws: w } = c
    const live = w.signing.filter((k) => k.deleted_at === null)
    if (c.itemId === undefined) {
      if (req.method === 'GET') return list(c, live, publicSigningKey)
      if (req.method !== 'POST') return c.notAllowed
      const body = readBody(req)
      if (!body.ok) return body.reply
      if (live.some((k) => k.status === 'active')) return validation(['only 1 active signing key is allowed'])
      return issue(c)
    }
    const key = live.find((k) => k.uid === c.itemId)
    if (c.action === 'roll') {
      if (req.method !== 'POST') return c.notAllowed
      if (key === undefined) return notFound(`signing key '${c.itemId}' not found`)
      if (key.status !== 'active') return validation(['only active signing key can be rolled'])
      Object.assign(key, { status: 'rolled', rolled_at: c.stamp(), rolled_by: actor })
      return issue(c)
    }
    if (req.method !== 'DELETE') return c.notAllowed
    if (key === undefined) return notFound(`signing key '${c.itemId}' not found`)
    Object.assign(key, { deleted_at: c.stamp(), deleted_by: actor })
    return { status: 204 }
  }

  /** A new active signing key (create or roll), answered with its private material once. */
  const issue = (c: Call): Reply => {
    const override = c.ws.material.shift()
    const init = override?.pem === undefined ? {} : { private_key_pem: override.pem }
    const key = makeSigningKey(c.ws.mint, actor, init, c.stamp())
    c.ws.signing.push(key)
    return { status: 201, body: keyAnswer(key, override) }
  }

  const publicKeys = (c: Call): Reply => {
    const { req, ws: w } = c
    const live = w.publicKeys.filter((k) => !k.is_deleted)
    if (c.itemId === undefined) {
      if (req.method === 'GET') return list(c, live, (k) => structuredClone(k))
      if (req.method !== 'POST') return c.notAllowed
      const named = namedBody(req)
      if (!named.ok) return named.reply
      const { name, description } = named.value
      if (description !== undefined && description !== null && typeof description !== 'string')
        return validation(['description: Not a valid string.'])
      const key = makePublicKey(w.mint, actor, { name }, c.stamp())
      w.publicKeys.push(key)
      return { status: 201, body: structuredClone(key) }
    }
    const key = live.find((k) => k.id === c.itemId)
    if (!(c.action === 'rotate' ? ['PATCH'] : ['PATCH', 'DELETE']).includes(req.method)) return c.notAllowed
    const missing = notFound(`public key '${c.itemId}' not found`)
    let change: Partial<PublicKey>
    if (c.action === 'rotate' || req.method === 'DELETE') {
      if (key === undefined) return missing
      change =
        c.action === 'rotate'
          ? { api_key: w.mint.publicApiKey(), rotated_at: c.stamp(), rotated_by: actor }
          : { is_deleted: true }
    } else {
      const body = readBody(req)
      if (!body.ok) return body.reply
      if (key === undefined) return missing
      const flag = body.value.is_secure_mode_enabled
      if (typeof flag !== 'boolean') return validation(['is_secure_mode_enabled: Must be a valid boolean.'])
      change = { is_secure_mode_enabled: flag }
    }
    Object.assign(key, change, { updated_at: c.stamp(), updated_by: actor })
    return req.method === 'DELETE' ? { status: 204 } : { status: 202, body: structuredClone(key) }
  }

  const apiKeys = (c: Call): Reply => {
    const { req, ws: w } = c
    const live = w.apiKeys.filter((k) => !k.is_deleted)
    if (c.itemId === undefined) {
      if (req.method === 'GET') return list(c, live, publicApiKey)
      if (req.method !== 'POST') return c.notAllowed
      const named = namedBody(req)
      if (!named.ok) return named.reply
      const key = makeApiKey(w.mint, actor, { name: named.value.name }, c.stamp())
      w.apiKeys.push(key)
      return { status: 201, body: structuredClone(key) }
    }
    if (c.action !== undefined || req.method !== 'DELETE') return c.notAllowed
    const key = live.find((k) => k.id === c.itemId)
    if (key === undefined) return notFound(`api key '${c.itemId}' not found`)
    Object.assign(key, { is_deleted: true, deleted_at: c.stamp(), deleted_by: actor })
    return { status: 204 }
  }

  const collections: Record<string, (c: Call) => Reply> = {
    ws_signing_key: signingKeys,
    ws_public_key: publicKeys,
    ws_api_key: apiKeys,
  }
  const actions: Record<string, string> = { ws_signing_key: 'roll', ws_public_key: 'rotate' }

  const handle = (req: RecordedRequest): Reply => {
    const url = new URL(req.path, 'http://sandbox')
    const parts = segments(url.pathname)
    const routeNotFound = notFound(`path '${url.pathname}' not found`)
    // /v1/{ws}/{collection}/ [ {id}/ [ action/ ] ]  -> parts end with '' because of the trailing slash
    if (parts === undefined || parts.length < 4 || parts[0] !== 'v1' || parts[parts.length - 1] !== '')
      return routeNotFound
    const [, slug = '', collection = '', ...restWithSlash] = parts
    const rest = restWithSlash.slice(0, -1)
    const serve = collections[collection]
    if (serve === undefined || slug === '' || rest.length > 2 || rest.some((p) => p === '')) return routeNotFound
    const [itemId, action] = rest
    if (action !== undefined && actions[collection] !== action) return routeNotFound

    if (req.headers.authorization !== `ServiceToken ${token}`) {
      return error(401, 'authentication_failed', 'AuthenticationFailed', 'Invalid service token.')
    }
    const workspace = workspaces.get(slug)
    if (workspace === undefined) return notFound(`workspace '${slug}' not found`)
    let stamp: string | undefined
    return serve({
      req,
      ws: workspace,
      itemId,
      action,
      query: url.searchParams,
      stamp: () => (stamp ??= workspace.mint.stamp()),
      notAllowed: error(405, 'method_not_allowed', 'MethodNotAllowed', `Method "${req.method}" not allowed.`),
    })
  }

  const core = await startCore({ latencyMs: options.latencyMs, handle, errorBody: defaultErrorBody })

  const listOf = <T>(items: T[], keep: (item: T) => boolean, opts: ListOptions | undefined): T[] =>
    items
      .filter((k) => opts?.includeDeleted === true || keep(k))
      .reverse()
      .map((k) => structuredClone(k))
  const seeded = <T>(items: T[], key: T): T => {
    items.push(key)
    return structuredClone(key)
  }

  return {
    url: core.url,
    token,
    requests: core.requests,
    get latencyMs() {
      return core.latencyMs
    },
    set latencyMs(ms: number) {
      core.latencyMs = ms
    },
    addWorkspace(slug: string) {
      if (workspaces.has(slug)) return
      const mint = createMinter(options.deterministic === true, options.now, start)
      workspaces.set(slug, { signing: [], publicKeys: [], apiKeys: [], mint, hostile: {}, material: [] })
    },
    seedSigningKey: (workspace, init = {}) =>
      seeded(ws(workspace).signing, makeSigningKey(ws(workspace).mint, actor, init)),
    seedPublicKey: (workspace, init = {}) =>
      seeded(ws(workspace).publicKeys, makePublicKey(ws(workspace).mint, actor, init)),
    seedApiKey: (workspace, init = {}) => seeded(ws(workspace).apiKeys, makeApiKey(ws(workspace).mint, actor, init)),
    signingKeys(workspace, opts) {
      return listOf(ws(workspace).signing, (k) => k.deleted_at === null, opts)
    },
    activeSigningKey(workspace) {
      const key = ws(workspace).signing.findLast((k) => k.deleted_at === null && k.status === 'active')
      return key === undefined ? undefined : structuredClone(key)
    },
    publicKeys(workspace, opts) {
      return listOf(ws(workspace).publicKeys, (k) => !k.is_deleted, opts)
    },
    apiKeys(workspace, opts) {
      return listOf(ws(workspace).apiKeys, (k) => !k.is_deleted, opts)
    },
    setHostile(workspace, switches) {
      ws(workspace).hostile = { ...switches }
    },
    nextKeyMaterial(workspace, material) {
      ws(workspace).material.push({ ...material })
    },
    inject: core.inject,
    reset: core.reset,
    close: core.close,
  }
}
