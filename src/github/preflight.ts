import { targetOf, type Destination, type StorePlan } from '../inputs/store.ts'
import type { Failed } from '../step.ts'
import { ExplainedError, PreflightError, statusOf, type Explain } from './failures.ts'
import type { Budget, Octokit } from './octokit.ts'
import { collectionRoute } from './routes.ts'
import { sealedBox } from './sealed-box.ts'

/** A destination that passed the preflight, with what its write will need. */
export interface Prepared {
  destination: Destination
  target: string
  exists: boolean
  /** For secrets: the destination's public key, fetched once and reused for the write. */
  publicKey?: { keyId: string; key: string }
  /** For an organization destination with visibility `selected`. */
  selectedRepositoryIds?: number[]
}

/** GitHub answered 3xx: the action follows no redirect, so the token stays with the API the runner names. */
export function expectSuccess(response: { status: number; headers: Record<string, unknown> }, doing: string) {
  if (response.status >= 200 && response.status < 300) return
  throw new ExplainedError(
    `GitHub answered ${response.status} while ${doing}, a redirect, which the action does not follow; check GITHUB_API_URL and the destination's name`,
  )
}

export async function fetchPublicKey(octokit: Octokit, route: string, params: Record<string, string>, target: string) {
  const response = await octokit.request(`GET ${route}/public-key`, params)
  expectSuccess(response, `reading the public key of ${target}`)
  const { key_id: keyId, key } = (response.data ?? {}) as { key_id?: unknown; key?: unknown }
  if (typeof keyId !== 'string' || typeof key !== 'string')
    throw new ExplainedError(`GitHub returned no public key for ${target}`)
  try {
    // A trial seal now, so an unusable key stops the run before anything changes in SuprSend.
    sealedBox(key, '')
  } catch (error) {
    throw new ExplainedError(`GitHub's public key for ${target} cannot be used: ${(error as Error).message}`)
  }
  return { keyId, key }
}

async function repositoryIds(octokit: Octokit, names: string[], explain: (error: unknown, doing: string) => string) {
  return Promise.all(
    names.map(async (fullName) => {
      const [owner = '', repo = ''] = fullName.split('/')
      const doing = `looking up repository ${fullName}`
      const response = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo }).catch((error: unknown) => {
        throw new ExplainedError(explain(error, doing))
      })
      expectSuccess(response, doing)
      const id = (response.data as { id?: unknown }).id
      if (typeof id !== 'number') throw new ExplainedError(`GitHub returned no id for repository ${fullName}`)
      return id
    }),
  )
}

/** Proves what GitHub lets a preflight prove: the destination exists, the token can read it, its key seals. */
async function prepare(
  octokit: Octokit,
  store: StorePlan,
  destination: Destination,
  explain: Explain,
): Promise<Prepared> {
  const target = targetOf(destination)
  const { route, params } = collectionRoute(destination, store)
  const prepared: Prepared = { destination, target, exists: false }
  const checks: Promise<unknown>[] = [
    octokit.request(`GET ${route}/{name}`, { ...params, name: store.name }).then(
      (response) => {
        expectSuccess(response, `checking ${store.kind} ${store.name} in ${target}`)
        prepared.exists = true
      },
      // 404 is the answer for a secret that does not exist yet; it still proves access.
      (error: unknown) => {
        if (statusOf(error) !== 404) throw error
      },
    ),
    store.kind === 'secret'
      ? fetchPublicKey(octokit, route, params, target).then((key) => (prepared.publicKey = key))
      : // A missing variable is a 404 too; listing the collection proves the repository, environment or org exists.
        octokit.request(`GET ${route}?per_page=1`, params),
  ]
  if (destination.kind === 'organization' && destination.visibility === 'selected') {
    const explainLookup = (error: unknown, doing: string) =>
      statusOf(error) === 404
        ? `GitHub answered 404 while ${doing}: it does not exist or the token cannot see it`
        : explain(error, destination, store, doing)
    checks.push(
      repositoryIds(octokit, destination.selectedRepositories, explainLookup).then((ids) => {
        prepared.selectedRepositoryIds = ids
      }),
    )
  }
  await Promise.all(checks)
  return prepared
}

/**
 * Checks every destination before anything changes in SuprSend, then that
 * the writes fit in the token's primary budget. Throws one PreflightError
 * that names every destination that failed.
 */
export async function preflight(octokit: Octokit, store: StorePlan, explain: Explain): Promise<Prepared[]> {
  const failures: Failed[] = []
  const prepared = await Promise.all(
    store.destinations.map((destination) =>
      prepare(octokit, store, destination, explain).catch((error: unknown) => {
        const reason = explain(
          error,
          destination,
          store,
          `checking ${store.kind} ${store.name} in ${targetOf(destination)}`,
        )
        failures.push({ kind: destination.kind, target: targetOf(destination), name: store.name, reason })
        return undefined
      }),
    ),
  )
  if (failures.length > 0) {
    throw new PreflightError(
      `GitHub preflight failed for ${failures.length} of ${store.destinations.length} destination${store.destinations.length === 1 ? '' : 's'}`,
      failures,
    )
  }
  return prepared as Prepared[]
}

/** Why the writes do not fit in the token's primary budget, and what to do; undefined when they fit. (Over 500 destinations is an input error.) */
export function budgetProblem(budget: Budget | undefined, writes: number, noun: string): PreflightError | undefined {
  if (!budget || writes <= budget.remaining) return undefined
  const reset = new Date(budget.resetAt).toISOString().replace('.000Z', 'Z')
  return new PreflightError(
    `GitHub's rate limit leaves this token ${budget.remaining} of its ${budget.limit} requests until ${reset}, but storing the key needs ${writes} writes`,
    [],
    `run again after ${reset}, store the key once in an organization ${noun}, or split the destinations across runs`,
  )
}
