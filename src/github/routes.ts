import { secretPermission, type Destination, type StorePlan } from '../inputs/store.ts'

/**
 * The REST routes for one destination's secrets or variables, in Octokit's
 * form (`/repos/{owner}/{repo}/actions/secrets`), with their parameters.
 * Octokit encodes each parameter into the path, so an environment name with
 * spaces or slashes stays one path segment.
 */
export function collectionRoute(
  destination: Destination,
  store: Pick<StorePlan, 'kind' | 'secretType'>,
): { route: string; params: Record<string, string> } {
  const collection = store.kind === 'secret' ? 'secrets' : 'variables'
  switch (destination.kind) {
    case 'repository':
      return {
        route: `/repos/{owner}/{repo}/${store.secretType}/${collection}`,
        params: { owner: destination.owner, repo: destination.repo },
      }
    case 'environment':
      return {
        route: `/repos/{owner}/{repo}/environments/{environment_name}/${collection}`,
        params: { owner: destination.owner, repo: destination.repo, environment_name: destination.environment },
      }
    case 'organization':
      return { route: `/orgs/{org}/${store.secretType}/${collection}`, params: { org: destination.org } }
  }
}

/** The permission a token needs for this destination, in the words of each kind of token. */
export function permissionNeeded(destination: Destination, store: Pick<StorePlan, 'kind' | 'secretType'>): string {
  const noun = store.kind === 'secret' ? secretPermission[store.secretType] : 'Variables'
  const tokens = '(fine-grained PAT or GitHub App)'
  switch (destination.kind) {
    case 'repository':
      return `repository permission '${noun}: Read and write' ${tokens} or the 'repo' scope (classic PAT)`
    case 'environment':
      // GitHub asks for both on environment secrets and variables.
      return `repository permissions '${noun}: Read and write' and 'Environments: Read and write' ${tokens} or the 'repo' scope (classic PAT)`
    case 'organization':
      return `organization permission '${noun}: Read and write' ${tokens} or the 'admin:org' scope (classic PAT)`
  }
}
