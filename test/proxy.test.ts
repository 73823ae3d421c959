// Proxies, end to end through dist/index.js. A loopback forward proxy tunnels CONNECTs to a TLS
// server that forwards to the sandboxes; its certificate, for suprsend.test and github.test, is
// made for this run, kept in memory but for the certificate the child trusts through
// NODE_EXTRA_CA_CERTS. So the action talks https to names only the proxy can reach, as behind a
// corporate proxy.
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https'
import { connect, type AddressInfo } from 'node:net'
import { generate } from 'selfsigned'
import { afterAll, describe, expect } from 'vitest'
import { runAction } from './sandbox/index.ts'
import { it as base, storing, tokens, workspace, type World } from './support/world.ts'

const names = ['suprsend.test', 'github.test'].map((value) => ({ type: 2 as const, value }))
const tls = await generate([{ name: 'commonName', value: 'suprsend.test' }], {
  algorithm: 'sha256',
  extensions: [{ name: 'subjectAltName', altNames: names }],
})
const caDir = mkdtempSync(join(tmpdir(), 'proxy-test-'))
const ca = join(caDir, 'cert.pem')
writeFileSync(ca, tls.cert)
afterAll(() => rmSync(caDir, { recursive: true, force: true }))

interface Proxy {
  url: string
  /** What each CONNECT asked for, and the headers it carried (a proxy sees no more than this). */
  connects: { target: string; headers: string[] }[]
  /** Set to answer SuprSend's requests with a body of this many bytes instead. */
  hugeBody?: number
}

/** Terminates TLS for suprsend.test and github.test and forwards each request to its sandbox. */
async function tlsFront(world: World, proxy: Proxy): Promise<HttpsServer> {
  const server = createTlsServer({ key: tls.private, cert: tls.cert }, (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.headers.host?.startsWith('github.test') ? world.github.url : world.suprsend.url)
    if (proxy.hugeBody && !req.headers.host?.startsWith('github.test')) return void res.end('x'.repeat(proxy.hugeBody))
    const forwarded = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    req.pipe(forwarded)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

async function forwardProxy(front: HttpsServer, proxy: Proxy) {
  const server = createServer((_req, res) => res.writeHead(400).end('this proxy only tunnels'))
  server.on('connect', (req: IncomingMessage, client, head) => {
    proxy.connects.push({ target: req.url ?? '', headers: Object.keys(req.headers) })
    const upstream = connect((front.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return server
}

const it = base.extend<{ proxy: Proxy }>({
  proxy: async ({ world }, use) => {
    const proxy: Proxy = { url: '', connects: [] }
    const front = await tlsFront(world, proxy)
    const server = await forwardProxy(front, proxy)
    await use(proxy)
    server.closeAllConnections()
    front.closeAllConnections()
    server.close()
    front.close()
  },
})

function behindProxy(proxy: Proxy, inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction({
    inputs: { 'service-token': tokens.service, workspace, 'api-url': 'https://suprsend.test', ...inputs },
    githubApiUrl: 'https://github.test',
    env: { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca, ...env },
  })
}

describe('behind a proxy', () => {
  it('sends every SuprSend and GitHub request through the proxy, which never sees a token', async ({
    world,
    proxy,
  }) => {
    const result = await behindProxy(proxy, { operation: 'rotate-signing-key', ...storing })
    expect(result.exitCode).toBe(0)
    expect(new Set(proxy.connects.map((c) => c.target))).toEqual(new Set(['suprsend.test:443', 'github.test:443']))
    expect(proxy.connects.flatMap((c) => c.headers).filter((h) => /authorization/i.test(h))).toEqual([])
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      world.suprsend.activeSigningKey(workspace)?.private_key_pem,
    )
  })

  it('never sends a plain-http loopback address through the proxy', async ({ world, proxy }) => {
    const result = await runAction({
      inputs: {
        'service-token': tokens.service,
        workspace,
        'api-url': world.suprsend.url,
        operation: 'rotate-signing-key',
        ...storing,
      },
      githubApiUrl: world.github.url,
      env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
    })
    expect([result.exitCode, proxy.connects], result.stdout).toEqual([0, []])
  })

  it('caps an answer that comes through the proxy', async ({ proxy }) => {
    proxy.hugeBody = 11 * 1024 * 1024
    const result = await behindProxy(proxy, { operation: 'list-signing-keys' })
    expect(result.stdout).toMatch(
      /^::error::list-signing-keys in workspace 'staging' failed: could not reach SuprSend while listing signing keys: the answer was larger than 10 MiB, so it was not read\.$/m,
    )
  })

  it('a proxy that is down fails the run with one clear error, after retries, and no token', async ({ proxy }) => {
    const result = await behindProxy(proxy, { operation: 'list-signing-keys' }, { HTTPS_PROXY: 'http://127.0.0.1:9' })
    expect(result.stdout).toMatch(
      /^::error::list-signing-keys in workspace 'staging' failed: could not reach SuprSend while listing signing keys after 4 attempts: .+\.$/m,
    )
    expect(
      result.stdout.split('\n').filter((line) => line.includes(tokens.service) && !line.startsWith('::add-mask::')),
    ).toEqual([])
  }, 20_000)

  it('fails with one sentence, and without the value, when a proxy variable is not a URL', async ({ proxy }) => {
    const result = await behindProxy(
      proxy,
      { operation: 'list-signing-keys' },
      { HTTPS_PROXY: 'http://user:s3cret@[bad' },
    )
    expect(result.stdout).toContain(
      '::error::The proxy set in HTTPS_PROXY is not a usable proxy URL; use the form http://proxy.example.com:3128 (the value is not shown, as it may hold a password).',
    )
    expect(result.stdout).not.toContain('s3cret')
  })
})
