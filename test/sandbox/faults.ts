// Fault injection shared by both sandbox servers: which request a fault hits, and what it answers
// instead of (or on top of) the normal answer. http.ts applies them.
import { STATUS_CODES } from 'node:http'

/** One request as the server received it. */
export interface RecordedRequest {
  method: string
  /** Path with query string, exactly as sent (not decoded). */
  path: string
  /** Header names lower-case; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** Raw body text ('' when none). */
  body: string
  /** Body parsed as JSON, or undefined when empty or not JSON. */
  json: unknown
  /** Set when an injected fault answered, dropped or reshaped the answer to this request. */
  fault?: string
  /** Set when a rate limiter refused this request (GitHub: 'primary', 'concurrent', 'points', ...). */
  refused?: string
  /** The server's clock (Date.now() unless the sandbox was given a clock) when the request was complete. */
  at: number
}

/**
 * A fault applies to the next `times` requests that match `method` + `path` (+ `when`).
 * Matching is done in injection order; the first fault with hits left wins.
 *
 * What is answered (the first that applies):
 * - `raw`: these exact bytes as the body, with `status` (default 200) and `headers` (content-type
 *   defaults to application/json; content-length is always the byte length).
 * - `echoHeaders`: a text/html error page (status default 502) listing every request header as
 *   received, Authorization included, as a misconfigured proxy's debug page does.
 * - `hugeBody`: the server's usual JSON error body with a `message` of that many bytes (status
 *   default 500); `{ bytes, json: false }` sends that many bytes of text/plain instead.
 * - `html`: an nginx-style HTML proxy page (text/html); status defaults to 502.
 * - `status`: a status, or a sequence (the i-th matching request gets status[i]; when `times` is
 *   larger than the sequence, the last status repeats). Default `times` = sequence length, else 1.
 *   The body is the server's usual error body for that status unless `body` is given (a string is
 *   sent as-is, anything else as JSON).
 * - otherwise the request is handled normally.
 * How it is delivered (applies to the injected or the normal answer):
 * - `bom` / `prefix` / `suffix`: bytes put before/after the body (bom = UTF-8 BOM EF BB BF);
 *   content-length counts them. Lets a 2xx answer carry the real key behind a BOM or whitespace.
 * - `drip`: status and headers at once, then the body `chunkBytes` (default 16) at a time every
 *   `intervalMs` (a number is the interval).
 * - `cutAfterBytes`: status, headers and the full content-length, then only the first N body
 *   bytes, then the socket is destroyed (N >= the body length sends it all, then destroys).
 * Also: `retryAfter` adds a `retry-after` header; `headers` are extra headers on the answer (they
 * win over the server's); `delayMs` waits before answering; `drop` destroys the socket after
 * reading the request, without any response.
 */
export interface Fault {
  method?: string
  /** RegExp tested against the path with query; a string must equal the pathname exactly. */
  path?: RegExp | string
  when?: (req: RecordedRequest) => boolean
  times?: number
  status?: number | number[]
  retryAfter?: number | string
  headers?: Record<string, string>
  body?: unknown
  html?: boolean
  raw?: string | Buffer
  echoHeaders?: boolean
  hugeBody?: number | { bytes: number; json?: boolean }
  bom?: boolean
  prefix?: string | Buffer
  suffix?: string | Buffer
  drip?: number | { intervalMs: number; chunkBytes?: number }
  cutAfterBytes?: number
  delayMs?: number
  drop?: boolean
}

export interface FaultHandle {
  /** How many requests this fault has hit so far. */
  readonly hits: number
  /** How many more requests it will hit. */
  readonly remaining: number
  cancel(): void
}

export interface Reply {
  status: number
  /** JSON-serialised unless a string or Buffer; omitted for 204. */
  body?: unknown
  headers?: Record<string, string>
}

