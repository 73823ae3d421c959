// The one place where text meets the runner: scrub first, then cut; server text is data; bounds.
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { renderSummary, maxSummaryBytes } from '../src/report/summary.ts'
import { maskFragments, Secrets } from '../src/report/text.ts'
import { Report } from '../src/step.ts'

const token = 'sst_live_0123456789abcdefghijklmnopqrstuvwxyzABCD' // 47 characters, like a service token

function secrets(...values: string[]): Secrets {
  const registry = new Secrets()
  for (const value of values) registry.add(value)
  return registry
}

describe('masking', () => {
  it('registers a PEM line by line without its armour, plus its body as one line', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString()
    const body = pem.split('\n').filter((line) => line && !line.startsWith('-----'))
    expect(maskFragments(pem)).toEqual([...body, body.join('')])
  })

  it('registers a one-line secret whole, whatever its length', () => {
    expect(maskFragments('abc')).toEqual(['abc'])
  })
})

describe('scrub first, then cut', () => {
  it('a token echoed in an error page is scrubbed before the excerpt is cut', () => {
    const page = `<html><body><pre>${'x'.repeat(80)} authorization: ServiceToken ${token}</pre></body></html>`
    const quoted = secrets(token).quote(page, 120, { html: true })
    expect(quoted).not.toMatch(/sst_live_|0123456789/)
    expect(quoted).toContain('ServiceToken ***')
  })

  it('a token that contains markup characters is still scrubbed, in every form a server might echo', () => {
    const odd = 'tok|en<with>"quotes"&%'
    const text = `raw ${odd} json ${JSON.stringify(odd)} url ${encodeURIComponent(odd)}`
    expect(secrets(odd).scrub(text)).toBe('raw *** json "***" url ***')
  })

  it('a long annotation is cut to the byte budget after scrubbing', () => {
    const line = secrets(token).annotation(`${'%'.repeat(5000)} ${token}`, 4086)
    expect(Buffer.byteLength(line.replace(/%/g, '%25'))).toBeLessThanOrEqual(4086)
    expect(line).not.toContain('sst_live_')
  })
})

describe('server text is data', () => {
  it('a newline and a workflow command in server text stay on our line', () => {
    const line = secrets().line('Listed signing_key_x\n::stop-commands::pwned\r\n::error::fake')
    expect(line).toBe('Listed signing_key_x ::stop-commands::pwned ::error::fake')
  })

  it('a line that would start with a command is prefixed', () => {
    expect(secrets().line('::add-mask::x')).toBe('> ::add-mask::x')
  })

  it('invisible and bidirectional characters are flattened', () => {
    expect(secrets().line('a\u202Eb\u200Bc\u2028d')).toBe('a b c d')
  })
})

describe('the job summary', () => {
  const context = { operation: 'list-signing-keys', workspace: 'staging', dryRun: false }

  it('renders server fields as code, never as links, images or HTML', () => {
    const report = new Report()
    report.rows = [{ uid: '![x](https://evil.example/p.png) [click](https://evil.example) <img src=x> `tick` a|b' }]
    report.done.push('Listed ```\n## injected')
    const summary = renderSummary(context, report, (t) => t)
    expect(summary).toContain(
      '| `` ![x](https://evil.example/p.png) [click](https://evil.example) <img src=x> `tick` a\\|b `` |',
    )
    expect(summary).toContain('````text\nListed ``` ## injected\n````')
  })

  it('scrubs before it escapes, so a token with | < > in it is not left behind', () => {
    const odd = 'a|b<c>d_secret_value'
    const report = new Report()
    report.rows = [{ value: `token ${odd}` }]
    expect(renderSummary(context, report, (t) => secrets(odd).scrub(t))).toContain('` token *** `')
  })

  it('stays under 1 MiB when a server sends megabytes', () => {
    const report = new Report()
    report.failed = Array.from({ length: 2000 }, (_, i) => ({
      kind: 'repository' as const,
      target: `acme/r${i}`,
      name: 'K',
      reason: 'x'.repeat(5000),
    }))
    const summary = renderSummary({ ...context, error: 'e'.repeat(9_000_000) }, report, (t) => t)
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(maxSummaryBytes)
    expect(summary).toContain("output 'failed' lists every destination not stored")
  })
})
