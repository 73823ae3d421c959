import { send, type HttpOptions, type HttpResponse } from '../http.ts'
import { GitHubRequestError, type GitHubRequester } from './destinations.ts'

/** GitHub's secondary and primary rate limits can answer 403 instead of 429. */
export function isRateLimited(response: HttpResponse): boolean {
  return (
    response.status === 403 &&
    (response.headers['x-ratelimit-remaining'] === '0' ||
      response.headers['retry-after'] !== undefined ||
      /rate limit/i.test(response.text))
  )
}

export interface GitHubClientOptions {
  token: string
  /** GITHUB_API_URL: GHES and data-residency hosts. */
  baseUrl: string
  http: HttpOptions
}

const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The handful of REST routes the action calls (public keys, secrets,
 * variables, repository ids), sent through the action's own HTTP layer so
 * GitHub and SuprSend share one transport, its proxy settings, timeouts
 * and retry policy. Routes are written as in GitHub's docs
 * (`PUT /repos/{owner}/{repo}/actions/secrets/{name}`); each `{param}` is
 * URL-encoded into the path and the other parameters form the JSON body.
 *
 * Every request here is safe to repeat, so all are retried on 429, 5xx and
 * rate-limit 403s: GETs, secret PUTs, variable PATCHes, and variable POSTs,
 * whose repeat answers 409 and is then turned into a PATCH.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubRequester {
  const base = options.baseUrl.replace(/\/+$/, '')
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${options.token}`,
    'user-agent': 'suprsend-workspace-keys-action',
    'x-github-api-version': '2022-11-28',
  }
  return {
    async request(route, params = {}) {
      const [method = '', template = ''] = route.split(' ')
      if (!methods.has(method)) throw new Error(`Unknown route '${route}'`)
      const body: Record<string, unknown> = { ...params }
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = body[name]
        delete body[name]
        if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`Route '${route}' needs '${name}'`)
        return encodeURIComponent(String(value))
      })
      const hasBody = method !== 'GET' && method !== 'DELETE'
      const response = await send(
        {
          method: method as 'GET',
          url: new URL(base + path),
          headers: hasBody ? { ...headers, 'content-type': 'application/json' } : headers,
          ...(hasBody ? { body: JSON.stringify(body) } : {}),
          idempotent: true,
        },
        // GitHub asks for at least a minute after a secondary rate limit that names no time.
        { ...options.http, isRetryable: isRateLimited, retry: { ...options.http.retry, rateLimitDelayMs: 60_000 } },
      )
      let data: unknown = undefined
      if (response.text !== '') {
        try {
          data = JSON.parse(response.text)
        } catch {
          data = response.text
        }
      }
      if (response.status >= 200 && response.status < 300) return { status: response.status, data }
      const message =
        data !== null && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
          ? (data as { message: string }).message
          : `HTTP ${response.status}`
      throw new GitHubRequestError(response.status, message)
    },
  }
}
