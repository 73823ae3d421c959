import type { Destination, StorePlan } from '../inputs.ts'
import { NetworkError } from '../http.ts'
import { sealedBox } from './sealed-box.ts'

/** Sends one REST route, written as in GitHub's docs (`GET /repos/{owner}/{repo}`), with its parameters. */
export interface GitHubRequester {
  request(route: string, params?: Record<string, unknown>): Promise<{ status: number; data: unknown }>
}

/** Reads may run wider than writes: they cannot trip the secondary rate limit for content changes. */
export const readConcurrency = 20

export interface WrittenEntry {
  kind: Destination['kind']
  target: string
  name: string
  result: 'created' | 'updated'
}

/** A destination that passed preflight, with what the write will need. */
export interface PreparedDestination {
  destination: Destination
  target: string
  exists: boolean
  /** For secrets: the destination's public key, fetched once and reused for the write. */
  publicKey?: { keyId: string; key: string }
  /** For organization destinations with visibility `selected`. */
  selectedRepositoryIds?: number[]
}

export class PreflightError extends Error {
  constructor(failures: { target: string; reason: string }[]) {
    const list = failures.map((f) => `${f.target}: ${f.reason}`).join('; ')
    super(
      `GitHub preflight failed for ${failures.length} destination${failures.length === 1 ? '' : 's'}, so nothing was changed in SuprSend: ${list}`,
    )
    this.name = 'PreflightError'
  }
}

export function targetOf(destination: Destination): string {
  switch (destination.kind) {
    case 'repository':
      return `${destination.owner}/${destination.repo}`
    case 'environment':
      return `${destination.owner}/${destination.repo}/${destination.environment}`
    case 'organization':
      return destination.org
  }
}

/** The permission a token needs, in the words of each token kind. */
export function permissionNeeded(destination: Destination, type: StorePlan['type']): string {
  const noun = type === 'secret' ? 'Secrets' : 'Variables'
  switch (destination.kind) {
    case 'repository':
      return `repository permission '${noun}: Read and write' (fine-grained PAT or GitHub App) or the 'repo' scope (classic PAT)`
    case 'environment':
      // GitHub asks for both on environment secrets and variables.
      return `repository permissions '${noun}: Read and write' and 'Environments: Read and write' (fine-grained PAT or GitHub App) or the 'repo' scope (classic PAT)`
    case 'organization':
      return `organization permission '${noun}: Read and write' (fine-grained PAT or GitHub App) or the 'admin:org' scope (classic PAT)`
  }
}

function basePath(
  destination: Destination,
  type: StorePlan['type'],
): { route: string; params: Record<string, string> } {
  const collection = type === 'secret' ? 'secrets' : 'variables'
  switch (destination.kind) {
    case 'repository':
      return {
        route: `/repos/{owner}/{repo}/actions/${collection}`,
        params: { owner: destination.owner, repo: destination.repo },
      }
    case 'environment':
      return {
        // Each {param} is URL-encoded, so an environment name with spaces or slashes stays one path segment.
        route: `/repos/{owner}/{repo}/environments/{environment_name}/${collection}`,
        params: { owner: destination.owner, repo: destination.repo, environment_name: destination.environment },
      }
    case 'organization':
      return { route: `/orgs/{org}/actions/${collection}`, params: { org: destination.org } }
  }
}

/** GitHub answered with an error status; `message` is GitHub's own `message` field. */
export class GitHubRequestError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'GitHubRequestError'
    this.status = status
  }
}

/** A failure whose message already says what was being done and why it failed. */
class ExplainedError extends Error {}

interface GitHubFailure {
  /** 0 when no HTTP answer came (a network error) or the answer was unusable. */
  status: number
  message: string
}

function failureOf(error: unknown): GitHubFailure {
  if (error instanceof GitHubRequestError) return { status: error.status, message: error.message }
  if (error instanceof NetworkError) return { status: 0, message: error.message }
  return { status: 0, message: error instanceof Error ? error.message : 'an unexpected error' }
}

function explain(failure: GitHubFailure, destination: Destination, type: StorePlan['type'], doing: string): string {
  const said = `GitHub answered ${failure.status} "${failure.message}"`
  switch (failure.status) {
    case 0:
      return `${doing} failed: ${failure.message}`
    case 401:
      return `${said} while ${doing}: input 'github-token' was rejected (expired or revoked?)`
    case 403:
      if (/rate limit/i.test(failure.message)) {
        return `${said} while ${doing}: GitHub's rate limit still held after retries; run again later or lower 'write-concurrency'`
      }
      return `${said} while ${doing}: the token lacks the ${permissionNeeded(destination, type)}`
    case 404:
      return `${said} while ${doing}: the ${destination.kind === 'environment' ? 'repository or environment' : destination.kind} does not exist or the token cannot see it (it needs the ${permissionNeeded(destination, type)})`
    default:
      return `${said} while ${doing}`
  }
}

/** Runs `work` over `items` with at most `limit` in flight, keeping order in the results. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** One destination's preflight or write: its result, or why it failed. */
type Attempt<T> = { ok: true; value: T } | { ok: false; target: string; reason: string }

