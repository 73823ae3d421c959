// The HTTP rules the action keeps on top of undici, at the dispatcher level with undici's MockAgent:
// which requests are retried, what a retried DELETE's 404 means, the timeout, and the body cap.
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { limitBody } from '../src/http/dispatcher.ts'
import { CancelledError, NetworkError, send, type Exchange } from '../src/http/send.ts'

const origin = 'https://management-api.suprsend.com'
let agent: MockAgent

function mock(): MockAgent {
  agent = new MockAgent({ enableCallHistory: true })
  agent.disableNetConnect()
  return agent
}

afterEach(() => agent?.close())

const exchange = (method: Exchange['method'], idempotent: boolean): Exchange => ({
  method,
  url: new URL(`${origin}/v1/staging/ws_signing_key/`),
  headers: { authorization: 'ServiceToken sst_test' },
  idempotent,
})

function options(dispatcher = agent, extra = {}) {
  const waits: number[] = []
  return {
    waits,
    options: { dispatcher, timeoutMs: 1000, sleep: async (ms: number) => void waits.push(ms), ...extra },
  }
}

const calls = () => agent.getCallHistory()?.calls().length ?? 0

describe('retries', () => {
  it('retries an idempotent GET on 503 and returns the answer that worked', async () => {
    const pool = mock().get(origin)
    pool.intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(503, 'busy')
    pool.intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(200, '{"results":[]}')
    const { options: o, waits } = options()
    const answer = await send(exchange('GET', true), o)
    expect([answer.status, calls(), waits.length]).toEqual([200, 2, 1])
  })

  it('waits as long as Retry-After asks', async () => {
    const pool = mock().get(origin)
    pool
      .intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '7' } })
    pool.intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(200, '{}')
    const { options: o, waits } = options()
    await send(exchange('GET', true), o)
    expect(waits).toEqual([7000])
  })

  it('gives up when Retry-After asks for longer than ten minutes', async () => {
    mock()
      .get(origin)
      .intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '3600' } })
    const { options: o } = options()
    expect((await send(exchange('GET', true), o)).status).toBe(429)
    expect(calls()).toBe(1)
  })

  it('never retries a request that creates or rolls a key, even on 502', async () => {
    mock()
      .get(origin)
      .intercept({ path: '/v1/staging/ws_signing_key/', method: 'POST' })
      .reply(502, 'bad gateway')
      .times(4)
    const { options: o } = options()
    expect((await send(exchange('POST', false), o)).status).toBe(502)
    expect(calls()).toBe(1)
  })

  it('never retries a roll whose connection broke after it was sent, and says it may have gone through', async () => {
    mock()
      .get(origin)
      .intercept({ path: '/v1/staging/ws_signing_key/', method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    const { options: o } = options()
    const error = await send(exchange('POST', false), o).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NetworkError)
    expect([(error as NetworkError).mayHaveReachedServer, calls()]).toEqual([true, 1])
  })

  it('counts a 404 to a DELETE retried after a 500 as done: the first attempt deleted it', async () => {
    const pool = mock().get(origin)
    pool.intercept({ path: '/v1/staging/ws_signing_key/', method: 'DELETE' }).reply(500, '')
    pool.intercept({ path: '/v1/staging/ws_signing_key/', method: 'DELETE' }).reply(404, '{"code":404}')
    const { options: o } = options()
    expect((await send(exchange('DELETE', true), o)).alreadyDone).toBe(true)
  })

  it('counts a 404 to a first DELETE as not found', async () => {
    mock().get(origin).intercept({ path: '/v1/staging/ws_signing_key/', method: 'DELETE' }).reply(404, '{"code":404}')
    const { options: o } = options()
    expect((await send(exchange('DELETE', true), o)).alreadyDone).toBe(false)
  })

  it('stops waiting between attempts when the run is cancelled', async () => {
    mock().get(origin).intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(503, '')
    const controller = new AbortController()
    const { options: o } = options(agent, { signal: controller.signal, sleep: async () => controller.abort() })
    await expect(send(exchange('GET', true), o)).rejects.toBeInstanceOf(CancelledError)
    expect(calls()).toBe(1)
  })
})

describe('timeouts and size', () => {
  it('reports a request that outlasts the timeout as timed out', async () => {
    mock().get(origin).intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(200, '{}').delay(300)
    const { options: o } = options(agent, { timeoutMs: 50 })
    await expect(send(exchange('GET', false), o)).rejects.toThrow('timed out after 0.05 s')
  })

  it('refuses a body larger than the cap, whatever sent it', async () => {
    mock().get(origin).intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(200, 'x'.repeat(2048))
    const { options: o } = options(agent.compose(limitBody(1024)) as unknown as MockAgent)
    await expect(send(exchange('GET', false), o)).rejects.toThrow(
      'the answer was larger than 1024 bytes, so it was not read',
    )
  })

  it('lets a body at the cap through', async () => {
    mock().get(origin).intercept({ path: '/v1/staging/ws_signing_key/', method: 'GET' }).reply(200, 'x'.repeat(1024))
    const { options: o } = options(agent.compose(limitBody(1024)) as unknown as MockAgent)
    expect((await send(exchange('GET', true), o)).text).toHaveLength(1024)
  })
})
