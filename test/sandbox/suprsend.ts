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
import { generateKeyPairSync, randomInt } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { startCore, segments } from './http.ts'
import type { Fault, FaultHandle, RecordedRequest, Reply } from './http.ts'

export type { Fault, FaultHandle, RecordedRequest } from './http.ts'

export interface Actor {
  name: string
  email: string
}

export interface SigningKey {
  id: string
  uid: string
  status: 'active' | 'rolled'
  allowed_domains: string[] | null
  expiry_at: string | null
  created_at: string
  created_by: Actor | null
  rolled_at: string | null
  rolled_by: Actor | null
  deleted_at: string | null
  deleted_by: Actor | null
}

export interface SigningKeyWithSecret extends SigningKey {
  private_key_pem: string
  private_key_base64: string
}

export interface PublicKey {
  id: string
  api_key: string
  name: string
  allowed_domains: string[] | null
  is_secure_mode_enabled: boolean
  is_deleted: boolean
  is_default: boolean
  created_at: string
  created_by: Actor | null
  rotated_at: string | null
  rotated_by: Actor | null
  updated_at: string
  updated_by: Actor | null
}

export interface ApiKey {
  id: string
  masked_api_key: string
  is_deleted: boolean
  name: string
  allowed_domains: string[]
  created_at: string
  created_by: Actor | null
  deleted_at: string | null
  deleted_by: Actor | null
}

export interface ApiKeyWithSecret extends ApiKey {
  api_key: string
}

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
  /** Seed a signing key (status 'active' by default; the one-active rule is NOT enforced here). */
  seedSigningKey(workspace: string, init?: Partial<SigningKey>): SigningKeyWithSecret
  seedPublicKey(workspace: string, init?: Partial<PublicKey>): PublicKey
  seedApiKey(workspace: string, init?: Partial<ApiKeyWithSecret>): ApiKeyWithSecret
  /** Copies of the stored keys, newest first, with private material. */
  signingKeys(workspace: string, options?: ListOptions): SigningKeyWithSecret[]
  activeSigningKey(workspace: string): SigningKeyWithSecret | undefined
  publicKeys(workspace: string, options?: ListOptions): PublicKey[]
  apiKeys(workspace: string, options?: ListOptions): ApiKeyWithSecret[]
  inject(fault: Fault): FaultHandle
  /** Clear faults and the request log (not the workspaces). */
  reset(): void
  close(): Promise<void>
}

