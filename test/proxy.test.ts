// Proxy support end to end: dist/index.js runs as the runner runs it, with HTTPS_PROXY/HTTP_PROXY
// pointing at a small forward proxy written here, in front of the loopback SuprSend and GitHub
// sandboxes. Everything stays on 127.0.0.1. Rebuild dist/ first (`npm run build`).
//
// undici's ProxyAgent (behind EnvHttpProxyAgent) sends a request for an http:// origin to the proxy
// in absolute form (`GET http://127.0.0.1:PORT/path`, its Http1ProxyWrapper) and opens a CONNECT
// tunnel only for https:// origins (or with `proxyTunnel: true`). The sandboxes are http://, so the
// action's runs go the absolute-form way; the proxy's CONNECT path is checked on its own below.
import { existsSync } from 'node:fs'
import { createServer, request as httpRequest, Agent as HttpAgent } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import { connect as netConnect } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { ProxyAgent } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decodeCommandData, randomAlnum, repoRoot, runAction, startGitHub, startSuprSend } from './sandbox/index.ts'
import type { GitHubSandbox, RunActionResult, SuprSendSandbox } from './sandbox/index.ts'

const bundle = join(repoRoot, 'dist', 'index.js')
const SERVICE_TOKEN = `ss_svc_${randomAlnum(32)}`
const GITHUB_TOKEN = `ghp_${randomAlnum(36)}`
/** What the proxy adds to every request it forwards, so the servers can tell a proxied request. */
const VIA = '1.1 loopback-test-proxy'

/** One thing the proxy was asked to do. Only the request line: headers are never kept. */
interface ProxyRecord {
  /** 'absolute' for `METHOD http://host:port/path`, 'connect' for `CONNECT host:port`. */
  form: 'absolute' | 'connect'
  method: string
  /** The absolute URL, or host:port for a CONNECT. */
  target: string
}

interface LoopbackProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string
  readonly records: ProxyRecord[]
  close(): Promise<void>
}

// Hop-by-hop headers (RFC 9110 section 7.6.1) are for the proxy, not passed on.
const hopByHop = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name.toLowerCase())) out[name] = value
  }
  return out
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * A forward proxy on 127.0.0.1: absolute-form requests are sent on with node:http, CONNECT opens a
 * TCP tunnel. It serves loopback targets only (403 otherwise), so nothing can leave the machine.
 */
