// What the GitHub stand-in stores per destination (repository, environment, organization): one key
// pair list and secret map per secret family (Actions, Dependabot, Codespaces) and the Actions
// variables, plus the request handlers of the secrets and variables endpoints. github.ts routes to
// them. Validation decisions are listed in github.ts's header.
import { generateKeyPairSync, randomInt } from 'node:crypto'
import type { RecordedRequest, Reply } from './http.ts'

export type DestinationKind = 'repository' | 'environment' | 'organization'
/** Secret family: each has its own key pair per repository/organization; environments have only 'actions'. */
export type SecretType = 'actions' | 'dependabot' | 'codespaces'
export type Visibility = 'all' | 'private' | 'selected'

export interface SecretsPublicKey {
  key_id: string
  /** base64 of the 32-byte Curve25519 public key. */
  key: string
}

interface Stored {
  name: string
  visibility?: Visibility
  selected_repository_ids?: number[]
  created_at: string
  updated_at: string
  /** How many requests created it (PUT 201 / POST 201) and updated it (PUT 204 / PATCH 204). */
  createCount: number
  updateCount: number
}

export interface SecretMeta extends Stored {
  key_id: string
  encrypted_value: string
}

export interface VariableMeta extends Stored {
  value: string
}

export interface KeyPair extends SecretsPublicKey {
  publicKey: Uint8Array
  privateKey: Uint8Array
}

export interface Family {
  /** Oldest first; the last one is current. Old ones stay so earlier boxes still open. */
  keys: KeyPair[]
  secrets: Map<string, SecretMeta>
}

export interface Scope {
  kind: DestinationKind
  /** Canonical refusal key: kind + lower-case target. */
  key: string
  /** Created on first use, so 500 repositories do not cost 1500 key pairs up front. */
  families: Map<SecretType, Family>
  variables: Map<string, VariableMeta>
}

/** What a handler needs to answer one request to `.../secrets[/...]` or `.../variables[/...]`. */
export interface AreaRequest {
  scope: Scope
  /** Secret family (ignored by variables). */
  type: SecretType
  /** Path segments after `secrets` / `variables`. */
  rest: string[]
  req: RecordedRequest
  /** URL of the collection, for selected_repositories_url. */
  base: string
  query: URLSearchParams
  /** The token may use this endpoint (permission granted and destination not refused). */
  allowed: boolean
  /** The token may not even read the public key (refuseToken's refusePublicKey). */
  refusePublicKey: boolean
  /** The time of this request, as stored in created_at/updated_at. */
  stamp: string
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const SEALBYTES = 48
const MAX_VALUE = 48 * 1024
const NAME_RULE =
  'names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number and must not start with the GITHUB_ prefix.'

export function ghError(status: number, message: string, documentationUrl = 'https://docs.github.com/rest'): Reply {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } }
}

const invalid = (detail: string, docs: string): Reply => ghError(422, `Invalid request.\n\n${detail}`, docs)

export function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const priv = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url')
  return {
    key_id: `${randomInt(100_000_000, 999_999_999)}${randomInt(100_000_000, 999_999_999)}`,
    key: pub.toString('base64'),
    publicKey: new Uint8Array(pub),
    privateKey: new Uint8Array(priv),
  }
}

export function newScope(kind: DestinationKind, target: string): Scope {
  return { kind, key: `${kind}:${target.toLowerCase()}`, families: new Map(), variables: new Map() }
}

/** The scope's family of that type, created on first use; undefined where it does not exist. */
export function familyOf(scope: Scope, type: SecretType): Family | undefined {
  if (scope.kind === 'environment' && type !== 'actions') return undefined
  let family = scope.families.get(type)
  if (family === undefined) {
    family = { keys: [newKeyPair()], secrets: new Map() }
    scope.families.set(type, family)
  }
  return family
}

export function currentKey(family: Family): KeyPair {
  const pair = family.keys[family.keys.length - 1]
  if (pair === undefined) throw new Error('sandbox: family without key pair')
  return pair
}

function docsFor(area: 'secrets' | 'variables', scope: Scope, type: SecretType): { docs: string; anchor: string } {
  const noun = area === 'secrets' ? 'secret' : 'variable'
  const anchor =
    scope.kind === 'organization'
      ? `get-an-organization-${noun}`
      : scope.kind === 'environment'
        ? `get-an-environment-${noun}`
        : `get-a-repository-${noun}`
  if (area === 'variables') return { docs: 'https://docs.github.com/rest/actions/variables', anchor }
  if (type === 'codespaces') {
    const page = scope.kind === 'organization' ? 'organization-secrets' : 'repository-secrets'
    return { docs: `https://docs.github.com/rest/codespaces/${page}`, anchor }
  }
  return { docs: `https://docs.github.com/rest/${type}/secrets`, anchor }
}

