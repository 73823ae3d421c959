// Everything a run needs to store a key in GitHub, loaded on demand as one chunk: runs that
// store nothing never load Octokit.
import type { StorePlan } from '../inputs/store.ts'
import type { Quote } from '../suprsend/errors.ts'
import { explainer } from './failures.ts'
import { createGitHubClient, type Budget, type GitHubClientOptions, type Octokit } from './octokit.ts'
import { budgetProblem, preflight, type Prepared } from './preflight.ts'
import { writeAll, type Progress, type WriteReport } from './write.ts'

export interface GitHubSession {
  /** Checks every destination and the token's budget; throws a PreflightError naming what failed. */
  preflight(): Promise<{ created: number; updated: number; budget: Budget | undefined }>
  write(value: string, progress?: Progress): Promise<WriteReport>
}

/** GET /rate_limit costs nothing; GitHub Enterprise Server without rate limits answers 404. */
async function readBudget(octokit: Octokit): Promise<Budget | undefined> {
  try {
    const { data } = await octokit.request('GET /rate_limit')
    const core = (data as { resources?: { core?: { limit: number; remaining: number; reset: number } } }).resources
      ?.core
    return core && { limit: core.limit, remaining: core.remaining, resetAt: core.reset * 1000 }
  } catch {
    return undefined
  }
}

export function openGitHub(options: GitHubClientOptions & { store: StorePlan; quote: Quote }): GitHubSession {
  const { store } = options
  const client = createGitHubClient(options)
  const explain = explainer(options.timeoutMs, options.quote)
  let prepared: Prepared[] = []
  return {
    async preflight() {
      prepared = await preflight(client.octokit, store, explain)
      const budget = client.budget() ?? (await readBudget(client.octokit))
      const problem = budgetProblem(budget, prepared.length, store.kind)
      if (problem) throw problem
      const updated = prepared.filter((p) => p.exists).length
      return { created: prepared.length - updated, updated, budget }
    },
    write: (value, progress) => writeAll(client.octokit, store, prepared, value, explain, progress),
  }
}
