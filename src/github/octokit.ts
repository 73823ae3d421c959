import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { fetch, type Dispatcher } from 'undici'

/**
 * Octokit as GitHub's guidance asks to be used. Its throttling plugin sends
 * writes one at a time, a second apart, and decides on retries after a
 * refusal; its retry plugin repeats failed requests with backoff. Two rules
 * of GitHub's own sit in front of every request, in the fetch it uses:
 * - the secondary limit of 900 points a minute (a read costs 1, a write 5),
 *   kept as a bucket of 250 points refilled at 10 a second, so that no 60 s
 *   window can hold more than 850;
 * - once an answer says a limit is reached, nothing more is sent until it
 *   lifts: a request sent into a known limit only extends the penalty.
 * The primary budget each answer reports is kept for the preflight.
 */

export type Octokit = ReturnType<typeof getOctokit>

/** The token's primary budget as GitHub last reported it. */
export interface Budget {
  limit: number
  remaining: number
  /** Epoch milliseconds. */
  resetAt: number
}

export interface GitHubClient {
  octokit: Octokit
  budget(): Budget | undefined
}

export interface GitHubClientOptions {
  token: string
  baseUrl: URL
  dispatcher: Dispatcher
  timeoutMs: number
  /** Aborted when the run is cancelled before anything has changed. */
  signal?: AbortSignal
  info: (message: string) => void
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS'])
/** GitHub asks for a minute when a secondary limit names no time. */
const untimedSecondaryWaitMs = 60_000
/** A refusal that asks for a longer wait ends the run rather than the wait. */
const longestRetryWaitS = 600

/** What GitHub's answers say about the token's limits: its primary budget, and until when to send nothing. */
export class LimitWatch {
  budget: Budget | undefined
  holdUntil = 0

  async note(response: Response): Promise<void> {
    const header = (name: string) => response.headers.get(name)
    const remaining = Number(header('x-ratelimit-remaining') ?? Number.NaN)
    const resetAt = Number(header('x-ratelimit-reset') ?? Number.NaN) * 1000
    const core = (header('x-ratelimit-resource') ?? 'core') === 'core'
    if (core && Number.isFinite(remaining) && Number.isFinite(resetAt)) {
      const limit = Number(header('x-ratelimit-limit') ?? remaining)
      // Answers arrive out of order: within one window the lowest count is the latest.
      if (!this.budget || resetAt > this.budget.resetAt) this.budget = { limit, remaining, resetAt }
      else if (resetAt === this.budget.resetAt) this.budget.remaining = Math.min(this.budget.remaining, remaining)
      if (remaining === 0) this.#hold(resetAt)
    }
    if (response.status !== 403 && response.status !== 429) return
    const after = Number(header('retry-after') ?? Number.NaN)
    if (Number.isFinite(after)) return this.#hold(Date.now() + after * 1000)
    const body = await response
      .clone()
      .text()
      .catch(() => '')
    if (/secondary rate limit/i.test(body)) this.#hold(Date.now() + untimedSecondaryWaitMs)
  }

  #hold(until: number): void {
    this.holdUntil = Math.max(this.holdUntil, until)
  }
}

/**
 * The points budget as a token bucket. Written here rather than with a
 * Bottleneck limiter: Bottleneck yields to the event loop several times per
 * job, a few milliseconds on every request, and the plugins already use it.
 */
export class PointsBucket {
  #points: number
  #at: number
  readonly #capacity: number
  readonly #perSecond: number
  readonly #clock: Clock

  constructor(capacity = 250, perSecond = 10, clock: Clock = realClock) {
    this.#capacity = capacity
    this.#perSecond = perSecond
    this.#clock = clock
    this.#points = capacity
    this.#at = clock.now()
  }

  /** Waits until `cost` points are in the bucket, then takes them. */
  async take(cost: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#clock.now()
      this.#points = Math.min(this.#capacity, this.#points + ((now - this.#at) / 1000) * this.#perSecond)
      this.#at = now
      if (this.#points >= cost) {
        this.#points -= cost
        return
      }
      await this.#clock.sleep(Math.ceil(((cost - this.#points) / this.#perSecond) * 1000), signal)
    }
  }
}

export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

const realClock: Clock = {
  now: Date.now,
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
}

/** undici's fetch on the run's dispatcher, behind the points bucket and any known limit. */
function pacedFetch(options: GitHubClientOptions, points: PointsBucket, watch: LimitWatch) {
  // Octokit passes an AbortError on without retrying it, which is what a cancelled run needs.
  const cancelled = () => new DOMException('the run was cancelled', 'AbortError')
  return async (url: string | URL, init: RequestInit = {}) => {
    const method = (init.method ?? 'GET').toUpperCase()
    await points.take(readMethods.has(method) ? 1 : 5, options.signal).catch(() => {})
    if (options.signal?.aborted) throw cancelled()
    const wait = watch.holdUntil - Date.now()
    if (wait > 0) await sleep(wait, undefined, options.signal ? { signal: options.signal } : {})
    const signals = [AbortSignal.timeout(options.timeoutMs), init.signal, options.signal]
    try {
      const response = await fetch(url, {
        ...(init as object),
        dispatcher: options.dispatcher,
        signal: AbortSignal.any(signals.filter((s): s is AbortSignal => s instanceof AbortSignal)),
      })
      await watch.note(response as unknown as Response)
      return response
    } catch (error) {
      throw options.signal?.aborted ? cancelled() : error
    }
  }
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const points = new PointsBucket()
  const watch = new LimitWatch()
  const decide =
    (kind: string) => (after: number, request: { method: string; url: string }, _: unknown, count: number) => {
      if (count > 0 || after > longestRetryWaitS) return false
      options.info(`GitHub's ${kind} was reached at ${request.method} ${request.url}; retrying in ${after} s`)
      return true
    }
  const octokit = getOctokit(
    options.token,
    {
      baseUrl: options.baseUrl.href.replace(/\/+$/, ''),
      userAgent: 'suprsend-workspace-keys-action',
      headers: { 'x-github-api-version': '2022-11-28' },
      // Redirects are not followed: the token goes only to the API the runner names.
      request: { fetch: pacedFetch(options, points, watch), redirect: 'manual' },
      log: { debug: () => {}, info: () => {}, warn: options.info, error: options.info },
      // 409 means a variable was created meanwhile: the write turns into an update, not a repeat.
      retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
      throttle: {
        id: randomUUID(),
        onRateLimit: decide('rate limit'),
        onSecondaryRateLimit: decide('secondary rate limit'),
      },
    },
    throttling,
    retry,
  )
  return {
    octokit,
    budget: () => watch.budget && { ...watch.budget },
  }
}
