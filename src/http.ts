/** One request as a transport sends it: the shape of undici's `Dispatcher.request` options. */
export interface TransportRequest {
  origin: string
  path: string
  method: string
  headers: Record<string, string>
  body: string | null
  signal: AbortSignal
}

export interface TransportResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: { text(): Promise<string> }
}

/**
 * Anything that sends a request and answers with status, headers and body:
 * an undici Dispatcher (MockAgent in tests, EnvHttpProxyAgent behind a
 * proxy) or the node:http transport in src/transport.ts.
 */
export interface Transport {
  request(options: TransportRequest): Promise<TransportResponse>
  close?(): Promise<void>
}

/** What a caller needs to say about one HTTP request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: URL
  headers: Record<string, string>
  body?: string
  /**
   * Whether sending the request twice has the same effect as sending it once.
   * Only idempotent requests are ever retried: a second roll would destroy
   * the key that the first one returned.
   */
  idempotent: boolean
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  text: string
  /** How many attempts it took. */
  attempts: number
  /**
   * Whether an earlier attempt may have been carried out by the server (it
   * answered 5xx, or the connection failed after the request may have been
   * sent): then a 404 on a retried DELETE means that attempt deleted it.
   */
  earlierAttemptMayHaveApplied: boolean
}

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number
  baseDelayMs: number
  /** Cap of the exponential backoff. */
  maxDelayMs: number
  /**
   * The longest wait a server may ask for (Retry-After, a rate-limit reset).
   * A longer one ends the retries: retrying before the server's deadline
   * only repeats the refusal and can extend the penalty.
   */
  maxHintedDelayMs: number
  /** The least wait after a rate-limit answer that names no time (GitHub asks for a minute). */
  rateLimitDelayMs: number
}

export interface HttpOptions {
  dispatcher: Transport
  timeoutMs: number
  retry: RetryPolicy
  sleep: (ms: number) => Promise<void>
  /** Told before each retry, so the log explains a slow step. */
  onRetry?: (info: {
    method: string
    url: URL
    attempt: number
    attempts: number
    delayMs: number
    reason: string
  }) => void
  /** Extra retryable answers beyond 429 and 5xx (GitHub's rate-limit 403s). */
  isRetryable?: (response: HttpResponse) => boolean
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxHintedDelayMs: 10 * 60_000,
  rateLimitDelayMs: 0,
}

/**
 * The request could not complete at the network level (refused, reset,
 * timed out). `mayHaveReachedServer` is false when nothing can have been
 * sent (no connection, or a request refused before sending), so callers can
 * tell an ambiguous failure from a clean one.
 */
export class NetworkError extends Error {
  readonly code: string
  readonly mayHaveReachedServer: boolean
  readonly attempts: number
  constructor(message: string, code: string, mayHaveReachedServer: boolean, attempts: number) {
    super(message)
    this.name = 'NetworkError'
    this.code = code
    this.mayHaveReachedServer = mayHaveReachedServer
    this.attempts = attempts
  }
}

// Errors raised before any byte could reach the server.
const connectFailureCodes = new Set([
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
])

// Errors raised while building the request, before anything is sent; repeating them cannot help.
const invalidRequestCodes = new Set([
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'UND_ERR_INVALID_ARG',
])

function errorCode(error: unknown): string {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    // node:http rejects an aborted request with code 'ABORT_ERR'; the only abort here is the timeout.
    if (typeof code === 'string' && code !== 'ABORT_ERR') return code
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return 'ETIMEDOUT'
    current = (current as { cause?: unknown }).cause
  }
  return 'UNKNOWN'
}

function describeCode(code: string, timeoutMs: number): string {
  switch (code) {
    case 'ETIMEDOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${timeoutMs / 1000} s`
    case 'ECONNREFUSED':
      return 'the connection was refused'
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'the connection was closed before an answer arrived'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name could not be resolved'
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection could not be made in time'
    default:
      return invalidRequestCodes.has(code)
        ? `the request could not be sent, as a header or the address held a character HTTP does not allow (${code})`
        : `a network error (${code})`
  }
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const value = headers['retry-after']
  if (value !== undefined) {
    const seconds = Number(value)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    const date = Date.parse(value)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  // GitHub's primary rate limit says when the window resets instead.
  const reset = headers['x-ratelimit-reset']
  if (reset !== undefined && headers['x-ratelimit-remaining'] === '0') {
    const resetAt = Number(reset) * 1000
    if (Number.isFinite(resetAt)) return Math.max(0, resetAt - now)
  }
  return undefined
}

/** How long to wait before the next attempt, or undefined when the server asked for longer than is worth waiting. */
function backoffMs(policy: RetryPolicy, retryNumber: number, response: HttpResponse | undefined, rateLimited: boolean) {
  const hinted = response ? retryAfterMs(response.headers) : undefined
  if (hinted !== undefined) return hinted <= policy.maxHintedDelayMs ? hinted : undefined
  const exponential = policy.baseDelayMs * 2 ** (retryNumber - 1)
  // Full jitter keeps parallel writers from retrying in lockstep.
  const jittered = Math.min(policy.maxDelayMs, Math.round(exponential / 2 + (Math.random() * exponential) / 2))
  return rateLimited ? Math.max(jittered, policy.rateLimitDelayMs) : jittered
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

async function sendOnce(request: HttpRequest, options: HttpOptions, attempt: number): Promise<HttpResponse> {
  const { statusCode, headers, body } = await options.dispatcher.request({
    origin: request.url.origin,
    path: request.url.pathname + request.url.search,
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
    signal: AbortSignal.timeout(options.timeoutMs),
  })
  return {
    status: statusCode,
    headers: flattenHeaders(headers),
    text: await body.text(),
    attempts: attempt,
    earlierAttemptMayHaveApplied: false,
  }
}

function isRateLimited(response: HttpResponse, options: HttpOptions): boolean {
  return response.status === 429 || (options.isRetryable?.(response) ?? false)
}

/**
 * Sends a request, retrying idempotent ones on 429, 5xx and network errors
 * with backoff that honours Retry-After. Any HTTP answer is returned, success
 * or not: callers turn statuses into errors that name what they were doing.
 * Request headers never appear in what this throws.
 */
export async function send(request: HttpRequest, options: HttpOptions): Promise<HttpResponse> {
  const attempts = request.idempotent ? Math.max(1, options.retry.attempts) : 1
  let mayHaveApplied = false
  for (let attempt = 1; ; attempt++) {
    let response: HttpResponse | undefined
    let failure: NetworkError | undefined
    try {
      response = await sendOnce(request, options, attempt)
      response.earlierAttemptMayHaveApplied = mayHaveApplied
    } catch (error) {
      const code = errorCode(error)
      const sent = !connectFailureCodes.has(code) && !invalidRequestCodes.has(code)
      failure = new NetworkError(describeCode(code, options.timeoutMs), code, sent, attempt)
    }
    const rateLimited = response !== undefined && isRateLimited(response, options)
    const retryable = failure
      ? !invalidRequestCodes.has(failure.code)
      : rateLimited || (response !== undefined && response.status >= 500)
    const delayMs =
      retryable && attempt < attempts ? backoffMs(options.retry, attempt, response, rateLimited) : undefined
    if (delayMs === undefined) {
      if (failure) throw failure
      return response as HttpResponse
    }
    mayHaveApplied ||= failure ? failure.mayHaveReachedServer : (response?.status ?? 0) >= 500
    const reason = failure ? failure.message : `HTTP ${response?.status}`
    options.onRetry?.({ method: request.method, url: request.url, attempt, attempts, delayMs, reason })
    await options.sleep(delayMs)
  }
}