async function startProxy(): Promise<LoopbackProxy> {
  const records: ProxyRecord[] = []
  const sockets = new Set<Socket>()
  const upstream = new HttpAgent({ keepAlive: false })
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL
    try {
      target = new URL(req.url ?? '')
    } catch {
      // Origin form (`GET /path`): a request meant for a server, not for a proxy.
      res.writeHead(400, { 'content-type': 'text/plain' }).end('a proxy needs an absolute-form request\n')
      return
    }
    records.push({ form: 'absolute', method: req.method ?? '', target: target.href })
    if (target.protocol !== 'http:' || !loopbackHosts.has(target.hostname)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('this proxy serves loopback http only\n')
      return
    }
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: target.pathname + target.search,
        headers: { ...forwardHeaders(req.headers), host: target.host, via: VIA },
        agent: upstream,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers))
        answer.pipe(res)
      },
    )
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n')
      else res.destroy()
    })
    req.pipe(outgoing)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? ''
    records.push({ form: 'connect', method: 'CONNECT', target })
    const at = target.lastIndexOf(':')
    const host = target.slice(0, at)
    const port = Number(target.slice(at + 1))
    client.on('error', () => {})
    if (at < 0 || !loopbackHosts.has(host) || !Number.isInteger(port) || port <= 0) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const tunnel = netConnect(port, host === '[::1]' ? '::1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) tunnel.write(head)
      tunnel.pipe(client)
      client.pipe(tunnel)
    })
    sockets.add(tunnel)
    tunnel.on('close', () => sockets.delete(tunnel))
    tunnel.on('error', () => {
      if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
      else client.destroy()
    })
    client.on('close', () => tunnel.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      upstream.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A loopback URL that refuses connections: a port that was just listened on and closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

let ss: SuprSendSandbox
let gh: GitHubSandbox
let proxy: LoopbackProxy
let ws = ''
let counter = 0

/** Every proxy variable unset, so the child's environment says exactly what a scenario wants. */
const noProxyVariables = {
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
}

function proxied(proxyUrl: string, noProxy = ''): Record<string, string | undefined> {
  return { ...noProxyVariables, HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NO_PROXY: noProxy }
}

async function act(inputs: Record<string, string>, env: Record<string, string | undefined>): Promise<RunActionResult> {
  const result = await runAction({
    bundle,
    inputs: { 'service-token': SERVICE_TOKEN, workspace: ws, 'api-url': ss.url, ...inputs },
    githubApiUrl: gh.url,
    repository: 'acme/app',
    env,
    timeoutMs: 30_000,
  })
  expect(result.timedOut).toBe(false)
  // Neither token is ever shown: not in the log as the runner shows it, not in any printed line.
  const printed = result.stdout
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  for (const token of [SERVICE_TOKEN, GITHUB_TOKEN]) {
    for (const text of [result.maskedLog, printed, result.stderr, result.summary]) {
      expect(text.includes(token), 'a token appears in the output').toBe(false)
    }
  }
  return result
}

function succeeded(result: RunActionResult): void {
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.maskedLog}${result.stderr}`)
  expect(result.stdout).not.toMatch(/^::error/m)
}

/** The one ::error:: line of a failed run, decoded; asserts the run failed. */
function failure(result: RunActionResult): string {
  expect(result.exitCode).toBe(1)
  const lines = result.stdout.split(/\r?\n/).filter((line) => line.startsWith('::error'))
  expect(lines).toHaveLength(1)
  const line = lines[0] ?? ''
  return decodeCommandData(line.slice(line.indexOf('::', 2) + 2))
}

/** What the sandboxes received, as the absolute URLs a proxy would have been asked for. */
function serverCalls(): string[] {
  return [
    ...ss.requests.map((r) => `${r.method} ${ss.url}${r.path}`),
    ...gh.requests.map((r) => `${r.method} ${gh.url}${r.path}`),
  ].sort()
}

function proxyCalls(): string[] {
  return proxy.records.map((r) => `${r.method} ${r.target}`).sort()
}

function viaHeaders(): (string | undefined)[] {
  return [...ss.requests, ...gh.requests].map((r) => r.headers['via'])
}

function activePem(): string {
  const key = ss.activeSigningKey(ws)
  if (key === undefined) throw new Error(`workspace '${ws}' has no active signing key`)
  return key.private_key_pem
}

/** list-signing-keys, then rotate-signing-key storing into a repository secret; both must succeed. */
async function listThenRotate(env: Record<string, string | undefined>): Promise<string> {
  const seeded = ss.seedSigningKey(ws)
  const listed = await act({ operation: 'list-signing-keys' }, env)
  succeeded(listed)
  expect((JSON.parse(listed.outputs['keys'] ?? '') as { uid: string }[]).map((k) => k.uid)).toEqual([seeded.uid])
  expect(ss.requests.map((r) => r.method)).toEqual(['GET'])

  const name = `SUPRSEND_SIGNING_KEY_${counter}`
  const rotated = await act({ operation: 'rotate-signing-key', 'secret-name': name, 'github-token': GITHUB_TOKEN }, env)
  succeeded(rotated)
  expect(rotated.outputs['previous-key-uid']).toBe(seeded.uid)
  expect(await gh.readSecret('repository', 'acme/app', name)).toBe(activePem())
  expect(ss.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'POST'])
  expect(gh.requests.some((r) => r.method === 'PUT' && r.path.endsWith(`/secrets/${name}`))).toBe(true)
  return name
}

beforeAll(async () => {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run build' first`)
  ss = await startSuprSend({ token: SERVICE_TOKEN })
  gh = await startGitHub({ tokens: [GITHUB_TOKEN] })
  gh.addRepository('acme/app')
  proxy = await startProxy()
})

afterAll(async () => {
  await Promise.all([ss?.close(), gh?.close(), proxy?.close()])
})

beforeEach(() => {
  counter += 1
  ws = `proxy-${counter}`
  ss.addWorkspace(ws)
  ss.reset()
  gh.reset()
  proxy.records.length = 0
})