export function htmlProxyPage(status: number): string {
  const text = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return (
    `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n` +
    `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  )
}

/** A proxy debug page that repeats the request headers verbatim (unescaped, as careless proxies do). */
export function echoHeadersPage(status: number, req: RecordedRequest): string {
  const text = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  const lines = Object.entries(req.headers).map(([name, value]) => `${name}: ${value}`)
  return (
    `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<h1>${text}</h1>\r\n` +
    `<p>The upstream server did not answer. Request as received:</p>\r\n` +
    `<pre>${req.method} ${req.path}\r\n${lines.join('\r\n')}</pre>\r\n</body>\r\n</html>\r\n`
  )
}

export function matches(spec: Fault, req: RecordedRequest): boolean {
  if (spec.method !== undefined && spec.method.toUpperCase() !== req.method) return false
  if (spec.path !== undefined) {
    if (typeof spec.path === 'string') {
      if (req.path.split('?')[0] !== spec.path) return false
    } else {
      spec.path.lastIndex = 0
      if (!spec.path.test(req.path)) return false
    }
  }
  if (spec.when !== undefined && !spec.when(req)) return false
  return true
}

/** The status the `index`-th hit of this fault answers with, or undefined for normal handling. */
export function faultStatus(spec: Fault, index: number): number | undefined {
  const statuses = spec.status === undefined ? [] : Array.isArray(spec.status) ? spec.status : [spec.status]
  const status = statuses.length > 0 ? statuses[Math.min(index, statuses.length - 1)] : undefined
  if (status !== undefined) return status
  if (spec.raw !== undefined) return 200
  if (spec.echoHeaders === true || spec.html === true) return 502
  if (spec.hugeBody !== undefined) return 500
  return undefined
}

function hugeBytes(spec: Fault): { bytes: number; json: boolean } {
  const huge = spec.hugeBody
  if (typeof huge === 'number') return { bytes: huge, json: true }
  return { bytes: huge?.bytes ?? 0, json: huge?.json !== false }
}

export function dripOf(spec: Fault): { intervalMs: number; chunkBytes: number } | undefined {
  if (spec.drip === undefined) return undefined
  if (typeof spec.drip === 'number') return { intervalMs: spec.drip, chunkBytes: 16 }
  return { intervalMs: spec.drip.intervalMs, chunkBytes: Math.max(1, spec.drip.chunkBytes ?? 16) }
}

/** Label stored in RecordedRequest.fault, e.g. 'status 503', 'raw 200', 'bom + drip 50ms'; 'delay Nms' when nothing else. */
export function describeFault(spec: Fault, status: number | undefined): string {
  if (spec.drop) return 'drop'
  const parts: string[] = []
  if (spec.raw !== undefined) parts.push(`raw ${status}`)
  else if (spec.echoHeaders) parts.push(`echo-headers ${status}`)
  else if (spec.hugeBody !== undefined) parts.push(`huge-body ${status} ${hugeBytes(spec).bytes}B`)
  else if (spec.html) parts.push(`html ${status}`)
  else if (status !== undefined) parts.push(`status ${status}`)
  if (spec.bom) parts.push('bom')
  if (spec.prefix !== undefined || spec.suffix !== undefined) parts.push('wrapped')
  const drip = dripOf(spec)
  if (drip !== undefined) parts.push(`drip ${drip.intervalMs}ms`)
  if (spec.cutAfterBytes !== undefined) parts.push(`cut after ${spec.cutAfterBytes} bytes`)
  if (parts.length === 0) parts.push(`delay ${spec.delayMs ?? 0}ms`)
  return parts.join(' + ')
}

/**
 * The answer a fault injects, or undefined when the request must be handled normally.
 * `errorBody` is the server's usual error body for a status.
 */
export function injectedReply(
  spec: Fault,
  status: number | undefined,
  req: RecordedRequest,
  errorBody: (status: number) => unknown,
): Reply | undefined {
  if (status === undefined) return undefined
  const headers: Record<string, string> = { ...(spec.headers ?? {}) }
  if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter)
  const withType = (type: string): Record<string, string> =>
    Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
      ? headers
      : { 'content-type': type, ...headers }
  if (spec.raw !== undefined) {
    return { status, headers: withType('application/json; charset=utf-8'), body: Buffer.from(spec.raw) }
  }
  if (spec.echoHeaders) return { status, headers: withType('text/html'), body: echoHeadersPage(status, req) }
  if (spec.hugeBody !== undefined) {
    const { bytes, json } = hugeBytes(spec)
    if (!json) return { status, headers: withType('text/plain; charset=utf-8'), body: 'x'.repeat(bytes) }
    const base = errorBody(status)
    const body = typeof base === 'object' && base !== null ? { ...(base as Record<string, unknown>) } : {}
    body.message = 'x'.repeat(bytes)
    return { status, headers, body }
  }
  if (spec.html) return { status, headers: withType('text/html'), body: htmlProxyPage(status) }
  return { status, headers, body: spec.body !== undefined ? spec.body : errorBody(status) }
}

/** Bytes to put around the body (BOM first, then `prefix`; `suffix` after). */
export function wrapping(spec: Fault | undefined): { before: Buffer; after: Buffer } | undefined {
  if (spec === undefined || (!spec.bom && spec.prefix === undefined && spec.suffix === undefined)) return undefined
  return {
    before: Buffer.concat([
      spec.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
      Buffer.from(spec.prefix ?? ''),
    ]),
    after: Buffer.from(spec.suffix ?? ''),
  }
}