function bodyObject(req: RecordedRequest): Record<string, unknown> | undefined {
  if (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json)) return undefined
  return req.json as Record<string, unknown>
}

function pageOf<T>(items: T[], query: URLSearchParams, defaultPerPage: number, maxPerPage: number): T[] {
  const perRaw = Number(query.get('per_page'))
  const perPage = Number.isInteger(perRaw) && perRaw > 0 ? Math.min(perRaw, maxPerPage) : defaultPerPage
  const pageRaw = Number(query.get('page'))
  const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1
  return items.slice((page - 1) * perPage, page * perPage)
}

/** GitHub's JSON for a stored secret or variable (never the ciphertext). */
function itemJson(scope: Scope, item: Stored & { value?: string }, base: string): unknown {
  const out: Record<string, unknown> = { name: item.name }
  if (item.value !== undefined) out.value = item.value
  out.created_at = item.created_at
  out.updated_at = item.updated_at
  if (scope.kind === 'organization') {
    out.visibility = item.visibility
    if (item.visibility === 'selected') out.selected_repositories_url = `${base}/${item.name}/repositories`
  }
  return out
}

/** Organization visibility from a body (other kinds: none); `required` when creating. */
function readVisibility(
  scope: Scope,
  body: Record<string, unknown>,
  required: boolean,
  docs: string,
): Reply | { visibility?: Visibility; selected?: number[] } {
  if (scope.kind !== 'organization') return {}
  const v = body.visibility
  if (v === undefined && !required) return {}
  if (v !== 'all' && v !== 'private' && v !== 'selected')
    return invalid('"visibility" must be one of: all, private, selected.', docs)
  const ids = body.selected_repository_ids
  if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => Number.isInteger(id))))
    return invalid('"selected_repository_ids" must be an array of integers.', docs)
  return { visibility: v, selected: ids === undefined ? undefined : [...(ids as number[])] }
}

/** The parts secrets and variables share: list GET, item GET and DELETE. Undefined: not handled here. */
function common<T extends Stored>(
  a: AreaRequest,
  items: Map<string, T>,
  listKey: string,
  perPage: [number, number],
  docs: string,
): Reply | undefined {
  const notFound = ghError(404, 'Not Found', docs)
  if (a.rest.length === 0) {
    if (a.req.method !== 'GET') return undefined
    const all = [...items.values()].sort((x, y) => x.name.localeCompare(y.name))
    const page = pageOf(all, a.query, perPage[0], perPage[1]).map((item) => itemJson(a.scope, item, a.base))
    return { status: 200, body: { total_count: all.length, [listKey]: page } }
  }
  const key = (a.rest[0] ?? '').toUpperCase()
  const existing = items.get(key)
  if (a.req.method === 'GET')
    return existing === undefined ? notFound : { status: 200, body: itemJson(a.scope, existing, a.base) }
  if (a.req.method === 'DELETE') {
    if (existing === undefined) return notFound
    items.delete(key)
    return { status: 204 }
  }
  return undefined
}

