import { Octokit } from '@octokit/core'
import { send, type HttpOptions, type HttpResponse } from '../http.ts'
import type { GitHubRequester } from './destinations.ts'

/** GitHub's secondary and primary rate limits can answer 403 instead of 429. */
export function isRateLimited(response: HttpResponse): boolean {
  return (
    response.status === 403 &&
    (response.headers['x-ratelimit-remaining'] === '0' ||
      response.headers['retry-after'] !== undefined ||
      /rate limit/i.test(response.text))
  )
}

interface FetchInit {
  method?: string
  headers?: Record<string, string>
  body?: string
}

/**
 * A fetch for Octokit that goes through the action's own HTTP layer, so
 * GitHub calls share one undici stack, its proxy settings, timeouts and
 * retry policy with the SuprSend calls. Every GitHub request the action
 * makes is safe to repeat: GETs, secret PUTs, variable PATCHes, and variable
 * POSTs whose repeat answers 409 and is then turned into a PATCH.
 */
function fetchThrough(http: HttpOptions) {
  return async (url: string, init: FetchInit = {}) => {
    const response = await send(
      {
        method: (init.method ?? 'GET').toUpperCase() as 'GET',
        url: new URL(url),
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { body: init.body }),
        idempotent: true,
      },
      { ...http, isRetryable: isRateLimited },
    )
    return {
      status: response.status,
      url,
      headers: new Map(Object.entries(response.headers)),
      text: async () => response.text,
      arrayBuffer: async () => new TextEncoder().encode(response.text).buffer,
    }
  }
}

export interface GitHubClientOptions {
  token: string
  /** GITHUB_API_URL: GHES and data-residency hosts. */
  baseUrl: string
  http: HttpOptions
}

/**
 * Octokit's core (the client @actions/github wraps) without the 1,000-route
 * method table and pagination plugins, which this action never uses and
 * which would add to every rotation's start-up.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubRequester {
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'suprsend-workspace-keys-action',
    request: { fetch: fetchThrough(options.http) },
    // Octokit would otherwise print deprecation notices and debug lines itself.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  })
  return { request: (route, params) => octokit.request(route, params) }
}
