// GitHub's REST rate limits as its "Rate limits for the REST API" page states them, per token:
// a primary hourly budget and the secondary limits (concurrency, points a minute, content-generating
// requests a minute and an hour). Also the fault helpers that inject a refusal on purpose.
//
// Decisions where GitHub does not pin its behaviour down:
// - Only requests with a known token are limited and get x-ratelimit-* headers (GitHub's per-IP
//   limit for unauthenticated requests is not modelled; 401 answers carry no such headers).
// - Checks, in order: primary budget, concurrency, points, content per minute, content per hour;
//   the first exceeded one refuses. A limit's check looks at what came before this request.
// - Refused requests count (default; countRefused: false turns it off): a refused request still
//   spends one primary request, its points, its content slot and a concurrency slot while it is
//   answered. So a client that keeps sending while limited stays limited.
// - Primary: a fixed window that starts at the token's first request and lasts an hour
//   (x-ratelimit-reset is its end, epoch seconds); x-ratelimit-used counts every request in it and
//   may exceed the limit; remaining = max(0, limit - used). GET /rate_limit spends no primary budget
//   but is subject to the secondary limits.
// - Secondary: sliding windows (the trailing 60 s / 3600 s). GET/HEAD/OPTIONS cost 1 point and are
//   not content-generating; every other method costs 5 and is content-generating.
// - Refusals: primary -> 403 "API rate limit exceeded for user ID <n>. ..." with x-ratelimit-remaining
//   0 and no retry-after; secondary -> 403 SECONDARY_RATE_LIMIT_MESSAGE with retry-after: 60.
//   User IDs are 1, 2, ... in the order tokens are first seen by the limiter.
import type { Fault, Reply } from './http.ts'

export interface RateLimits {
  /** Requests an hour per token (primary). Default 5000. */
  primaryPerHour?: number
  /** Requests in flight at once per token. Default 100. */
  concurrent?: number
  /** Points in any trailing 60 s. Default 900. */
  pointsPerMinute?: number
  /** Content-generating requests in any trailing 60 s. Default 80. */
  contentPerMinute?: number
  /** Content-generating requests in any trailing hour. Default 500. */
  contentPerHour?: number
  /** Whether refused requests count toward the limits. Default true. */
  countRefused?: boolean
}

export type RefusalReason = 'primary' | 'concurrent' | 'points' | 'contentPerMinute' | 'contentPerHour'

export type RefusalCounts = Record<RefusalReason, number> & { total: number }

export interface RateLimitStatus {
  limit: number
  remaining: number
  used: number
  /** End of the current primary window, epoch seconds. */
  reset: number
}

export interface Limiter {
  /** Charge one request; `exempt` spends no primary budget (GET /rate_limit). */
  admit(
    token: string,
    method: string,
    exempt: boolean,
  ): { refused?: RefusalReason; reply?: Reply; headers: Record<string, string>; done: () => void }
  status(token: string): RateLimitStatus
  setRemaining(token: string, remaining: number, resetInSeconds?: number): void
  refusals(token?: string): RefusalCounts
  reset(): void
}

const DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
const HOUR = 3_600_000
const MINUTE = 60_000

export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
  'If you reach out to GitHub Support for help, please include the request ID 0000:0000:000000:000000:00000000.'

const secondaryBody = (status: number): unknown => ({
  message: SECONDARY_RATE_LIMIT_MESSAGE,
  documentation_url: `${DOCS}#about-secondary-rate-limits`,
  status: String(status),
})

/** Sum of weights added in the trailing `spanMs`; old entries are dropped as time passes. */
function slidingWindow(spanMs: number): { total(now: number): number; add(now: number, weight: number): void } {
  let times: number[] = []
  let weights: number[] = []
  let head = 0
  let sum = 0
  return {
    total(now) {
      while (head < times.length && (times[head] as number) <= now - spanMs) {
        sum -= weights[head] as number
        head += 1
      }
      // Compact now and then so memory follows the window, not the whole history.
      if (head > 256 && head * 2 > times.length) {
        times = times.slice(head)
        weights = weights.slice(head)
        head = 0
      }
      return sum
    },
    add(now, weight) {
      times.push(now)
      weights.push(weight)
      sum += weight
    },
  }
}

interface TokenState {
  userId: number
  windowStart: number
  used: number
  inFlight: number
  points: ReturnType<typeof slidingWindow>
  contentMinute: ReturnType<typeof slidingWindow>
  contentHour: ReturnType<typeof slidingWindow>
  refusals: RefusalCounts
}

const noRefusals = (): RefusalCounts => ({
  primary: 0,
  concurrent: 0,
  points: 0,
  contentPerMinute: 0,
  contentPerHour: 0,
  total: 0,
})