describe('the test proxy itself', () => {
  it('tunnels a CONNECT to a loopback server (the form undici uses for https:// origins)', async () => {
    const agent = new ProxyAgent({ uri: proxy.url, proxyTunnel: true })
    try {
      const answer = await agent.request({
        origin: ss.url,
        path: `/v1/${ws}/ws_signing_key/?limit=100&offset=0`,
        method: 'GET',
        headers: { authorization: `ServiceToken ${SERVICE_TOKEN}` },
      })
      expect(answer.statusCode).toBe(200)
      await answer.body.text()
    } finally {
      await agent.close()
    }
    expect(proxy.records).toEqual([{ form: 'connect', method: 'CONNECT', target: new URL(ss.url).host }])
    // Inside a tunnel the proxy sees bytes only: no Via header reaches the server.
    expect(viaHeaders()).toEqual([undefined])
  })

  it('answers an origin-form request with 400 and never forwards beyond loopback', async () => {
    const origin = await fetch(`${proxy.url}/v1/`)
    expect(origin.status).toBe(400)
    await origin.text()
    const agent = new ProxyAgent({ uri: proxy.url })
    try {
      const far = await agent.request({ origin: 'http://example.com', path: '/', method: 'GET' })
      expect(far.statusCode).toBe(403)
      await far.body.text()
    } finally {
      await agent.close()
    }
    expect(proxy.records).toEqual([{ form: 'absolute', method: 'GET', target: 'http://example.com/' }])
  })
})

describe('dist/index.js behind a proxy', { timeout: 30_000 }, () => {
  it('A: with HTTPS_PROXY and HTTP_PROXY, every SuprSend and GitHub request goes through the proxy', async () => {
    await listThenRotate(proxied(proxy.url))
    // The proxy was asked for exactly what the servers received, in absolute form (http:// origins)...
    expect(proxy.records.every((r) => r.form === 'absolute')).toBe(true)
    expect(proxyCalls()).toEqual(serverCalls())
    expect(proxy.records.some((r) => r.target.startsWith(`${ss.url}/v1/${ws}/`))).toBe(true)
    expect(proxy.records.some((r) => r.target.startsWith(`${gh.url}/repos/acme/app/`))).toBe(true)
    // ...and everything the servers received came through it.
    expect(viaHeaders().every((via) => via === VIA)).toBe(true)
    // The proxy keeps request lines only: no token in what it recorded.
    const recorded = JSON.stringify(proxy.records)
    expect(recorded.includes(SERVICE_TOKEN) || recorded.includes(GITHUB_TOKEN)).toBe(false)
  })

  it('B: NO_PROXY=127.0.0.1 sends everything directly, and the run still succeeds', async () => {
    await listThenRotate(proxied(proxy.url, '127.0.0.1'))
    expect(proxy.records).toEqual([])
    expect(viaHeaders().every((via) => via === undefined)).toBe(true)
  })

  it('C: without proxy variables the node:http transport goes directly', async () => {
    await listThenRotate(noProxyVariables)
    expect(proxy.records).toEqual([])
    expect(viaHeaders().every((via) => via === undefined)).toBe(true)
  })

  it('D: a proxy that is down fails a list with one clear error after retries, and no token', async () => {
    ss.seedSigningKey(ws)
    const result = await act({ operation: 'list-signing-keys', 'request-timeout': '2' }, proxied(await closedPortUrl()))
    const message = failure(result)
    expect(message).toContain('could not reach SuprSend')
    expect(message).toMatch(/after 4 attempts/)
    expect(message).toContain('the connection was refused')
    expect(result.maskedLog.match(/retrying in/g)).toHaveLength(3)
    // The token was registered as a mask, and appears nowhere in the log as shown.
    expect(result.masks).toContain(SERVICE_TOKEN)
    expect(result.maskedLog).not.toContain(SERVICE_TOKEN)
    expect(ss.requests).toEqual([])
    expect(proxy.records).toEqual([])
  })

  it('E: a proxy variable that is not a URL fails the run without printing its password', async () => {
    const password = `pw_${randomAlnum(24)}`
    // A space in the host: not a URL, and Node would print the whole value with its password.
    const result = await act({ operation: 'list-signing-keys' }, proxied(`http://user:${password}@proxy host:3128`))
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('::error::The proxy set in HTTPS_PROXY, HTTP_PROXY is not a usable proxy URL')
    expect(`${result.stdout}${result.stderr}`.includes(password)).toBe(false)
    expect(ss.requests).toEqual([])
    expect(proxy.records).toEqual([])
  })
})
