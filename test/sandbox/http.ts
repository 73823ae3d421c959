// Shared machinery of the sandbox servers: request log, admission hook (GitHub's rate limits),
// fault injection (faults.ts), latency, replies. node:http only; erasable TypeScript so Node 24
// runs it directly.
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeFault, dripOf, faultStatus, injectedReply, matches, wrapping } from './faults.ts'
import type { Fault, FaultHandle, RecordedRequest, Reply } from './faults.ts'

export type { Fault, FaultHandle, RecordedRequest, Reply } from './faults.ts'
export { htmlProxyPage } from './faults.ts'

/** What an admission hook decides for one request before faults and handling. */
export interface Admission {
  /** Answer with this instead (a rate limiter's refusal); `reason` goes to RecordedRequest.refused. */
  refuse?: { reason: string; reply: Reply }
  /** Headers for whatever answer this request gets (the answer's own headers win). */
  headers?: Record<string, string>
  /** Called once when the exchange is over: answer sent or connection closed. */
  done?: () => void
}

export interface CoreOptions {
  latencyMs?: number
  handle: (req: RecordedRequest) => Reply | Promise<Reply>
  /** Default body of an injected error status. */
  errorBody: (status: number) => unknown
  /** Runs for every request, before faults (so refused and faulted requests are both seen). */
  admit?: (req: RecordedRequest) => Admission | undefined
  /** Clock for RecordedRequest.at (ms since the epoch); default Date.now. */
  now?: () => number
}

export interface Core {
  readonly url: string
  readonly requests: RecordedRequest[]
  latencyMs: number
  inject(fault: Fault): FaultHandle
  reset(): void
  close(): Promise<void>
}

interface ActiveFault {
  spec: Fault
  times: number
  hits: number
}

/** An answer ready to write: final headers and body bytes (undefined: no body). */
interface Outgoing {
  status: number
  headers: Record<string, string>
  body?: Buffer
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name)
}

function render(reply: Reply, extra: Record<string, string>): Outgoing {
  const headers: Record<string, string> = { ...extra, ...(reply.headers ?? {}) }
  if (reply.status === 204 || reply.status === 304 || reply.body === undefined) return { status: reply.status, headers }
  let body: Buffer
  let type: string
  if (Buffer.isBuffer(reply.body)) {
    body = reply.body
    type = 'application/octet-stream'
  } else if (typeof reply.body === 'string') {
    body = Buffer.from(reply.body)
    type = 'text/plain; charset=utf-8'
  } else {
    body = Buffer.from(JSON.stringify(reply.body))
    type = 'application/json; charset=utf-8'
  }
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = type
  return { status: reply.status, headers, body }
}

export async function startCore(options: CoreOptions): Promise<Core> {
  const requests: RecordedRequest[] = []
  let faults: ActiveFault[] = []
  const lifetime = new AbortController()
  const clock = options.now ?? Date.now
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

  const deliver = async (res: ServerResponse, out: Outgoing, spec: Fault | undefined): Promise<void> => {
    if (res.destroyed || res.writableEnded) return
    let body = out.body
    const wrap = wrapping(spec)
    if (wrap !== undefined && body !== undefined) body = Buffer.concat([wrap.before, body, wrap.after])
    const headers = { ...out.headers }
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name]
    if (body !== undefined) headers['content-length'] = String(body.length)
    res.writeHead(out.status, headers)
    if (body === undefined) {
      res.end()
      return
    }
    if (spec?.cutAfterBytes !== undefined) {
      res.write(body.subarray(0, Math.max(0, spec.cutAfterBytes)), () => res.destroy())
      return
    }
    const drip = spec === undefined ? undefined : dripOf(spec)
    if (drip === undefined) {
      res.end(body)
      return
    }
    res.flushHeaders()
    for (let at = 0; at < body.length; at += drip.chunkBytes) {
      if (at > 0 && !(await wait(drip.intervalMs))) return
      if (res.destroyed) return
      res.write(body.subarray(at, at + drip.chunkBytes))
    }
    res.end()
  }

  const handleSafely = async (record: RecordedRequest): Promise<Reply> => {
    try {
      return await options.handle(record)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      console.error(`sandbox handler error on ${record.method} ${record.path}:`, error)
      return { status: 500, body: { message: `sandbox bug: ${message}` } }
    }
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
      at: clock(),
    }
    requests.push(record)

    const admission = options.admit?.(record)
    if (admission?.done !== undefined) res.once('close', admission.done)
    const extra = admission?.headers ?? {}
    if (admission?.refuse !== undefined) {
      record.refused = admission.refuse.reason
      if (await wait(latencyMs)) await deliver(res, render(admission.refuse.reply, extra), undefined)
      return
    }

    const active = faults.find((f) => f.hits < f.times && matches(f.spec, record))
    if (active === undefined) {
      const reply = await handleSafely(record)
      if (await wait(latencyMs)) await deliver(res, render(reply, extra), undefined)
      return
    }
    const spec = active.spec
    const status = faultStatus(spec, active.hits)
    active.hits += 1
    record.fault = describeFault(spec, status)
    if (!(await wait((spec.delayMs ?? 0) + latencyMs))) return
    if (spec.drop) {
      req.socket.destroy()
      return
    }
    const reply = injectedReply(spec, status, record, options.errorBody) ?? (await handleSafely(record))
    await deliver(res, render(reply, extra), spec)
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