export function secretsArea(a: AreaRequest): Reply {
  const family = familyOf(a.scope, a.type)
  const { docs, anchor } = docsFor('secrets', a.scope, a.type)
  const notFound = ghError(404, 'Not Found', docs)
  const forbidden = ghError(403, 'Resource not accessible by personal access token', `${docs}#${anchor}`)
  if (family === undefined) return notFound
  if (a.rest.length === 1 && a.rest[0] === 'public-key') {
    if (a.req.method !== 'GET') return notFound
    if (a.refusePublicKey) return forbidden
    const pair = currentKey(family)
    return { status: 200, body: { key_id: pair.key_id, key: pair.key } }
  }
  if (a.rest.length > 1) return notFound
  if (!a.allowed) return forbidden
  const shared = common(a, family.secrets, 'secrets', [30, 100], docs)
  if (shared !== undefined) return shared
  if (a.rest.length === 0 || a.req.method !== 'PUT') return notFound

  const rawName = a.rest[0] ?? ''
  if (!NAME_RE.test(rawName) || /^GITHUB_/i.test(rawName)) return invalid(`Secret ${NAME_RULE}`, docs)
  const body = bodyObject(a.req)
  if (body === undefined) return ghError(400, 'Problems parsing JSON', docs)
  if (typeof body.key_id !== 'string' || body.key_id === '') return invalid('"key_id" wasn\'t supplied.', docs)
  if (body.key_id !== currentKey(family).key_id)
    return invalid(`key_id '${body.key_id}' does not match the current public key.`, docs)
  const encrypted = body.encrypted_value
  if (typeof encrypted !== 'string' || encrypted === '') return invalid('"encrypted_value" wasn\'t supplied.', docs)
  if (!BASE64_RE.test(encrypted)) return invalid('encrypted_value is not valid base64.', docs)
  const size = Buffer.from(encrypted, 'base64').length
  if (size < SEALBYTES) return invalid('encrypted_value is too short to be a sealed box.', docs)
  if (size - SEALBYTES > MAX_VALUE) return invalid('Secret value is too large (maximum 48 KB).', docs)
  const vis = readVisibility(a.scope, body, true, docs)
  if ('status' in vis) return vis

  const key = rawName.toUpperCase()
  const existing = family.secrets.get(key)
  const next = { encrypted_value: encrypted, key_id: body.key_id, updated_at: a.stamp }
  if (existing === undefined) {
    family.secrets.set(key, {
      name: key,
      ...next,
      visibility: vis.visibility,
      selected_repository_ids: vis.selected,
      created_at: a.stamp,
      createCount: 1,
      updateCount: 0,
    })
    return { status: 201, body: {} }
  }
  Object.assign(existing, next)
  existing.updateCount += 1
  if (a.scope.kind === 'organization') {
    existing.visibility = vis.visibility
    existing.selected_repository_ids = vis.selected
  }
  return { status: 204 }
}

export function variablesArea(a: AreaRequest): Reply {
  const { docs, anchor } = docsFor('variables', a.scope, 'actions')
  const notFound = ghError(404, 'Not Found', docs)
  if (a.rest.length > 1) return notFound
  if (!a.allowed) return ghError(403, 'Resource not accessible by personal access token', `${docs}#${anchor}`)
  const items = a.scope.variables
  const shared = common(a, items, 'variables', [10, 30], docs)
  if (shared !== undefined) return shared
  const creating = a.rest.length === 0
  if (a.req.method !== (creating ? 'POST' : 'PATCH')) return notFound
  const oldKey = (a.rest[0] ?? '').toUpperCase()
  const existing = items.get(oldKey)
  if (!creating && existing === undefined) return notFound
  const body = bodyObject(a.req)
  if (body === undefined) return ghError(400, 'Problems parsing JSON', docs)

  const badName = invalid(`Variable ${NAME_RULE}`, docs)
  const validName = (name: unknown): name is string =>
    typeof name === 'string' && NAME_RE.test(name) && !/^GITHUB_/i.test(name)
  if (creating ? !validName(body.name) : body.name !== undefined && !validName(body.name)) return badName
  if (creating && (typeof body.value !== 'string' || body.value === ''))
    return invalid('"value" wasn\'t supplied.', docs)
  if (!creating && body.value !== undefined && (typeof body.value !== 'string' || body.value === ''))
    return invalid('"value" must be a non-empty string.', docs)
  if (typeof body.value === 'string' && body.value.length > MAX_VALUE)
    return invalid('Variable value is too large (maximum 48 KB).', docs)
  const vis = readVisibility(a.scope, body, creating, docs)
  if ('status' in vis) return vis
  const newKey = typeof body.name === 'string' ? body.name.toUpperCase() : oldKey
  if (newKey !== oldKey && items.has(newKey)) return ghError(409, 'Already exists - Variable already exists', docs)

  if (existing === undefined) {
    items.set(newKey, {
      name: newKey,
      value: body.value as string,
      visibility: vis.visibility,
      selected_repository_ids: vis.selected,
      created_at: a.stamp,
      updated_at: a.stamp,
      createCount: 1,
      updateCount: 0,
    })
    return { status: 201, body: {} }
  }
  if (typeof body.value === 'string') existing.value = body.value
  if (vis.visibility !== undefined) {
    existing.visibility = vis.visibility
    existing.selected_repository_ids = vis.selected
  }
  existing.updated_at = a.stamp
  existing.updateCount += 1
  if (newKey !== oldKey) {
    items.delete(oldKey)
    existing.name = newKey
    items.set(newKey, existing)
  }
  return { status: 204 }
}
