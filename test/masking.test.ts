/**
 * Masking as the runner sees it: which values reach `::add-mask::`, in what
 * order relative to the outputs, and what the log would show once the
 * runner has applied the registered masks.
 */
import { existsSync, readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { maskFragments, minimumMaskLength, Secrets } from '../src/mask.ts'
import {
  apiKeyPath,
  apiKeyWithSecret,
  expectNoFragment,
  generatePem,
  inputs,
  jsonHeaders,
  listPath,
  page,
  pemBody,
  run,
  serviceToken,
  signingKeyWithSecret,
  signingPath,
  suprsend,
  serveActiveKeyThatRolls,
} from './support/suprsend-fixtures.ts'

const armour = /^-----(BEGIN|END) [A-Z ]+-----$/

function decodeCommand(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * The log as the runner would show it: `::add-mask::` lines are consumed,
 * and from then on each registered value and each of its trimmed, non-empty
 * lines is replaced by `***`.
 */
function runnerView(stdout: string): string {
  const masks = new Set<string>()
  const shown: string[] = []
  for (const line of stdout.split('\n')) {
    const command = /^::add-mask::(.*)$/.exec(line)
    if (command) {
      const value = decodeCommand(command[1] as string)
      masks.add(value)
      for (const part of value.split(/\r?\n/)) if (part.trim() !== '') masks.add(part.trim())
      continue
    }
    let text = line
    for (const mask of [...masks].sort((a, b) => b.length - a.length)) text = text.split(mask).join('***')
    shown.push(text)
  }
  return shown.join('\n')
}

interface WriteEvent {
  /** What was written to stdout. */
  chunk: string
  /** The GITHUB_OUTPUT file's content at that moment. */
  outputFile: string
}

let stopObserving: (() => void) | undefined
afterEach(() => {
  stopObserving?.()
  stopObserving = undefined
})

/**
 * Records every stdout write together with the GITHUB_OUTPUT file as it was
 * at that moment, so the order of mask registrations and output writes can
 * be checked. It observes whatever function the harness installs as
 * process.stdout.write, and changes nothing the action does.
 */
function observeWrites(): WriteEvent[] {
  const events: WriteEvent[] = []
  const stdout = process.stdout as NodeJS.WriteStream & { write: NodeJS.WriteStream['write'] }
  const own = Object.getOwnPropertyDescriptor(stdout, 'write')
  let current = stdout.write
  Object.defineProperty(stdout, 'write', {
    configurable: true,
    get: () => current,
    set: (installed: NodeJS.WriteStream['write']) => {
      current = function (this: unknown, chunk: string | Uint8Array, ...rest: unknown[]) {
        const path = process.env['GITHUB_OUTPUT']
        events.push({
          chunk: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'),
          outputFile: path && existsSync(path) ? readFileSync(path, 'utf8') : '',
        })
        return (installed as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
      } as NodeJS.WriteStream['write']
    },
  })
  stopObserving = () => {
    if (own) Object.defineProperty(stdout, 'write', own)
    else delete (stdout as { write?: unknown }).write
  }
  return events
}

describe('maskFragments', () => {
  it('gives each base64 body line of a PEM and the joined body, never armour or blank lines', () => {
    const pem = generatePem()
    const body = pemBody(pem)

    const fragments = maskFragments(pem)

    expect(fragments).toEqual([...body, body.join('')])
    for (const fragment of fragments) {
      expect(fragment).not.toMatch(armour)
      expect(fragment.trim()).not.toBe('')
      expect(fragment).not.toContain('\n')
    }
  })

  it('treats CRLF line ends and indentation like LF', () => {
    const pem = generatePem()
    const crlf = pem
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\r\n')

    expect(maskFragments(crlf)).toEqual(maskFragments(pem))
  })

  it('masks every base64 line of a multi-line secret, the short last one included', () => {
    const secret = ['-----BEGIN PRIVATE KEY-----', 'ABCDEFGHIJKLMNOP', 'xy==', '', '-----END PRIVATE KEY-----'].join(
      '\n',
    )

    expect(maskFragments(secret)).toEqual(['ABCDEFGHIJKLMNOP', 'xy==', 'ABCDEFGHIJKLMNOPxy=='])
  })

  it('skips only lines shorter than any line of base64 (4 characters), keeping them in the joined body', () => {
    const secret = ['-----BEGIN PRIVATE KEY-----', 'ABCDEFGHIJKLMNOP', 'x=', '-----END PRIVATE KEY-----'].join('\n')

    expect(maskFragments(secret)).toEqual(['ABCDEFGHIJKLMNOP', 'ABCDEFGHIJKLMNOPx='])
    expect(minimumMaskLength).toBe(4)
  })

  it('masks a single-line secret whatever its length', () => {
    expect(maskFragments('abc')).toEqual(['abc'])
    expect(maskFragments('  sst_0123456789  ')).toEqual(['sst_0123456789'])
    const base64 = Buffer.from(generatePem()).toString('base64')
    expect(maskFragments(base64)).toEqual([base64])
  })

  it('gives nothing for a value that is only armour or whitespace', () => {
    expect(maskFragments('')).toEqual([])
    expect(maskFragments(' \n\n ')).toEqual([])
    expect(maskFragments('-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n')).toEqual([])
  })

  it('never repeats a fragment', () => {
    const line = 'QUJDREVGR0hJSktMTU5PUA'
    expect(maskFragments(`${line}\n${line}\n`)).toEqual([line, `${line}${line}`])
  })
})

describe('the runner view used below', () => {
  it('masks a value only from the line it was registered on', () => {
    const view = runnerView(['early s3cr3t-value', '::add-mask::s3cr3t-value', 'late s3cr3t-value'].join('\n'))
    expect(view).toBe(['early s3cr3t-value', 'late ***'].join('\n'))
  })
})

describe('a signing key from SuprSend', () => {
  async function rotate() {
    const { agent, pool } = suprsend()
    const { rolledTo } = serveActiveKeyThatRolls(pool)
    const events = observeWrites()
    const result = await run(inputs('rotate-signing-key'), { agent })
    expect(result.error).toBeUndefined()
    return { result, events, key: rolledTo, body: pemBody(rolledTo.private_key_pem) }
  }

  it('registers every base64 body line, the base64 form and the service token, one line per mask', async () => {
    const { result, body, key } = await rotate()

    expect(body.length).toBeGreaterThanOrEqual(3)
    for (const line of body) expect(result.masks.filter((m) => m === line)).toHaveLength(1)
    expect(result.masks).toContain(key.private_key_base64)
    expect(result.masks).toContain(serviceToken)
    expect(result.masks[0]).toBe(serviceToken)
    for (const mask of result.masks) {
      expect(mask).not.toMatch(/[\r\n]/)
      expect(mask).not.toMatch(armour)
      expect(mask).not.toContain('-----')
      expect(mask.trim()).toBe(mask)
      expect(mask.length).toBeGreaterThanOrEqual(minimumMaskLength)
    }
    // The whole PEM is never registered: the runner would split it and blank the armour everywhere.
    expect(result.masks).not.toContain(key.private_key_pem)
    expect(result.stdout).not.toMatch(/^::add-mask::.*-----(BEGIN|END)/m)
    expect(result.stdout).not.toMatch(/^::add-mask::\s*$/m)
  })

  it('registers the masks before any output is written and before anything else is logged', async () => {
    const { result, events, body, key } = await rotate()

    const maskEvents = events.filter((e) => e.chunk.startsWith('::add-mask::'))
    const secretMaskEvents = maskEvents.filter((e) => !e.chunk.includes(serviceToken))
    expect(secretMaskEvents).toHaveLength(body.length + 2)
    // While the masks go out, the output file holds nothing yet.
    for (const event of maskEvents) expect(event.outputFile).toBe('')
    // The first thing logged after the masks is written once the private key is already an output.
    const lastMask = events.lastIndexOf(maskEvents[maskEvents.length - 1] as WriteEvent)
    const next = events[lastMask + 1]
    expect(next?.chunk).toContain('Rolled signing key')
    expect(next?.outputFile).toContain('private-key<<')
    expect(next?.outputFile).toContain(body[0])
    // And the stdout order agrees: every mask line precedes the first non-mask line.
    const lines = result.stdout.split('\n')
    const firstLog = lines.findIndex((line) => line !== '' && !line.startsWith('::add-mask::'))
    for (const line of body) expect(lines.indexOf(`::add-mask::${line}`)).toBeLessThan(firstLog)
    expect(lines.indexOf(`::add-mask::${key.private_key_base64}`)).toBeLessThan(firstLog)
    // The secret outputs are the first ones set.
    expect(result.outputOrder.slice(0, 2)).toEqual(['private-key', 'private-key-base64'])
    expect(result.outputs['private-key']).toBe(key.private_key_pem)
  })

  it('leaves no secret fragment in the log as the runner shows it, nor in the job summary', async () => {
    const { result, key } = await rotate()

    const secrets = [key.private_key_pem, key.private_key_base64, serviceToken]
    expectNoFragment(runnerView(result.stdout), secrets)
    expectNoFragment(result.summary, secrets)
    // Ordinary text, armour included, stays readable in the masked log.
    const view = runnerView(`${result.stdout}-----END PRIVATE KEY-----\nok`)
    expect(view).toContain('-----END PRIVATE KEY-----\nok')
  })

  it('is masked on create as well as on roll', async () => {
    const { agent, pool } = suprsend()
    const created = signingKeyWithSecret()
    pool.intercept({ path: listPath(signingPath), method: 'GET' }).reply(200, page([]), { headers: jsonHeaders })
    pool.intercept({ path: signingPath, method: 'POST' }).reply(201, created, { headers: jsonHeaders })
    const events = observeWrites()

    const result = await run(inputs('create-signing-key'), { agent })

    expect(result.error).toBeUndefined()
    expect(result.masks).toEqual([
      serviceToken,
      ...pemBody(created.private_key_pem),
      pemBody(created.private_key_pem).join(''),
      created.private_key_base64,
    ])
    for (const event of events.filter((e) => e.chunk.startsWith('::add-mask::'))) expect(event.outputFile).toBe('')
    expectNoFragment(runnerView(result.stdout), [created.private_key_pem, created.private_key_base64])
  })
})

describe('an API key from SuprSend', () => {
  it('is registered before its output is written and appears nowhere else', async () => {
    const { agent, pool } = suprsend()
    const created = apiKeyWithSecret()
    pool.intercept({ path: apiKeyPath, method: 'POST' }).reply(201, created, { headers: jsonHeaders })
    const events = observeWrites()

    const result = await run(inputs('create-api-key', { name: 'backend-prod' }), { agent })

    expect(result.error).toBeUndefined()
    expect(result.masks).toEqual([serviceToken, created.api_key])
    const maskEvent = events.find((e) => e.chunk === `::add-mask::${created.api_key}\n`)
    expect(maskEvent?.outputFile).toBe('')
    expect(result.outputOrder[0]).toBe('api-key')
    expect(result.outputs['api-key']).toBe(created.api_key)
    expectNoFragment(runnerView(result.stdout), [created.api_key, serviceToken])
    expectNoFragment(result.summary, [created.api_key, serviceToken])
    expect(result.summary).toContain(created.masked_api_key)
  })
})

describe('the service token', () => {
  it('is registered first, even when the inputs are rejected', async () => {
    const { agent } = suprsend()

    const result = await run(inputs('no-such-operation'), { agent })

    expect(result.masks).toEqual([serviceToken])
    expect(result.stdout.startsWith(`::add-mask::${serviceToken}\n`)).toBe(true)
    expect(result.calls).toEqual([])
    expect(result.error).toContain("Input 'operation'")
  })
})

describe('Secrets.redact', () => {
  it('scrubs a registered secret as is, JSON-escaped and URL-encoded, whole value first', () => {
    const secrets = new Secrets()
    const token = 'tok"en\\with/odd+chars'
    secrets.add(token)
    const pem = generatePem()
    secrets.add(pem)
    const echoed = `server said ${token}; as JSON ${JSON.stringify(token)}; in a URL ${encodeURIComponent(token)}`
    const redacted = secrets.redact(`${echoed}\n${pem}`)
    expect(redacted).not.toContain('tok')
    expect(redacted).toContain('server said ***; as JSON "***"; in a URL ***')
    for (const line of pemBody(pem)) expect(redacted).not.toContain(line)
  })
})
