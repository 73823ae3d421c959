// Local stand-in for the GitHub REST endpoints the action uses: repository lookup, Actions secrets
// (repository, environment, organization) and Actions variables, as GitHub's REST API
// documentation describes them.
//
// Decisions where GitHub's behaviour is not pinned down by the facts:
// - Auth first: no Authorization header -> 401 "Requires authentication"; an unknown token (or a
//   header that is not `token X` / `Bearer X`) -> 401 "Bad credentials". Then routing: unknown
//   repository/environment/organization or path -> 404 "Not Found" (no trailing-slash tolerance).
// - refuseToken(token, destination) refuses that exact destination only (refusing a repository does
//   not refuse its environments). Refused: every secrets and variables request to it -> 403
//   "Resource not accessible by personal access token", EXCEPT the secrets public-key GET, which
//   stays readable (read access is enough for it on GitHub) unless { refusePublicKey: true }.
// - PUT secret checks, in order: name valid (422), JSON object body (400 "Problems parsing JSON"),
//   key_id equals the destination's CURRENT key id (422), encrypted_value is standard base64 of at
//   least 48 bytes (a sealed box's overhead) and at most 48 KB + 48 (422), for organizations
//   visibility in all|private|selected (422) and selected_repository_ids an integer array if given
//   (422). The ciphertext itself is stored as sent; readSecret() is what proves it opens.
// - Variables: POST 201 with body {} (409 if the name exists), PATCH 204 (404 if absent; a `name`
//   in the body renames), value must be a non-empty string (422). Names as for secrets, stored
//   upper-case, matched case-insensitively.
// - Also served: GET /repos/{o}/{r}/environments/{env}, GET /orgs/{org}, secret/variable lists
//   (page/per_page), DELETE of secrets/variables, and the older environment-secret path
//   /repositories/{repository_id}/environments/{env}/secrets/... Dependabot secrets are not served.
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import sodium from 'libsodium-wrappers'
import { startCore, segments } from './http.ts'
import type { Fault, FaultHandle, RecordedRequest, Reply } from './http.ts'

export type { Fault, FaultHandle, RecordedRequest } from './http.ts'

export type DestinationKind = 'repository' | 'environment' | 'organization'

/** target: 'owner/repo' | 'owner/repo/<environment name>' | 'org'. */
export interface Destination {
  kind: DestinationKind
  target: string
}

export interface SecretsPublicKey {
  key_id: string
  /** base64 of the 32-byte Curve25519 public key. */
  key: string
}

export type Visibility = 'all' | 'private' | 'selected'

export interface SecretMeta {
  name: string
  key_id: string
  encrypted_value: string
  visibility?: Visibility
  selected_repository_ids?: number[]
  created_at: string
  updated_at: string
  /** How many PUTs created it (201) and updated it (204). */
  createCount: number
  updateCount: number
}

export interface VariableMeta {
  name: string
  value: string
  visibility?: Visibility
  selected_repository_ids?: number[]
  created_at: string
  updated_at: string
  createCount: number
  updateCount: number
}

export interface GitHubOptions {
  latencyMs?: number
  /** Tokens with full access from the start (same as allowToken). */
  tokens?: string[]
  /** Serve under a path prefix, like GHES's '/api/v3'; `url` then includes it. */
  pathPrefix?: string
}

export interface RefuseOptions {
  /** Also refuse the secrets public-key GET (default false: read access is enough for it). */
  refusePublicKey?: boolean
}

export interface GitHubSandbox {
  /** Base URL for GITHUB_API_URL (http://127.0.0.1:PORT[prefix], no trailing slash). */
  readonly url: string
  readonly requests: RecordedRequest[]
  latencyMs: number
  addRepository(
    fullName: string,
    options?: { id?: number; environments?: string[]; private?: boolean },
  ): { id: number; full_name: string }
  addEnvironment(repository: string, environment: string): void
  addOrganization(login: string, options?: { id?: number }): { id: number; login: string }
  allowToken(token: string): void
  refuseToken(token: string, destination: Destination, options?: RefuseOptions): void
  publicKey(kind: DestinationKind, target: string): SecretsPublicKey
  /** New key pair for the destination; secrets sealed for the old key still open with readSecret. */
  rotatePublicKey(kind: DestinationKind, target: string): SecretsPublicKey
  /** Opens the stored sealed box with the destination's private key (libsodium). Throws if absent or unopenable. */
  readSecret(kind: DestinationKind, target: string, name: string): Promise<string>
  secretMeta(kind: DestinationKind, target: string, name: string): SecretMeta | undefined
  secretNames(kind: DestinationKind, target: string): string[]
  seedSecret(
    kind: DestinationKind,
    target: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selected_repository_ids?: number[] },
  ): Promise<void>
  readVariable(kind: DestinationKind, target: string, name: string): string | undefined
  variableMeta(kind: DestinationKind, target: string, name: string): VariableMeta | undefined
  seedVariable(
    kind: DestinationKind,
    target: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selected_repository_ids?: number[] },
  ): void
  inject(fault: Fault): FaultHandle
  /** Clear faults and the request log (not destinations, tokens or stored values). */
  reset(): void
  close(): Promise<void>
}

