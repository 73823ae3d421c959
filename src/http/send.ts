import type { Dispatcher } from 'undici'

/**
 * SuprSend's requests, sent with undici's request API. Our own retry loop,
 * not undici's retry interceptor: the rules that matter here are the
 * domain's. Only idempotent requests are repeated (a second roll would
 * destroy the key the first returned), a DELETE that finds nothing after an
 * attempt that may have gone through is done, and a timeout covers the
 * whole exchange, body included.
 */

export interface Exchange {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  url: URL
  headers: Record<string, string>
  body?: string
  /** Whether sending it twice has the effect of sending it once; only these are retried. */
  idempotent: boolean
}

export interface Answer {
  status: number
  headers: Record<string, string>
  text: string
  /** A 404 to a DELETE retried after an attempt that may have been carried out. */
  alreadyDone: boolean
}

export interface SendOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  /** Aborted when the run is cancelled before anything has changed. */
  signal?: AbortSignal
  /** Waits between attempts; rejects early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  onRetry?: (what: string) => void
}

/** The run was cancelled before this request could finish. */
export class CancelledError extends Error {}

/**
 * No usable answer arrived. `mayHaveReachedServer` is false when nothing
 * can have been sent, so a caller can tell a clean failure from one where
 * a create or roll may have happened.
 */
export class NetworkError extends Error {
  readonly mayHaveReachedServer: boolean
  readonly attempts: number
  constructor(message: string, mayHaveReachedServer: boolean, attempts: number) {
    super(message)
    this.mayHaveReachedServer = mayHaveReachedServer
    this.attempts = attempts
  }
}

const attempts = 4
const maxHintedDelayMs = 10 * 60_000

/** Failures before any byte can have reached the server. */
const notSent = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_CHAR',
])

/** Failures that the same request would meet again. */
const hopeless = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_CHAR', 'ERESPONSETOOLARGE'])

/** The body-cap error, wherever undici wrapped it. */
function tooLarge(error: unknown): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { code?: unknown }).code === 'ERESPONSETOOLARGE') return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function codeOf(error: unknown): string {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return 'UNKNOWN'
}

function describe(code: string, error: unknown): string {
  if (code === 'ERESPONSETOOLARGE') return (error as Error).message
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused'
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'the connection was closed before the answer was complete'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name could not be resolved'
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection could not be made in time'
    default:
      return `a network error (${code})`
  }
}

/** Milliseconds the server asked to wait (Retry-After in seconds or as a date), if it said. */
function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const value = headers['retry-after']
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function backoffMs(retry: number, headers: Record<string, string> | undefined): number | undefined {
  const hinted = headers ? retryAfterMs(headers) : undefined
  // Retrying before the server's deadline only repeats the refusal; a wait this long ends the retries.
  if (hinted !== undefined) return hinted <= maxHintedDelayMs ? hinted : undefined
  const exponential = 1000 * 2 ** (retry - 1)
  return Math.min(30_000, Math.round(exponential / 2 + (Math.random() * exponential) / 2))
}

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  return out
}

async function once(exchange: Exchange, options: SendOptions, timeout: AbortSignal) {
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
  const { statusCode, headers, body } = await options.dispatcher.request({
    origin: exchange.url.origin,
    path: exchange.url.pathname + exchange.url.search,
    method: exchange.method,
    headers: exchange.headers,
    body: exchange.body ?? null,
    signal,
  })
  return { status: statusCode, headers: flat(headers), text: await body.text() }
}

/**
 * Sends one request, retrying an idempotent one on 429, 5xx and network
 * failures. Any HTTP answer is returned, success or not; callers turn
 * statuses into errors that say what they were doing.
 */
export async function send(exchange: Exchange, options: SendOptions): Promise<Answer> {
  const tries = exchange.idempotent ? attempts : 1
  let mayHaveApplied = false
  for (let attempt = 1; ; attempt++) {
    const timeout = AbortSignal.timeout(options.timeoutMs)
    let answer: Omit<Answer, 'alreadyDone'> | undefined
    let failure: { error: NetworkError; code: string } | undefined
    try {
      answer = await once(exchange, options, timeout)
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError('the run was cancelled')
      const code = timeout.aborted ? 'ETIMEDOUT' : codeOf(error)
      const reason =
        code === 'ETIMEDOUT'
          ? `timed out after ${options.timeoutMs / 1000} s`
          : describe(code, tooLarge(error) ?? error)
      failure = { error: new NetworkError(reason, !notSent.has(code), attempt), code }
    }
    const status = answer?.status ?? 0
    const retryable = failure ? !hopeless.has(failure.code) : status === 429 || status >= 500
    const delayMs = retryable && attempt < tries ? backoffMs(attempt, answer?.headers) : undefined
    if (delayMs === undefined) {
      if (failure) throw failure.error
      const done = exchange.method === 'DELETE' && status === 404 && mayHaveApplied
      return { ...(answer as Omit<Answer, 'alreadyDone'>), alreadyDone: done }
    }
    mayHaveApplied ||= failure ? failure.error.mayHaveReachedServer : status >= 500
    const why = failure ? failure.error.message : `HTTP ${status}`
    options.onRetry?.(
      `${exchange.method} ${exchange.url.host}${exchange.url.pathname} failed (${why}); retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${tries})`,
    )
    await options.sleep(delayMs, options.signal).catch(() => {})
    if (options.signal?.aborted) throw new CancelledError('the run was cancelled')
  }
}
