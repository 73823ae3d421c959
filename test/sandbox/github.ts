// Local stand-in for the GitHub REST endpoints the action uses: repository lookup, Actions,
// Dependabot and Codespaces secrets (repository and organization; Actions also per environment),
// Actions variables, and GET /rate_limit, as GitHub's REST API documentation describes them, with
// GitHub's documented rate limits (rate-limits.ts) on by default.
//
// Decisions where GitHub's behaviour is not pinned down by the facts:
// - Auth first: no Authorization header -> 401 "Requires authentication"; an unknown token (or a
//   header that is not `token X` / `Bearer X`) -> 401 "Bad credentials". Then the rate limiter (known
//   tokens only), then routing: unknown repository/environment/organization or path -> 404
//   "Not Found" (no trailing-slash tolerance). Injected faults apply after the limiter, so a request
//   a fault answers still counts toward the limits, and a refused request uses up no fault.
// - Permissions (addToken): `secrets` covers Actions secrets of repositories and organizations,
//   `variables` Actions variables, `dependabotSecrets`/`codespacesSecrets` those families, and an
//   environment's secrets/variables need `environments` as well as `secrets`/`variables` (GitHub asks
//   fine-grained tokens for both). All default to granted. A missing permission, or refuseToken()
//   for that exact destination (refusing a repository does not refuse its environments), answers
//   every matching request 403 {"message":"Resource not accessible by personal access token",
//   "documentation_url":..., "status":"403"}, EXCEPT the `.../secrets/public-key` GETs, which read
//   access allows (refuseToken's { refusePublicKey: true } refuses those too). GET of a repository,
//   environment or organization needs no permission.
// - Secret families: each repository and organization has one key pair per family (Actions,
//   Dependabot, Codespaces), made on first use; environments exist only for Actions, so Dependabot
//   or Codespaces paths under an environment are 404 and the public API throws for them.
// - PUT secret checks, in order: name valid (422), JSON object body (400 "Problems parsing JSON"),
//   key_id present (422) and equal to the destination family's CURRENT key id, else 422
//   {"message":"Invalid request.\n\nkey_id '<sent key_id>' does not match the current public key.",
//   "documentation_url":"<family docs>","status":"422"} (also for an older key of that family),
//   encrypted_value standard base64 of at least 48 bytes (a sealed box's overhead) and at most
//   48 KB + 48 (422), for organizations visibility in all|private|selected (422) and
//   selected_repository_ids an integer array if given (422). 201 {} when created, 204 when updated.
//   The ciphertext is stored as sent; readSecret() is what proves it opens.
// - Variables: POST 201 with body {} (409 if the name exists), PATCH 204 (404 if absent; a `name`
//   in the body renames), value must be a non-empty string (422). Names as for secrets, stored
//   upper-case, matched case-insensitively.
// - Also served: GET /repos/{o}/{r}/environments/{env}, GET /orgs/{org}, secret/variable lists
//   (page/per_page), DELETE of secrets/variables, and the older environment-secret path
//   /repositories/{repository_id}/environments/{env}/secrets/...
import { randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import sodium from 'libsodium-wrappers'
import { segments, startCore } from './http.ts'
import type { Admission, RecordedRequest, Reply } from './http.ts'
import { createLimiter } from './rate-limits.ts'
import { currentKey, familyOf, ghError, newKeyPair, newScope, secretsArea, variablesArea } from './github-store.ts'
import type { DestinationKind, Family, Scope, SecretsPublicKey, SecretType, Visibility } from './github-store.ts'
import type { GitHubOptions, GitHubSandbox, RefuseOptions, SecretOptions, TokenPermissions } from './github-types.ts'

export type { Fault, FaultHandle, RecordedRequest } from './http.ts'
export type { DestinationKind, SecretMeta, SecretsPublicKey, SecretType } from './github-store.ts'
export type { VariableMeta, Visibility } from './github-store.ts'
export type { RateLimits, RateLimitStatus, RefusalCounts, RefusalReason } from './rate-limits.ts'
export { primaryRateLimit, secondaryRateLimit, SECONDARY_RATE_LIMIT_MESSAGE } from './rate-limits.ts'

export type { Destination, GitHubOptions, GitHubSandbox } from './github-types.ts'
export type { RefuseOptions, SecretOptions, TokenPermissions } from './github-types.ts'

interface Repository {
  id: number
  owner: string
  name: string
  private: boolean
  scope: Scope
  environments: Map<string, { id: number; name: string; created_at: string; scope: Scope }>
}

interface Organization {
  id: number
  login: string
  scope: Scope
}

const SECRET_FAMILIES: ReadonlySet<string> = new Set(['dependabot', 'codespaces'])

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

export async function startGitHub(options: GitHubOptions = {}): Promise<GitHubSandbox> {
  await sodium.ready
  const clock = options.now ?? Date.now
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '')
  const permissions = new Map<string, Required<TokenPermissions>>()
  const refusals = new Map<string, Map<string, RefuseOptions>>()
  const repos = new Map<string, Repository>()
  const reposById = new Map<string, Repository>()
  const orgs = new Map<string, Organization>()
  const limiter = createLimiter(options.limits, clock)
  let nextId = 700_000_001
  /** Base URL including the path prefix; set once the server listens. */
  let root = ''

  const addToken = (token: string, granted: TokenPermissions = {}): void => {
    permissions.set(token, {
      secrets: granted.secrets ?? true,
      variables: granted.variables ?? true,
      dependabotSecrets: granted.dependabotSecrets ?? true,
      codespacesSecrets: granted.codespacesSecrets ?? true,
      environments: granted.environments ?? true,
    })
  }
  for (const token of options.tokens ?? []) addToken(token)

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

  const familyFor = (kind: DestinationKind, target: string, opts: SecretOptions | undefined): Family => {
    const type = opts?.type ?? 'actions'
    const family = familyOf(scopeOf(kind, target), type)
    if (family === undefined) throw new Error(`sandbox: ${kind} '${target}' has no ${type} secrets`)
    return family
  }

  const tokenOf = (req: RecordedRequest): string | undefined => {
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    const token = match?.[1]
    return token !== undefined && permissions.has(token) ? token : undefined
  }

  /** Path below the prefix, or undefined when it is outside it. */
  const pathnameOf = (req: RecordedRequest): string | undefined => {
    const pathname = new URL(req.path, 'http://sandbox').pathname
    if (prefix === '') return pathname
    return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : undefined
  }

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

  const admit = (req: RecordedRequest): Admission => {
    const id = () => randomBytes(4).toString('hex').toUpperCase()
    const headers: Record<string, string> = {
      'x-github-request-id': `${id().slice(0, 4)}:${id().slice(0, 6)}:${id()}`,
      'x-github-api-version-selected': '2022-11-28',
    }
    const token = tokenOf(req)
    if (token === undefined) return { headers }
    const exempt = req.method === 'GET' && pathnameOf(req) === '/rate_limit'
    const verdict = limiter.admit(token, req.method, exempt)
    Object.assign(headers, verdict.headers)
    const refuse =
      verdict.refused === undefined ? undefined : { reason: verdict.refused, reply: verdict.reply as Reply }
    return { headers, refuse, done: verdict.done }
  }

  const handle = (req: RecordedRequest): Reply => {
    const url = new URL(req.path, 'http://sandbox')
    const pathname = pathnameOf(req)
    if (pathname === undefined) return ghError(404, 'Not Found')
    const auth = req.headers.authorization
    if (auth === undefined || auth.trim() === '') return ghError(401, 'Requires authentication')
    const token = tokenOf(req)
    if (token === undefined) return ghError(401, 'Bad credentials')
    const granted = permissions.get(token) as Required<TokenPermissions>

    const p = segments(pathname)
    const notFound = ghError(404, 'Not Found')
    if (p === undefined || p.some((s) => s === '')) return notFound
    if (p.length === 1 && p[0] === 'rate_limit') {
      if (req.method !== 'GET') return notFound
      const core = { ...limiter.status(token), resource: 'core' }
      return { status: 200, body: { resources: { core }, rate: core } }
    }

    // Resolve the destination scope and the `{family}/{area}/...` part of the path.
    let scope: Scope | undefined
    let tail: string[] = []
    let base = ''
    if (p[0] === 'repos' && p.length >= 3) {
      const repo = findRepo(`${p[1]}/${p[2]}`)
      if (repo === undefined) return notFound
      const repoBase = `${root}/repos/${repo.owner}/${repo.name}`
      if (p.length === 3) return req.method === 'GET' ? { status: 200, body: repoJson(repo) } : notFound
      if (p[3] === 'environments')
        return environmentRequest(req, token, granted, repo, p.slice(4), `${repoBase}/environments`, url)
      scope = repo.scope
      tail = p.slice(3)
      base = repoBase
    } else if (p[0] === 'repositories' && p.length >= 4 && p[2] === 'environments') {
      const repo = reposById.get(p[1] ?? '')
      if (repo === undefined) return notFound
      const envsBase = `${root}/repositories/${repo.id}/environments`
      return environmentRequest(req, token, granted, repo, p.slice(3), envsBase, url)
    } else if (p[0] === 'orgs' && p.length >= 2) {
      const org = orgs.get((p[1] ?? '').toLowerCase())
      if (org === undefined) return notFound
      if (p.length === 2) {
        if (req.method !== 'GET') return notFound
        return { status: 200, body: { login: org.login, id: org.id, url: `${root}/orgs/${org.login}` } }
      }
      scope = org.scope
      tail = p.slice(2)
      base = `${root}/orgs/${org.login}`
    }
    if (scope === undefined || tail.length < 2) return notFound
    const [family = '', area = ''] = tail
    if (family === 'actions' && (area === 'secrets' || area === 'variables'))
      return areaRequest(req, token, granted, scope, 'actions', area, tail.slice(2), `${base}/actions/${area}`, url)
    if (SECRET_FAMILIES.has(family) && area === 'secrets')
      return areaRequest(
        req,
        token,
        granted,
        scope,
        family as SecretType,
        area,
        tail.slice(2),
        `${base}/${family}/${area}`,
        url,
      )
    return notFound
  }

  const areaRequest = (
    req: RecordedRequest,
    token: string,
    granted: Required<TokenPermissions>,
    scope: Scope,
    type: SecretType,
    area: 'secrets' | 'variables',
    rest: string[],
    base: string,
    url: URL,
  ): Reply => {
    const refused = refusals.get(token)?.get(scope.key)
    const permission =
      area === 'variables'
        ? granted.variables
        : type === 'actions'
          ? granted.secrets
          : type === 'dependabot'
            ? granted.dependabotSecrets
            : granted.codespacesSecrets
    const allowed = permission && (scope.kind !== 'environment' || granted.environments) && refused === undefined
    const request = {
      scope,
      type,
      rest,
      req,
      base,
      query: url.searchParams,
      allowed,
      refusePublicKey: refused?.refusePublicKey === true,
      stamp: iso(clock()),
    }
    return area === 'secrets' ? secretsArea(request) : variablesArea(request)
  }

  /** GET of an environment, or its secrets/variables (Actions only). */
  const environmentRequest = (
    req: RecordedRequest,
    token: string,
    granted: Required<TokenPermissions>,
    repo: Repository,
    after: string[],
    envsBase: string,
    url: URL,
  ): Reply => {
    const notFound = ghError(404, 'Not Found')
    const env = repo.environments.get((after[0] ?? '').toLowerCase())
    if (env === undefined) return notFound
    const envBase = `${envsBase}/${encodeURIComponent(env.name)}`
    if (after.length === 1) {
      if (req.method !== 'GET') return notFound
      return {
        status: 200,
        body: {
          id: env.id,
          node_id: `EN_${Buffer.from(String(env.id)).toString('base64')}`,
          name: env.name,
          url: envBase,
          html_url: `https://github.com/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encodeURIComponent(env.name)}`,
          created_at: env.created_at,
          updated_at: env.created_at,
          protection_rules: [],
          deployment_branch_policy: null,
        },
      }
    }
    const area = after[1]
    if (area !== 'secrets' && area !== 'variables') return notFound
    return areaRequest(req, token, granted, env.scope, 'actions', area, after.slice(2), `${envBase}/${area}`, url)
  }

  const core = await startCore({
    latencyMs: options.latencyMs,
    handle,
    admit,
    now: clock,
    errorBody: (status) => ({
      message: STATUS_CODES[status] ?? 'Error',
      documentation_url: 'https://docs.github.com/rest',
      status: String(status),
    }),
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
        created_at: iso(clock()),
        scope: newScope('environment', `${repo.owner}/${repo.name}/${environment}`),
      })
    }
  }

  const keyOf = (pair: SecretsPublicKey): SecretsPublicKey => ({ key_id: pair.key_id, key: pair.key })
  const meta = <T>(item: T | undefined): T | undefined => (item === undefined ? undefined : structuredClone(item))
  const stored = (kind: DestinationKind, visibility: Visibility | undefined) => {
    const stamp = iso(clock())
    return {
      visibility: kind === 'organization' ? (visibility ?? 'private') : undefined,
      created_at: stamp,
      updated_at: stamp,
      createCount: 0,
      updateCount: 0,
    }
  }

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
        reposById.set(String(repo.id), repo)
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
    addToken,
    allowToken(token) {
      addToken(token)
    },
    refuseToken(token, destination, opts = {}) {
      const scope = scopeOf(destination.kind, destination.target)
      if (!permissions.has(token)) addToken(token)
      let byScope = refusals.get(token)
      if (byScope === undefined) {
        byScope = new Map()
        refusals.set(token, byScope)
      }
      byScope.set(scope.key, { ...opts })
    },
    publicKey(kind, target, opts) {
      return keyOf(currentKey(familyFor(kind, target, opts)))
    },
    rotatePublicKey(kind, target, opts) {
      const family = familyFor(kind, target, opts)
      family.keys.push(newKeyPair())
      return keyOf(currentKey(family))
    },
    async readSecret(kind, target, name, opts) {
      const family = familyFor(kind, target, opts)
      const secret = family.secrets.get(name.toUpperCase())
      const type = opts?.type ?? 'actions'
      if (secret === undefined) throw new Error(`sandbox: no ${type} secret '${name}' in ${kind} '${target}'`)
      const pair = family.keys.find((k) => k.key_id === secret.key_id)
      if (pair === undefined)
        throw new Error(`sandbox: secret '${name}' was stored with unknown key_id '${secret.key_id}'`)
      const box = new Uint8Array(Buffer.from(secret.encrypted_value, 'base64'))
      return Buffer.from(sodium.crypto_box_seal_open(box, pair.publicKey, pair.privateKey)).toString('utf8')
    },
    secretMeta(kind, target, name, opts) {
      return meta(familyFor(kind, target, opts).secrets.get(name.toUpperCase()))
    },
    secretNames(kind, target, opts) {
      return [...familyFor(kind, target, opts).secrets.keys()].sort()
    },
    async seedSecret(kind, target, name, value, opts = {}) {
      const family = familyFor(kind, target, opts)
      const pair = currentKey(family)
      const sealed = sodium.crypto_box_seal(sodium.from_string(value), pair.publicKey)
      family.secrets.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        encrypted_value: Buffer.from(sealed).toString('base64'),
        key_id: pair.key_id,
        selected_repository_ids: opts.selected_repository_ids,
        ...stored(kind, opts.visibility),
      })
    },
    readVariable(kind, target, name) {
      return scopeOf(kind, target).variables.get(name.toUpperCase())?.value
    },
    variableMeta(kind, target, name) {
      return meta(scopeOf(kind, target).variables.get(name.toUpperCase()))
    },
    seedVariable(kind, target, name, value, opts = {}) {
      scopeOf(kind, target).variables.set(name.toUpperCase(), {
        name: name.toUpperCase(),
        value,
        selected_repository_ids: opts.selected_repository_ids,
        ...stored(kind, opts.visibility),
      })
    },
    rateLimit: (token) => limiter.status(token),
    setRateLimitRemaining(token, remaining, opts = {}) {
      limiter.setRemaining(token, remaining, opts.resetInSeconds)
    },
    refusals: (token) => limiter.refusals(token),
    inject: core.inject,
    reset() {
      core.reset()
      limiter.reset()
    },
    close: core.close,
  }
}