interface KeyPair {
  key_id: string
  key: string
  publicKey: Uint8Array
  privateKey: Uint8Array
}

interface StoredSecret {
  name: string
  encrypted_value: string
  key_id: string
  visibility?: Visibility
  selected_repository_ids?: number[]
  created_at: string
  updated_at: string
  createCount: number
  updateCount: number
}

interface StoredVariable {
  name: string
  value: string
  visibility?: Visibility
  selected_repository_ids?: number[]
  created_at: string
  updated_at: string
  createCount: number
  updateCount: number
}

interface Scope {
  kind: DestinationKind
  /** Canonical refusal key: kind + lower-case target. */
  key: string
  keys: KeyPair[]
  secrets: Map<string, StoredSecret>
  variables: Map<string, StoredVariable>
}

interface Environment {
  id: number
  name: string
  created_at: string
  scope: Scope
}

interface Repository {
  id: number
  owner: string
  name: string
  private: boolean
  scope: Scope
  environments: Map<string, Environment>
}

interface Organization {
  id: number
  login: string
  scope: Scope
}

const DOCS = 'https://docs.github.com/rest'
export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID 0000:0000:000000:000000:00000000.'

/** 403 secondary rate limit with `retry-after` (seconds, default 1). */
export function secondaryRateLimit(
  match: Pick<Fault, 'method' | 'path' | 'when' | 'times'> & { retryAfter?: number } = {},
): Fault {
  const { retryAfter, ...rest } = match
  return {
    ...rest,
    status: 403,
    retryAfter: retryAfter ?? 1,
    body: {
      message: SECONDARY_RATE_LIMIT_MESSAGE,
      documentation_url:
        'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403',
    },
  }
}

/** Primary rate limit (403 or 429) with x-ratelimit-remaining: 0 and x-ratelimit-reset in `resetInSeconds` (default 1). */
export function primaryRateLimit(
  match: Pick<Fault, 'method' | 'path' | 'when' | 'times'> & { status?: 403 | 429; resetInSeconds?: number } = {},
): Fault {
  const { status, resetInSeconds, ...rest } = match
  const code = status ?? 403
  return {
    ...rest,
    status: code,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + (resetInSeconds ?? 1)),
      'x-ratelimit-resource': 'core',
    },
    body: {
      message: 'API rate limit exceeded for user ID 1000001.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
      status: String(code),
    },
  }
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const SEALBYTES = 48
const MAX_VALUE = 48 * 1024

function validName(name: string): boolean {
  return NAME_RE.test(name) && !/^GITHUB_/i.test(name)
}

function ghError(status: number, message: string, documentationUrl = DOCS): Reply {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function newKeyPair(): KeyPair {
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

function newScope(kind: DestinationKind, target: string): Scope {
  return {
    kind,
    key: `${kind}:${target.toLowerCase()}`,
    keys: [newKeyPair()],
    secrets: new Map(),
    variables: new Map(),
  }
}

function current(scope: Scope): KeyPair {
  const pair = scope.keys[scope.keys.length - 1]
  if (pair === undefined) throw new Error('sandbox: scope without key pair')
  return pair
}

function pageOf<T>(items: T[], query: URLSearchParams, defaultPerPage: number, maxPerPage: number): T[] {
  const perRaw = Number(query.get('per_page'))
  const perPage = Number.isInteger(perRaw) && perRaw > 0 ? Math.min(perRaw, maxPerPage) : defaultPerPage
  const pageRaw = Number(query.get('page'))
  const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1
  return items.slice((page - 1) * perPage, page * perPage)
}

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v))
}