export function createLimiter(limits: RateLimits = {}, now: () => number = Date.now): Limiter {
  const primaryPerHour = limits.primaryPerHour ?? 5000
  const concurrent = limits.concurrent ?? 100
  const pointsPerMinute = limits.pointsPerMinute ?? 900
  const contentPerMinute = limits.contentPerMinute ?? 80
  const contentPerHour = limits.contentPerHour ?? 500
  const countRefused = limits.countRefused ?? true
  let states = new Map<string, TokenState>()
  let totals = noRefusals()
  let nextUserId = 1

  const stateOf = (token: string, at: number): TokenState => {
    let state = states.get(token)
    if (state === undefined) {
      state = {
        userId: nextUserId++,
        windowStart: at,
        used: 0,
        inFlight: 0,
        points: slidingWindow(MINUTE),
        contentMinute: slidingWindow(MINUTE),
        contentHour: slidingWindow(HOUR),
        refusals: noRefusals(),
      }
      states.set(token, state)
    }
    if (at >= state.windowStart + HOUR) {
      state.windowStart = at
      state.used = 0
    }
    return state
  }

  const statusOf = (state: TokenState): RateLimitStatus => ({
    limit: primaryPerHour,
    remaining: Math.max(0, primaryPerHour - state.used),
    used: state.used,
    reset: Math.ceil((state.windowStart + HOUR) / 1000),
  })

  const headersOf = (state: TokenState): Record<string, string> => {
    const s = statusOf(state)
    return {
      'x-ratelimit-limit': String(s.limit),
      'x-ratelimit-remaining': String(s.remaining),
      'x-ratelimit-used': String(s.used),
      'x-ratelimit-reset': String(s.reset),
      'x-ratelimit-resource': 'core',
    }
  }

  return {
    admit(token, method, exempt) {
      const at = now()
      const state = stateOf(token, at)
      const light = method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
      const cost = light ? 1 : 5
      let refused: RefusalReason | undefined
      if (!exempt && state.used >= primaryPerHour) refused = 'primary'
      else if (state.inFlight >= concurrent) refused = 'concurrent'
      else if (state.points.total(at) + cost > pointsPerMinute) refused = 'points'
      else if (!light && state.contentMinute.total(at) >= contentPerMinute) refused = 'contentPerMinute'
      else if (!light && state.contentHour.total(at) >= contentPerHour) refused = 'contentPerHour'
      let done = (): void => {}
      if (refused === undefined || countRefused) {
        if (!exempt) state.used += 1
        state.points.add(at, cost)
        if (!light) {
          state.contentMinute.add(at, 1)
          state.contentHour.add(at, 1)
        }
        state.inFlight += 1
        let open = true
        done = () => {
          if (open) state.inFlight -= 1
          open = false
        }
      }
      const headers = headersOf(state)
      if (refused === undefined) return { headers, done }
      state.refusals[refused] += 1
      state.refusals.total += 1
      totals[refused] += 1
      totals.total += 1
      if (refused === 'primary') {
        const reply: Reply = {
          status: 403,
          body: {
            message:
              `API rate limit exceeded for user ID ${state.userId}. If you reach out to GitHub Support for help, ` +
              'please include the request ID 0000:0000:000000:000000:00000000 and timestamp 2026-01-01 00:00:00 UTC.',
            documentation_url: `${DOCS}#about-primary-rate-limits`,
            status: '403',
          },
        }
        return { refused, reply, headers, done }
      }
      return {
        refused,
        reply: { status: 403, headers: { 'retry-after': '60' }, body: secondaryBody(403) },
        headers,
        done,
      }
    },
    status(token) {
      return statusOf(stateOf(token, now()))
    },
    setRemaining(token, remaining, resetInSeconds) {
      const at = now()
      const state = stateOf(token, at)
      state.used = Math.max(0, primaryPerHour - remaining)
      if (resetInSeconds !== undefined) state.windowStart = at + resetInSeconds * 1000 - HOUR
    },
    refusals(token) {
      const counts = token === undefined ? totals : states.get(token)?.refusals
      return { ...(counts ?? noRefusals()) }
    },
    reset() {
      states = new Map()
      totals = noRefusals()
      nextUserId = 1
    },
  }
}

type Match = Pick<Fault, 'method' | 'path' | 'when' | 'times'>

/** Injects a 403 secondary rate limit with `retry-after` (seconds, default 1), whatever the limiter says. */
export function secondaryRateLimit(match: Match & { retryAfter?: number } = {}): Fault {
  const { retryAfter, ...rest } = match
  return { ...rest, status: 403, retryAfter: retryAfter ?? 1, body: secondaryBody(403) }
}

/** Injects a primary rate limit (403 or 429) with x-ratelimit-remaining: 0 and x-ratelimit-reset in `resetInSeconds` (default 1). */
export function primaryRateLimit(match: Match & { status?: 403 | 429; resetInSeconds?: number } = {}): Fault {
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
      documentation_url: `${DOCS}#about-primary-rate-limits`,
      status: String(code),
    },
  }
}