interface Workspace {
  signing: SigningKeyWithSecret[]
  publicKeys: PublicKey[]
  apiKeys: ApiKeyWithSecret[]
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random alphanumeric string (uniform, from node:crypto). */
export function randomAlnum(length: number): string {
  let out = ''
  for (let i = 0; i < length; i += 1) out += ALNUM[randomInt(ALNUM.length)]
  return out
}

function now(): string {
  return new Date().toISOString()
}

function newPrivateKey(): { private_key_pem: string; private_key_base64: string } {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { private_key_pem: privateKey, private_key_base64: Buffer.from(privateKey, 'utf8').toString('base64') }
}

function maskApiKey(apiKey: string): string {
  return `${apiKey.slice(0, 10)}*****`
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

function paginate<T>(
  items: T[],
  query: URLSearchParams,
): { meta: { count: number; limit: number; offset: number }; results: T[] } {
  const rawLimit = Number(query.get('limit'))
  const limit = Number.isInteger(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, 100) : 10
  const rawOffset = Number(query.get('offset'))
  const offset = query.has('offset') && Number.isInteger(rawOffset) && rawOffset >= 0 ? rawOffset : 0
  return { meta: { count: items.length, limit, offset }, results: items.slice(offset, offset + limit) }
}

function publicSigningKey(key: SigningKeyWithSecret): SigningKey {
  const { private_key_pem: _pem, private_key_base64: _b64, ...rest } = key
  return structuredClone(rest)
}

function publicApiKey(key: ApiKeyWithSecret): ApiKey {
  const { api_key: _secret, ...rest } = key
  return structuredClone(rest)
}

export async function startSuprSend(options: SuprSendOptions = {}): Promise<SuprSendSandbox> {
  const token = options.token ?? 'sandbox-service-token'
  const actor: Actor = options.actor ?? {
    name: 'Sandbox Service Token',
    email: 'org_sandbox0000000000000000@systemuser.suprsend.com',
  }
  const workspaces = new Map<string, Workspace>()

  const ws = (slug: string): Workspace => {
    const found = workspaces.get(slug)
    if (found === undefined) throw new Error(`sandbox: workspace '${slug}' was not added`)
    return found
  }

  const makeSigningKey = (init: Partial<SigningKey> = {}): SigningKeyWithSecret => {
    const status = init.status ?? 'active'
    const created = init.created_at ?? now()
    return {
      id: `ws_signk_${randomAlnum(20)}`,
      uid: `signing_key_${randomAlnum(20)}`,
      status,
      allowed_domains: null,
      expiry_at: null,
      created_at: created,
      created_by: actor,
      rolled_at: status === 'rolled' ? created : null,
      rolled_by: status === 'rolled' ? actor : null,
      deleted_at: null,
      deleted_by: null,
      ...init,
      ...newPrivateKey(),
    }
  }

  const makePublicKey = (init: Partial<PublicKey> = {}): PublicKey => {
    const created = init.created_at ?? now()
    return {
      id: `ws_pubk_${randomAlnum(20)}`,
      api_key: `SS.PUBK.${randomAlnum(43)}`,
      name: 'web-app',
      allowed_domains: null,
      is_secure_mode_enabled: false,
      is_deleted: false,
      is_default: false,
      created_at: created,
      created_by: actor,
      rotated_at: null,
      rotated_by: null,
      updated_at: created,
      updated_by: null,
      ...init,
    }
  }

  const makeApiKey = (init: Partial<ApiKeyWithSecret> = {}): ApiKeyWithSecret => {
    const apiKey = init.api_key ?? `SS.${randomAlnum(43)}`
    return {
      id: `ws_apik_${randomAlnum(20)}`,
      masked_api_key: maskApiKey(apiKey),
      is_deleted: false,
      name: 'backend',
      allowed_domains: [],
      created_at: now(),
      created_by: actor,
      deleted_at: null,
      deleted_by: null,
      ...init,
      api_key: apiKey,
    }
  }

  const readBody = (
    req: RecordedRequest,
  ): { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply } => {
    if (req.body.trim() === '') return { ok: true, value: {} }
    if (req.json === undefined)
      return { ok: false, reply: validation(['JSON parse error - request body is not valid JSON']) }
    if (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json)) {
      return { ok: false, reply: validation(['request body must be a JSON object']) }
    }
    return { ok: true, value: req.json as Record<string, unknown> }
  }

  const handle = (req: RecordedRequest): Reply => {
    const url = new URL(req.path, 'http://sandbox')
    const parts = segments(url.pathname)
    const routeNotFound = notFound(`path '${url.pathname}' not found`)
    // /v1/{ws}/{collection}/ [ {id}/ [ action/ ] ]  -> parts end with '' because of the trailing slash
    if (parts === undefined || parts.length < 4 || parts[0] !== 'v1' || parts[parts.length - 1] !== '')
      return routeNotFound
    const [, slug = '', collection = '', ...restWithSlash] = parts
    const rest = restWithSlash.slice(0, -1)
    if (!['ws_signing_key', 'ws_public_key', 'ws_api_key'].includes(collection) || slug === '') return routeNotFound
    if (rest.some((p) => p === '')) return routeNotFound
    const itemId = rest[0]
    const action = rest[1]
    if (rest.length > 2) return routeNotFound
    if (
      action !== undefined &&
      !(collection === 'ws_signing_key' && action === 'roll') &&
      !(collection === 'ws_public_key' && action === 'rotate')
    ) {
      return routeNotFound
    }

    if (req.headers.authorization !== `ServiceToken ${token}`) {
      return error(401, 'authentication_failed', 'AuthenticationFailed', 'Invalid service token.')
    }
    const workspace = workspaces.get(slug)
    if (workspace === undefined) return notFound(`workspace '${slug}' not found`)

    const method = req.method
    const notAllowed = error(405, 'method_not_allowed', 'MethodNotAllowed', `Method "${method}" not allowed.`)
    const stamp = now()

    if (collection === 'ws_signing_key') {
      const live = workspace.signing.filter((k) => k.deleted_at === null)
      if (itemId === undefined) {
        if (method === 'GET') {
          const page = paginate(live.slice().reverse(), url.searchParams)
          return { status: 200, body: { meta: page.meta, results: page.results.map(publicSigningKey) } }
        }
        if (method === 'POST') {
          const body = readBody(req)
          if (!body.ok) return body.reply
          if (live.some((k) => k.status === 'active')) return validation(['only 1 active signing key is allowed'])
          const key = makeSigningKey({ created_at: stamp })
          workspace.signing.push(key)
          return { status: 201, body: structuredClone(key) }
        }
        return notAllowed
      }
      const key = live.find((k) => k.uid === itemId)
      if (action === 'roll') {
        if (method !== 'POST') return notAllowed
        if (key === undefined) return notFound(`signing key '${itemId}' not found`)
        if (key.status !== 'active') return validation(['only active signing key can be rolled'])
        key.status = 'rolled'
        key.rolled_at = stamp
        key.rolled_by = actor
        const next = makeSigningKey({ created_at: stamp })
        workspace.signing.push(next)
        return { status: 201, body: structuredClone(next) }
      }
      if (method !== 'DELETE') return notAllowed
      if (key === undefined) return notFound(`signing key '${itemId}' not found`)
      key.deleted_at = stamp
      key.deleted_by = actor
      return { status: 204 }
    }

    if (collection === 'ws_public_key') {
      const live = workspace.publicKeys.filter((k) => !k.is_deleted)
      if (itemId === undefined) {
        if (method === 'GET') {
          const page = paginate(live.slice().reverse(), url.searchParams)
          return { status: 200, body: { meta: page.meta, results: page.results.map((k) => structuredClone(k)) } }
        }
        if (method === 'POST') {
          const body = readBody(req)
          if (!body.ok) return body.reply
          const { name, description } = body.value
          if (typeof name !== 'string' || name.trim() === '') return validation(['name: This field is required.'])
          if (description !== undefined && description !== null && typeof description !== 'string') {
            return validation(['description: Not a valid string.'])
          }
          const key = makePublicKey({ name, created_at: stamp, updated_at: stamp })
          workspace.publicKeys.push(key)
          return { status: 201, body: structuredClone(key) }
        }
        return notAllowed
      }
      const key = live.find((k) => k.id === itemId)
      if (action === 'rotate') {
        if (method !== 'PATCH') return notAllowed
        if (key === undefined) return notFound(`public key '${itemId}' not found`)
        key.api_key = `SS.PUBK.${randomAlnum(43)}`
        key.rotated_at = stamp
        key.rotated_by = actor
        key.updated_at = stamp
        key.updated_by = actor
        return { status: 202, body: structuredClone(key) }
      }
      if (method === 'PATCH') {
        const body = readBody(req)
        if (!body.ok) return body.reply
        if (key === undefined) return notFound(`public key '${itemId}' not found`)
        const flag = body.value.is_secure_mode_enabled
        if (typeof flag !== 'boolean') return validation(['is_secure_mode_enabled: Must be a valid boolean.'])
        key.is_secure_mode_enabled = flag
        key.updated_at = stamp
        key.updated_by = actor
        return { status: 202, body: structuredClone(key) }
      }
      if (method === 'DELETE') {
        if (key === undefined) return notFound(`public key '${itemId}' not found`)
        key.is_deleted = true
        key.updated_at = stamp
        key.updated_by = actor
        return { status: 204 }
      }
      return notAllowed
    }

    // ws_api_key
    const live = workspace.apiKeys.filter((k) => !k.is_deleted)
    if (itemId === undefined) {
      if (method === 'GET') {
        const page = paginate(live.slice().reverse(), url.searchParams)
        return { status: 200, body: { meta: page.meta, results: page.results.map(publicApiKey) } }
      }
      if (method === 'POST') {
        const body = readBody(req)
        if (!body.ok) return body.reply
        const { name } = body.value
        if (typeof name !== 'string' || name.trim() === '') return validation(['name: This field is required.'])
        const key = makeApiKey({ name, created_at: stamp })
        workspace.apiKeys.push(key)
        return { status: 201, body: structuredClone(key) }
      }
      return notAllowed
    }
    if (action !== undefined || method !== 'DELETE') return notAllowed
    const key = live.find((k) => k.id === itemId)
    if (key === undefined) return notFound(`api key '${itemId}' not found`)
    key.is_deleted = true
    key.deleted_at = stamp
    key.deleted_by = actor
    return { status: 204 }
  }

  const core = await startCore({
    latencyMs: options.latencyMs,
    handle,
    errorBody: defaultErrorBody,
  })

  const listOf = <T>(items: T[], keep: (item: T) => boolean, opts: ListOptions | undefined): T[] =>
    items
      .filter((k) => opts?.includeDeleted === true || keep(k))
      .reverse()
      .map((k) => structuredClone(k))

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
      if (!workspaces.has(slug)) workspaces.set(slug, { signing: [], publicKeys: [], apiKeys: [] })
    },
    seedSigningKey(workspace, init) {
      const key = makeSigningKey(init)
      ws(workspace).signing.push(key)
      return structuredClone(key)
    },
    seedPublicKey(workspace, init) {
      const key = makePublicKey(init)
      ws(workspace).publicKeys.push(key)
      return structuredClone(key)
    },
    seedApiKey(workspace, init) {
      const key = makeApiKey(init)
      ws(workspace).apiKeys.push(key)
      return structuredClone(key)
    },
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
    inject: core.inject,
    reset: core.reset,
    close: core.close,
  }
}

/** A fresh EC P-256 PKCS#8 PEM and its base64, as create/roll return them (for tests without a server). */
export { newPrivateKey as generateSigningKeyMaterial }