export async function startGitHub(options: GitHubOptions = {}): Promise<GitHubSandbox> {
  await sodium.ready
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '')
  const tokens = new Set<string>(options.tokens ?? [])
  const refusals = new Map<string, Map<string, RefuseOptions>>()
  const repos = new Map<string, Repository>()
  const orgs = new Map<string, Organization>()
  let nextId = 700_000_001
  let remaining = 5000
  /** Base URL including the path prefix; set once the server listens. */
  let root = ''

  const findRepo = (fullName: string): Repository | undefined => repos.get(fullName.toLowerCase())

  const scopeOf = (kind: DestinationKind, target: string): Scope => {
    if (kind === 'organization') {
      const org = orgs.get(target.toLowerCase())
      if (org === undefined) throw new Error(`sandbox: organization '${target}' was not added`)
      return org.scope
    }
    const [owner = '', name = '', ...envParts] = target.split('/')
    const repo = findRepo(`${owner}/${name}`)
    if (repo === undefined) throw new Error(`sandbox: repository '${owner}/${name}' was not added`)
    if (kind === 'repository') {
      if (envParts.length > 0) throw new Error(`sandbox: repository target must be 'owner/repo', got '${target}'`)
      return repo.scope
    }
    const env = repo.environments.get(envParts.join('/').toLowerCase())
    if (env === undefined) throw new Error(`sandbox: environment '${target}' was not added`)
    return env.scope
  }

  const refusedFor = (token: string, scope: Scope): RefuseOptions | undefined => refusals.get(token)?.get(scope.key)

  const repoJson = (repo: Repository): unknown => ({
    id: repo.id,
    node_id: `R_${Buffer.from(String(repo.id)).toString('base64')}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    owner: {
      login: repo.owner,
      id: orgs.get(repo.owner.toLowerCase())?.id ?? 1000001,
      type: orgs.has(repo.owner.toLowerCase()) ? 'Organization' : 'User',
    },
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    url: `${root}/repos/${repo.owner}/${repo.name}`,
    default_branch: 'main',
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  })

  const secretJson = (scope: Scope, secret: StoredSecret, base: string): unknown => {
    const out: Record<string, unknown> = {
      name: secret.name,
      created_at: secret.created_at,
      updated_at: secret.updated_at,
    }
    if (scope.kind === 'organization') {
      out.visibility = secret.visibility
      if (secret.visibility === 'selected') out.selected_repositories_url = `${base}/${secret.name}/repositories`
    }
    return out
  }

  const variableJson = (scope: Scope, variable: StoredVariable, base: string): unknown => {
    const out: Record<string, unknown> = {
      name: variable.name,
      value: variable.value,
      created_at: variable.created_at,
      updated_at: variable.updated_at,
    }
    if (scope.kind === 'organization') {
      out.visibility = variable.visibility
      if (variable.visibility === 'selected') out.selected_repositories_url = `${base}/${variable.name}/repositories`
    }
    return out
  }

  const bodyObject = (req: RecordedRequest): Record<string, unknown> | undefined => {
    if (typeof req.json !== 'object' || req.json === null || Array.isArray(req.json)) return undefined
    return req.json as Record<string, unknown>
  }

  const secrets = (
    scope: Scope,
    rest: string[],
    req: RecordedRequest,
    token: string,
    base: string,
    query: URLSearchParams,
  ): Reply => {
    const docs = 'https://docs.github.com/rest/actions/secrets'
    const refused = refusedFor(token, scope)
    const forbidden = ghError(
      403,
      'Resource not accessible by personal access token',
      `${docs}#get-a-repository-secret`,
    )
    if (rest.length === 1 && rest[0] === 'public-key') {
      if (req.method !== 'GET') return ghError(404, 'Not Found', docs)
      if (refused?.refusePublicKey === true) return forbidden
      const pair = current(scope)
      return { status: 200, body: { key_id: pair.key_id, key: pair.key } }
    }
    if (rest.length > 1) return ghError(404, 'Not Found', docs)
    if (refused !== undefined) return forbidden
    if (rest.length === 0) {
      if (req.method !== 'GET') return ghError(404, 'Not Found', docs)
      const all = [...scope.secrets.values()].sort((a, b) => a.name.localeCompare(b.name))
      return {
        status: 200,
        body: { total_count: all.length, secrets: pageOf(all, query, 30, 100).map((s) => secretJson(scope, s, base)) },
      }
    }
    const rawName = rest[0] ?? ''
    const key = rawName.toUpperCase()
    const existing = scope.secrets.get(key)
    if (req.method === 'GET') {
      if (existing === undefined) return ghError(404, 'Not Found', docs)
      return { status: 200, body: secretJson(scope, existing, base) }
    }
    if (req.method === 'DELETE') {
      if (existing === undefined) return ghError(404, 'Not Found', docs)
      scope.secrets.delete(key)
      return { status: 204 }
    }
    if (req.method !== 'PUT') return ghError(404, 'Not Found', docs)
    if (!validName(rawName)) {
      return ghError(
        422,
        'Invalid request.\n\nSecret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number and must not start with the GITHUB_ prefix.',
        docs,
      )
    }
    const body = bodyObject(req)
    if (body === undefined) return ghError(400, 'Problems parsing JSON', docs)
    const pair = current(scope)
    if (typeof body.key_id !== 'string' || body.key_id === '')
      return ghError(422, 'Invalid request.\n\n"key_id" wasn\'t supplied.', docs)
    if (body.key_id !== pair.key_id)
      return ghError(422, `Invalid request.\n\nkey_id '${body.key_id}' does not match the current public key.`, docs)
    const encrypted = body.encrypted_value
    if (typeof encrypted !== 'string' || encrypted === '')
      return ghError(422, 'Invalid request.\n\n"encrypted_value" wasn\'t supplied.', docs)
    if (!BASE64_RE.test(encrypted))
      return ghError(422, 'Invalid request.\n\nencrypted_value is not valid base64.', docs)
    const size = Buffer.from(encrypted, 'base64').length
    if (size < SEALBYTES)
      return ghError(422, 'Invalid request.\n\nencrypted_value is too short to be a sealed box.', docs)
    if (size - SEALBYTES > MAX_VALUE)
      return ghError(422, 'Invalid request.\n\nSecret value is too large (maximum 48 KB).', docs)
    let visibility: Visibility | undefined
    let selected: number[] | undefined
    if (scope.kind === 'organization') {
      if (body.visibility !== 'all' && body.visibility !== 'private' && body.visibility !== 'selected') {
        return ghError(422, 'Invalid request.\n\n"visibility" must be one of: all, private, selected.', docs)
      }
      visibility = body.visibility
      if (body.selected_repository_ids !== undefined) {
        if (!isIntArray(body.selected_repository_ids)) {
          return ghError(422, 'Invalid request.\n\n"selected_repository_ids" must be an array of integers.', docs)
        }
        selected = [...body.selected_repository_ids]
      }
    }
    const stamp = now()
    if (existing === undefined) {
      scope.secrets.set(key, {
        name: key,
        encrypted_value: encrypted,
        key_id: body.key_id,
        visibility,
        selected_repository_ids: selected,
        created_at: stamp,
        updated_at: stamp,
        createCount: 1,
        updateCount: 0,
      })
      return { status: 201, body: {} }
    }
    existing.encrypted_value = encrypted
    existing.key_id = body.key_id
    existing.updated_at = stamp
    existing.updateCount += 1
    if (scope.kind === 'organization') {
      existing.visibility = visibility
      existing.selected_repository_ids = selected
    }
    return { status: 204 }
  }

  const variables = (
    scope: Scope,
    rest: string[],
    req: RecordedRequest,
    token: string,
    base: string,
    query: URLSearchParams,
  ): Reply => {
    const docs = 'https://docs.github.com/rest/actions/variables'
    if (rest.length > 1) return ghError(404, 'Not Found', docs)
    if (refusedFor(token, scope) !== undefined) {
      return ghError(403, 'Resource not accessible by personal access token', `${docs}#get-a-repository-variable`)
    }
    const stamp = now()
    const badName = ghError(
      422,
      'Invalid request.\n\nVariable names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number and must not start with the GITHUB_ prefix.',
      docs,
    )
    const readVisibility = (
      body: Record<string, unknown>,
      required: boolean,
    ): Reply | { visibility?: Visibility; selected?: number[] } => {
      if (scope.kind !== 'organization') return {}
      const v = body.visibility
      if (v === undefined && !required) return {}
      if (v !== 'all' && v !== 'private' && v !== 'selected') {
        return ghError(422, 'Invalid request.\n\n"visibility" must be one of: all, private, selected.', docs)
      }
      if (body.selected_repository_ids !== undefined && !isIntArray(body.selected_repository_ids)) {
        return ghError(422, 'Invalid request.\n\n"selected_repository_ids" must be an array of integers.', docs)
      }
      return {
        visibility: v,
        selected:
          body.selected_repository_ids === undefined ? undefined : [...(body.selected_repository_ids as number[])],
      }
    }
    if (rest.length === 0) {
      if (req.method === 'GET') {
        const all = [...scope.variables.values()].sort((a, b) => a.name.localeCompare(b.name))
        return {
          status: 200,
          body: {
            total_count: all.length,
            variables: pageOf(all, query, 10, 30).map((v) => variableJson(scope, v, base)),
          },
        }
      }
      if (req.method !== 'POST') return ghError(404, 'Not Found', docs)
      const body = bodyObject(req)
      if (body === undefined) return ghError(400, 'Problems parsing JSON', docs)
      if (typeof body.name !== 'string' || !validName(body.name)) return badName
      if (typeof body.value !== 'string' || body.value === '')
        return ghError(422, 'Invalid request.\n\n"value" wasn\'t supplied.', docs)
      if (body.value.length > MAX_VALUE)
        return ghError(422, 'Invalid request.\n\nVariable value is too large (maximum 48 KB).', docs)
      const vis = readVisibility(body, true)
      if ('status' in vis) return vis
      const key = body.name.toUpperCase()
      if (scope.variables.has(key)) return ghError(409, 'Already exists - Variable already exists', docs)
      scope.variables.set(key, {
        name: key,
        value: body.value,
        visibility: vis.visibility,
        selected_repository_ids: vis.selected,
        created_at: stamp,
        updated_at: stamp,
        createCount: 1,
        updateCount: 0,
      })
      return { status: 201, body: {} }
    }
    const key = (rest[0] ?? '').toUpperCase()
    const existing = scope.variables.get(key)
    if (req.method === 'GET') {
      if (existing === undefined) return ghError(404, 'Not Found', docs)
      return { status: 200, body: variableJson(scope, existing, base) }
    }
    if (req.method === 'DELETE') {
      if (existing === undefined) return ghError(404, 'Not Found', docs)
      scope.variables.delete(key)
      return { status: 204 }
    }
    if (req.method !== 'PATCH') return ghError(404, 'Not Found', docs)
    if (existing === undefined) return ghError(404, 'Not Found', docs)
    const body = bodyObject(req)
    if (body === undefined) return ghError(400, 'Problems parsing JSON', docs)
    if (body.value !== undefined && (typeof body.value !== 'string' || body.value === '')) {
      return ghError(422, 'Invalid request.\n\n"value" must be a non-empty string.', docs)
    }
    if (typeof body.value === 'string' && body.value.length > MAX_VALUE) {
      return ghError(422, 'Invalid request.\n\nVariable value is too large (maximum 48 KB).', docs)
    }
    let newKey = key
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || !validName(body.name)) return badName
      newKey = body.name.toUpperCase()
      if (newKey !== key && scope.variables.has(newKey))
        return ghError(409, 'Already exists - Variable already exists', docs)
    }
    const vis = readVisibility(body, false)
    if ('status' in vis) return vis
    if (typeof body.value === 'string') existing.value = body.value
    if (vis.visibility !== undefined) {
      existing.visibility = vis.visibility
      existing.selected_repository_ids = vis.selected
    }
    existing.updated_at = stamp
    existing.updateCount += 1
    if (newKey !== key) {
      scope.variables.delete(key)
      existing.name = newKey
      scope.variables.set(newKey, existing)
    }
    return { status: 204 }
  }

  const handle = (req: RecordedRequest): Reply => {
    const url = new URL(req.path, 'http://sandbox')
    let pathname = url.pathname
    if (prefix !== '') {
      if (!pathname.startsWith(`${prefix}/`)) return ghError(404, 'Not Found')
      pathname = pathname.slice(prefix.length)
    }
    const auth = req.headers.authorization
    if (auth === undefined || auth.trim() === '') return ghError(401, 'Requires authentication')
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(auth)
    const token = match?.[1]
    if (token === undefined || !tokens.has(token)) return ghError(401, 'Bad credentials')

    const p = segments(pathname)
    if (p === undefined || p.some((s) => s === '')) return ghError(404, 'Not Found')
    const notFound = ghError(404, 'Not Found')
    let scope: Scope | undefined
    let area: string | undefined
    let rest: string[] = []
    let base = ''

    const envArea = (repo: Repository, envName: string, after: string[], apiBase: string): Reply | undefined => {
      const env = repo.environments.get(envName.toLowerCase())
      if (env === undefined) return notFound
      if (after.length === 0) {
        if (req.method !== 'GET') return notFound
        return {
          status: 200,
          body: {
            id: env.id,
            node_id: `EN_${Buffer.from(String(env.id)).toString('base64')}`,
            name: env.name,
            url: `${apiBase}`,
            html_url: `https://github.com/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encodeURIComponent(env.name)}`,
            created_at: env.created_at,
            updated_at: env.created_at,
            protection_rules: [],
            deployment_branch_policy: null,
          },
        }
      }
      scope = env.scope
      area = after[0]
      rest = after.slice(1)
      base = `${apiBase}/${area}`
      return undefined
    }

    if (p[0] === 'repos' && p.length >= 3) {
      const repo = findRepo(`${p[1]}/${p[2]}`)
      if (repo === undefined) return notFound
      const repoBase = `${root}/repos/${repo.owner}/${repo.name}`
      if (p.length === 3) return req.method === 'GET' ? { status: 200, body: repoJson(repo) } : notFound
      if (p[3] === 'actions' && p.length >= 5) {
        scope = repo.scope
        area = p[4]
        rest = p.slice(5)
        base = `${repoBase}/actions/${area}`
      } else if (p[3] === 'environments' && p.length >= 5) {
        const early = envArea(
          repo,
          p[4] ?? '',
          p.slice(5),
          `${repoBase}/environments/${encodeURIComponent(p[4] ?? '')}`,
        )
        if (early !== undefined) return early
      } else {
        return notFound
      }
    } else if (p[0] === 'repositories' && p.length >= 5 && p[2] === 'environments') {
      const repo = [...repos.values()].find((r) => String(r.id) === p[1])
      if (repo === undefined) return notFound
      const early = envArea(
        repo,
        p[3] ?? '',
        p.slice(4),
        `${root}/repositories/${repo.id}/environments/${encodeURIComponent(p[3] ?? '')}`,
      )
      if (early !== undefined) return early
    } else if (p[0] === 'orgs' && p.length >= 2) {
      const org = orgs.get((p[1] ?? '').toLowerCase())
      if (org === undefined) return notFound
      if (p.length === 2) {
        return req.method === 'GET'
          ? { status: 200, body: { login: org.login, id: org.id, url: `${root}/orgs/${org.login}` } }
          : notFound
      }
      if (p[2] !== 'actions' || p.length < 4) return notFound
      scope = org.scope
      area = p[3]
      rest = p.slice(4)
      base = `${root}/orgs/${org.login}/actions/${area}`
    }
    if (scope === undefined) return notFound
    if (area === 'secrets') return secrets(scope, rest, req, token, base, url.searchParams)
    if (area === 'variables') return variables(scope, rest, req, token, base, url.searchParams)
    return notFound
  }

  const core = await startCore({
    latencyMs: options.latencyMs,
    handle,
    errorBody: (status) => ({
      message: STATUS_CODES[status] ?? 'Error',
      documentation_url: DOCS,
      status: String(status),
    }),
    commonHeaders: () => {
      remaining = remaining > 0 ? remaining - 1 : 5000
      return {
        'x-github-request-id': `${randomBytes(2).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}:${randomBytes(4).toString('hex').toUpperCase()}`,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-used': String(5000 - remaining),
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        'x-github-api-version-selected': '2022-11-28',
      }
    },
  })
  root = `${core.url}${prefix}`

  const addEnvironment = (repository: string, environment: string): void => {
    const repo = findRepo(repository)
    if (repo === undefined) throw new Error(`sandbox: repository '${repository}' was not added`)
    if (environment === '') throw new Error('sandbox: empty environment name')
    if (!repo.environments.has(environment.toLowerCase())) {
      repo.environments.set(environment.toLowerCase(), {
        id: nextId++,
        name: environment,
        created_at: now(),
        scope: newScope('environment', `${repo.owner}/${repo.name}/${environment}`),
      })
    }
  }

  const meta = <T extends StoredSecret | StoredVariable>(item: T | undefined): T | undefined =>
    item === undefined ? undefined : structuredClone(item)

  return {
    url: root,
    requests: core.requests,
    get latencyMs() {
      return core.latencyMs
    },
    set latencyMs(ms: number) {
      core.latencyMs = ms
    },
    addRepository(fullName, opts = {}) {
      const [owner = '', name = '', ...extra] = fullName.split('/')
      if (owner === '' || name === '' || extra.length > 0)
        throw new Error(`sandbox: repository must be 'owner/repo', got '${fullName}'`)
      let repo = findRepo(fullName)
      if (repo === undefined) {
        repo = {
          id: opts.id ?? nextId++,
          owner,
          name,
          private: opts.private ?? true,
          scope: newScope('repository', fullName),
          environments: new Map(),
        }
        repos.set(fullName.toLowerCase(), repo)
      }
      for (const env of opts.environments ?? []) addEnvironment(fullName, env)
      return { id: repo.id, full_name: `${repo.owner}/${repo.name}` }
    },
    addEnvironment,
    addOrganization(login, opts = {}) {
      let org = orgs.get(login.toLowerCase())
      if (org === undefined) {
        org = { id: opts.id ?? nextId++, login, scope: newScope('organization', login) }
        orgs.set(login.toLowerCase(), org)
      }
      return { id: org.id, login: org.login }
    },
    allowToken(token) {
      tokens.add(token)
    },
    refuseToken(token, destination, opts = {}) {
      const scope = scopeOf(destination.kind, destination.target)
      tokens.add(token)
      let byScope = refusals.get(token)
      if (byScope === undefined) {
        byScope = new Map()
        refusals.set(token, byScope)
      }
      byScope.set(scope.key, { ...opts })
    },
    publicKey(kind, target) {
      const pair = current(scopeOf(kind, target))
      return { key_id: pair.key_id, key: pair.key }
    },
    rotatePublicKey(kind, target) {
      const scope = scopeOf(kind, target)
      scope.keys.push(newKeyPair())
      const pair = current(scope)
      return { key_id: pair.key_id, key: pair.key }
    },
    async readSecret(kind, target, name) {
      await sodium.ready
      const scope = scopeOf(kind, target)
      const secret = scope.secrets.get(name.toUpperCase())
      if (secret === undefined) throw new Error(`sandbox: no secret '${name}' in ${kind} '${target}'`)
      const pair = scope.keys.find((k) => k.key_id === secret.key_id)
      if (pair === undefined)
        throw new Error(`sandbox: secret '${name}' was stored with unknown key_id '${secret.key_id}'`)
      const opened = sodium.crypto_box_seal_open(
        new Uint8Array(Buffer.from(secret.encrypted_value, 'base64')),
        pair.publicKey,
        pair.privateKey,
      )
      return Buffer.from(opened).toString('utf8')
    },
    secretMeta(kind, target, name) {
      return meta(scopeOf(kind, target).secrets.get(name.toUpperCase()))
    },
    secretNames(kind, target) {
      return [...scopeOf(kind, target).secrets.keys()].sort()
    },
    async seedSecret(kind, target, name, value, opts = {}) {
      await sodium.ready
      const scope = scopeOf(kind, target)
      const pair = current(scope)
      const stamp = now()
      const sealed = sodium.crypto_box_seal(sodium.from_string(value), pair.publicKey)
      scope.secrets.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        encrypted_value: Buffer.from(sealed).toString('base64'),
        key_id: pair.key_id,
        visibility: kind === 'organization' ? (opts.visibility ?? 'private') : undefined,
        selected_repository_ids: opts.selected_repository_ids,
        created_at: stamp,
        updated_at: stamp,
        createCount: 0,
        updateCount: 0,
      })
    },
    readVariable(kind, target, name) {
      return scopeOf(kind, target).variables.get(name.toUpperCase())?.value
    },
    variableMeta(kind, target, name) {
      return meta(scopeOf(kind, target).variables.get(name.toUpperCase()))
    },
    seedVariable(kind, target, name, value, opts = {}) {
      const stamp = now()
      scopeOf(kind, target).variables.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        value,
        visibility: kind === 'organization' ? (opts.visibility ?? 'private') : undefined,
        selected_repository_ids: opts.selected_repository_ids,
        created_at: stamp,
        updated_at: stamp,
        createCount: 0,
        updateCount: 0,
      })
    },
    inject: core.inject,
    reset: core.reset,
    close: core.close,
  }
}