async function prepareOne(
  github: GitHubRequester,
  store: StorePlan,
  destination: Destination,
): Promise<Attempt<PreparedDestination>> {
  const target = targetOf(destination)
  const { route, params } = basePath(destination, store.type)
  const prepared: PreparedDestination = { destination, target, exists: false }
  const doing = `checking ${store.type} ${store.name} in ${target}`
  try {
    const lookups: Promise<unknown>[] = [
      github
        .request(`GET ${route}/{name}`, { ...params, name: store.name })
        .then(() => {
          prepared.exists = true
        })
        .catch((error: unknown) => {
          // 404 is the answer for a secret that does not exist yet; it still proves access.
          if (failureOf(error).status !== 404) throw error
        }),
    ]
    if (store.type === 'secret') {
      lookups.push(
        github.request(`GET ${route}/public-key`, params).then(({ data }) => {
          const { key_id: keyId, key } = data as { key_id?: unknown; key?: unknown }
          if (typeof keyId !== 'string' || typeof key !== 'string')
            throw new ExplainedError(`GitHub returned no public key for ${target}`)
          // A trial seal now, so an unusable key stops the run before anything changes in SuprSend.
          try {
            sealedBox(key, '')
          } catch (error) {
            throw new ExplainedError(`GitHub's public key for ${target} cannot be used: ${(error as Error).message}`)
          }
          prepared.publicKey = { keyId, key }
        }),
      )
    } else {
      // A 404 on the variable itself only says it does not exist yet; listing the collection
      // proves that the repository, environment or organization exists and the token can see it.
      lookups.push(github.request(`GET ${route}?per_page=1`, params))
    }
    if (destination.kind === 'organization' && destination.visibility === 'selected') {
      lookups.push(
        mapBounded(destination.selectedRepositories, readConcurrency, async (fullName) => {
          const [owner, repo] = fullName.split('/')
          // Its own words: a shared `doing` would also relabel the secret check running alongside.
          const { data } = await github
            .request('GET /repos/{owner}/{repo}', { owner, repo })
            .catch((error: unknown) => {
              const failure = failureOf(error)
              const looking = `looking up repository ${fullName}`
              throw new ExplainedError(
                failure.status === 404
                  ? `GitHub answered 404 "${failure.message}" while ${looking}: it does not exist or the token cannot see it`
                  : explain(failure, destination, store.type, looking),
              )
            })
          const id = (data as { id?: unknown }).id
          if (typeof id !== 'number') throw new ExplainedError(`GitHub returned no id for repository ${fullName}`)
          return id
        }).then((ids) => {
          prepared.selectedRepositoryIds = ids
        }),
      )
    }
    await Promise.all(lookups)
    return { ok: true, value: prepared }
  } catch (error) {
    const reason =
      error instanceof ExplainedError ? error.message : explain(failureOf(error), destination, store.type, doing)
    return { ok: false, target, reason }
  }
}

/**
 * Proves, before anything changes in SuprSend, that every destination can
 * be written: each public key is fetched and the token's access to the
 * secret or variable is checked. Throws one PreflightError naming every
 * destination that failed.
 */
export async function preflight(github: GitHubRequester, store: StorePlan): Promise<PreparedDestination[]> {
  const outcomes = await mapBounded(store.destinations, readConcurrency, (d) => prepareOne(github, store, d))
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [{ target: o.target, reason: o.reason }]))
  if (failures.length > 0) throw new PreflightError(failures)
  return outcomes.map((o) => (o as { ok: true; value: PreparedDestination }).value)
}

async function writeOne(
  github: GitHubRequester,
  store: StorePlan,
  prepared: PreparedDestination,
  value: string,
): Promise<WrittenEntry> {
  const { destination } = prepared
  const { route, params } = basePath(destination, store.type)
  const org =
    destination.kind === 'organization'
      ? {
          visibility: destination.visibility,
          ...(destination.visibility === 'selected' ? { selected_repository_ids: prepared.selectedRepositoryIds } : {}),
        }
      : {}
  let status: number
  if (store.type === 'secret') {
    const publicKey = prepared.publicKey as { keyId: string; key: string }
    const encrypted = sealedBox(publicKey.key, value)
    ;({ status } = await github.request(`PUT ${route}/{name}`, {
      ...params,
      name: store.name,
      encrypted_value: encrypted,
      key_id: publicKey.keyId,
      ...org,
    }))
  } else if (prepared.exists) {
    ;({ status } = await github.request(`PATCH ${route}/{name}`, { ...params, name: store.name, value, ...org }))
  } else {
    try {
      ;({ status } = await github.request(`POST ${route}`, { ...params, name: store.name, value, ...org }))
    } catch (error) {
      // Created since preflight (or by a retried POST): update it instead.
      if (failureOf(error).status !== 409) throw error
      ;({ status } = await github.request(`PATCH ${route}/{name}`, { ...params, name: store.name, value, ...org }))
      prepared.exists = true
    }
  }
  // 201 and 204 say it; any other success falls back to what the preflight saw.
  const created = store.type === 'secret' && (status === 201 || status === 204) ? status === 201 : !prepared.exists
  return { kind: destination.kind, target: prepared.target, name: store.name, result: created ? 'created' : 'updated' }
}

export interface WriteReport {
  written: WrittenEntry[]
  failed: { target: string; reason: string }[]
}

/** Writes the value to every prepared destination, at most `writeConcurrency` at a time. Never throws. */
export async function writeAll(
  github: GitHubRequester,
  store: StorePlan,
  prepared: PreparedDestination[],
  value: string,
): Promise<WriteReport> {
  const outcomes = await mapBounded(prepared, store.writeConcurrency, async (p): Promise<Attempt<WrittenEntry>> => {
    try {
      return { ok: true, value: await writeOne(github, store, p, value) }
    } catch (error) {
      return {
        ok: false,
        target: p.target,
        reason: explain(failureOf(error), p.destination, store.type, `writing ${store.type} ${store.name}`),
      }
    }
  })
  return {
    written: outcomes.flatMap((o) => (o.ok ? [o.value] : [])),
    failed: outcomes.flatMap((o) => (o.ok ? [] : [{ target: o.target, reason: o.reason }])),
  }
}
