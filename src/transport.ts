import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { Transport, TransportRequest, TransportResponse } from './http.ts'

/** A larger answer than this is not a key API's answer (a proxy's runaway page, say): stop reading. */
const maxBodyBytes = 10 * 1024 * 1024

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    response.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        response.destroy(
          Object.assign(new Error(`the answer was larger than ${maxBodyBytes} bytes`), { code: 'ERESPONSETOOLARGE' }),
        )
        return
      }
      chunks.push(chunk)
    })
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    response.on('error', reject)
    response.on('aborted', () => reject(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })))
  })
}

/**
 * Sends requests with node:http and node:https, keeping connections alive
 * between the few requests a run makes. It has the shape of undici's
 * `Dispatcher.request`, so tests drive the same code with undici's
 * MockAgent, and a configured proxy swaps in undici's EnvHttpProxyAgent.
 */
export class NodeTransport implements Transport {
  readonly #http = new HttpAgent({ keepAlive: true })
  readonly #https = new HttpsAgent({ keepAlive: true })

  request(options: TransportRequest): Promise<TransportResponse> {
    // Concatenated, not resolved: a path starting with '//' must never name another host.
    const url = new URL(options.origin + options.path)
    const secure = url.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    const headers: Record<string, string> = { ...options.headers }
    if (options.body !== null) headers['content-length'] = String(Buffer.byteLength(options.body))
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        { method: options.method, headers, agent: secure ? this.#https : this.#http, signal: options.signal },
        (response) => {
          // Start reading at once so the socket is never left paused while the caller awaits.
          const text = readBody(response)
          text.catch(() => {})
          resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body: { text: () => text } })
        },
      )
      request.on('error', reject)
      request.end(options.body ?? undefined)
    })
  }

  async close(): Promise<void> {
    this.#http.destroy()
    this.#https.destroy()
  }
}

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']

/** The runner's environment cannot work as it is; the message says which variable and how to fix it. */
export class EnvironmentError extends Error {}

/**
 * The transport for a run: node:http when no proxy is set, and undici's
 * EnvHttpProxyAgent (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) when one is. undici
 * is loaded only then, which keeps it off the start-up path of every other run.
 */
export async function createTransport(env: Record<string, string | undefined>): Promise<Transport> {
  if (!proxyVariables.some((name) => env[name])) return new NodeTransport()
  const { EnvHttpProxyAgent } = await import('undici')
  try {
    const pick = (name: string) => env[name] ?? env[name.toLowerCase()]
    const httpProxy = pick('HTTP_PROXY')
    const httpsProxy = pick('HTTPS_PROXY')
    const noProxy = pick('NO_PROXY')
    return new EnvHttpProxyAgent({
      ...(httpProxy ? { httpProxy } : {}),
      ...(httpsProxy ? { httpsProxy } : {}),
      ...(noProxy !== undefined ? { noProxy } : {}),
    })
  } catch {
    // Not the error itself: Node prints a bad URL's `input`, and a proxy URL may hold a password.
    const set = proxyVariables.filter((name) => env[name]).join(', ')
    throw new EnvironmentError(
      `The proxy set in ${set} is not a usable proxy URL; use the form http://proxy.example.com:3128 ` +
        '(the value is not shown, as it may hold a password).',
    )
  }
}
