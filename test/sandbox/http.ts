// Shared machinery of the sandbox servers: request log, fault injection, latency, JSON replies.
// node:http only; erasable TypeScript so Node 24 runs it directly.
import { createServer, STATUS_CODES } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

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
  /** Set when an injected fault answered (or dropped) this request. */
  fault?: string
  /** Date.now() when the request was complete. */
  at: number
}

/**
 * A fault applies to the next `times` requests that match `method` + `path` (+ `when`).
 * Matching is done in injection order; the first fault with hits left wins.
 *
 * - `status`: a status, or a sequence (the i-th matching request gets status[i]; when `times` is
 *   larger than the sequence, the last status repeats). Default `times` = sequence length, else 1.
 *   The body is the server's usual error body for that status unless `body` or `html` is given.
 * - `html`: answer with an HTML proxy page (text/html) instead of JSON; status defaults to 502.
 * - `body`: custom body (a string is sent as-is, anything else as JSON).
 * - `retryAfter`: adds a `retry-after` header; `headers`: extra headers on the injected answer.
 * - `delayMs`: wait before answering. Without status/html/drop, the request is then handled normally.
 * - `drop`: destroy the socket after reading the request, without any response.
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
  /** JSON-serialised unless a string; omitted for 204. */
  body?: unknown
  headers?: Record<string, string>
}

interface ActiveFault {
  spec: Fault
  times: number
  hits: number
}

export interface CoreOptions {
  latencyMs?: number
  handle: (req: RecordedRequest) => Reply | Promise<Reply>
  /** Default body of an injected error status. */
  errorBody: (status: number) => unknown
  /** Headers added to every response (a fault's own headers win). */
  commonHeaders?: () => Record<string, string>
}

export interface Core {
  readonly url: string
  readonly requests: RecordedRequest[]
  latencyMs: number
  inject(fault: Fault): FaultHandle
  reset(): void
  close(): Promise<void>
}

export function htmlProxyPage(status: number): string {
  const text = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return (
    `<html>\r\n<head><title>${text}</title></head>\r\n<body>\r\n<center><h1>${text}</h1></center>\r\n` +
    `<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  )
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function matches(spec: Fault, req: RecordedRequest): boolean {
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

function describe(spec: Fault, status: number | undefined): string {
  if (spec.drop) return 'drop'
  if (spec.html) return `html ${status ?? 502}`
  if (status !== undefined) return `status ${status}`
  return `delay ${spec.delayMs ?? 0}ms`
}

export async function startCore(options: CoreOptions): Promise<Core> {
  const requests: RecordedRequest[] = []
  let faults: ActiveFault[] = []
  const lifetime = new AbortController()
  let latencyMs = options.latencyMs ?? 0

  const wait = async (ms: number): Promise<boolean> => {
    if (ms <= 0) return !lifetime.signal.aborted
    try {
      await sleep(ms, undefined, { signal: lifetime.signal })
      return true
    } catch {
      return false
    }
  }

  const send = (res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void => {
    if (res.destroyed || res.writableEnded) return
    const headers: Record<string, string> = { ...(options.commonHeaders?.() ?? {}), ...extra, ...(reply.headers ?? {}) }
    if (reply.status === 204 || reply.status === 304 || reply.body === undefined) {
      res.writeHead(reply.status, headers)
      res.end()
      return
    }
    const isText = typeof reply.body === 'string'
    const text = isText ? (reply.body as string) : JSON.stringify(reply.body)
    const lower = Object.keys(headers).map((h) => h.toLowerCase())
    if (!lower.includes('content-type')) {
      headers['content-type'] = isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'
    }
    headers['content-length'] = String(Buffer.byteLength(text))
    res.writeHead(reply.status, headers)
    res.end(text)
  }

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    let json: unknown
    if (body.trim() !== '') {
      try {
        json = JSON.parse(body)
      } catch {
        json = undefined
      }
    }
    const record: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: req.url ?? '/',
      headers: flattenHeaders(req),
      body,
      json,
      at: Date.now(),
    }
    requests.push(record)

    const active = faults.find((f) => f.hits < f.times && matches(f.spec, record))
    if (active !== undefined) {
      const spec = active.spec
      const index = active.hits
      active.hits += 1
      const statuses = spec.status === undefined ? [] : Array.isArray(spec.status) ? spec.status : [spec.status]
      let status = statuses.length > 0 ? statuses[Math.min(index, statuses.length - 1)] : undefined
      if (status === undefined && spec.html) status = 502
      record.fault = describe(spec, status)
      if (!(await wait((spec.delayMs ?? 0) + latencyMs))) return
      if (spec.drop) {
        req.socket.destroy()
        return
      }
      if (status !== undefined) {
        const extra: Record<string, string> = { ...(spec.headers ?? {}) }
        if (spec.retryAfter !== undefined) extra['retry-after'] = String(spec.retryAfter)
        if (spec.html) {
          send(res, { status, body: htmlProxyPage(status) }, { ...extra, 'content-type': 'text/html' })
        } else {
          send(res, { status, body: spec.body !== undefined ? spec.body : options.errorBody(status) }, extra)
        }
        return
      }
      // delay-only fault: fall through to normal handling (latency already waited)
      await answer(record, res, false)
      return
    }
    await answer(record, res, true)
  }

  const answer = async (record: RecordedRequest, res: ServerResponse, withLatency: boolean): Promise<void> => {
    let reply: Reply
    try {
      reply = await options.handle(record)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      console.error(`sandbox handler error on ${record.method} ${record.path}:`, error)
      reply = { status: 500, body: { message: `sandbox bug: ${message}` } }
    }
    if (withLatency && !(await wait(latencyMs))) return
    send(res, reply)
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      console.error('sandbox request error:', error)
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500)
        res.end()
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get latencyMs() {
      return latencyMs
    },
    set latencyMs(ms: number) {
      latencyMs = ms
    },
    inject(spec: Fault): FaultHandle {
      const times = spec.times ?? (Array.isArray(spec.status) && spec.status.length > 0 ? spec.status.length : 1)
      const active: ActiveFault = { spec, times, hits: 0 }
      faults.push(active)
      return {
        get hits() {
          return active.hits
        },
        get remaining() {
          return Math.max(0, active.times - active.hits)
        },
        cancel() {
          active.times = active.hits
        },
      }
    },
    reset() {
      faults = []
      requests.length = 0
    },
    close() {
      lifetime.abort()
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/** Split a path into decoded segments (empty segments kept, so a trailing slash gives a final ''). */
export function segments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s))
  } catch {
    return undefined
  }
}
