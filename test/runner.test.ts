import * as actionsCore from '@actions/core'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runner, type Core } from '../src/runner.ts'

/**
 * The action speaks the runner's protocol through src/runner.ts instead of
 * loading @actions/core. These tests run the same calls through both and
 * require the same bytes on stdout and in the output and summary files.
 */

const pem = [
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVSmcF1b4kJoiA8vV',
  'rF80nhgN0M7SfBSn1K0Y2dnO7hKhRANCAATVxJ2vvRL6n2lLoo2PgsmHLlhEZgJs',
  'O0DWuZoPLfVrRYiulLDdRFI+RsQr0W8d0HU3XBHNHSoGmHUj9U9+NJE6',
  '-----END PRIVATE KEY-----',
  '',
].join('\n')

interface Captured {
  stdout: string
  output: string
  summary: string
  exitCode: number | string | undefined
}

let dir: string
let saved: NodeJS.ProcessEnv

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-test-'))
  saved = { ...process.env }
})

afterEach(() => {
  process.env = saved
  process.exitCode = 0
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `script` against one implementation with fresh files and a captured stdout. */
async function capture(core: Core, script: (core: Core) => Promise<void> | void, withFiles = true): Promise<Captured> {
  const output = join(dir, `output-${Math.random()}`)
  const summary = join(dir, `summary-${Math.random()}`)
  writeFileSync(output, '')
  writeFileSync(summary, '')
  if (withFiles) {
    process.env['GITHUB_OUTPUT'] = output
    process.env['GITHUB_STEP_SUMMARY'] = summary
  } else {
    delete process.env['GITHUB_OUTPUT']
    delete process.env['GITHUB_STEP_SUMMARY']
  }
  process.exitCode = 0
  let stdout = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  try {
    await script(core)
  } finally {
    process.stdout.write = write
  }
  const exitCode = process.exitCode
  process.exitCode = 0
  return { stdout, output: readFileSync(output, 'utf8'), summary: readFileSync(summary, 'utf8'), exitCode }
}

/** The heredoc delimiter is random in both; make it comparable. */
const sameDelimiters = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_X')

async function both(script: (core: Core) => Promise<void> | void, withFiles = true) {
  const ours = await capture(runner, script, withFiles)
  // @actions/core remembers the summary file it first used; forget it so each run uses its own.
  ;(actionsCore.summary as unknown as { _filePath?: string })._filePath = undefined
  const reference = await capture(actionsCore as unknown as Core, script, withFiles)
  return { ours, reference }
}

describe('the runner module writes what @actions/core writes', () => {
  it('reads inputs the same way, trimmed, with spaces as underscores and hyphens kept', async () => {
    process.env['INPUT_SERVICE-TOKEN'] = '  tok  '
    process.env['INPUT_A_B'] = 'x'
    expect(runner.getInput('service-token')).toBe(actionsCore.getInput('service-token'))
    expect(runner.getInput('service-token')).toBe('tok')
    expect(runner.getInput('a b')).toBe(actionsCore.getInput('a b'))
    expect(runner.getInput('missing')).toBe(actionsCore.getInput('missing'))
  })

  it('registers masks, including multi-line and percent-encoded values', async () => {
    const { ours, reference } = await both((core) => {
      core.setSecret('plain-secret')
      core.setSecret(pem)
      core.setSecret('100%\r\nsure')
    })
    expect(ours.stdout).toBe(reference.stdout)
    expect(ours.stdout).toContain('::add-mask::-----BEGIN PRIVATE KEY-----%0AMIGH')
  })

  it('writes outputs to GITHUB_OUTPUT as heredocs, multi-line PEM included', async () => {
    const { ours, reference } = await both((core) => {
      core.setOutput('private-key', pem)
      core.setOutput('key-id', 'ws_signk_1')
      core.setOutput('empty', '')
    })
    expect(ours.stdout).toBe(reference.stdout)
    expect(sameDelimiters(ours.output)).toBe(sameDelimiters(reference.output))
    expect(ours.output).toContain(`private-key<<ghadelimiter_`)
    expect(ours.output).toContain(pem)
  })

  it('falls back to ::set-output without GITHUB_OUTPUT', async () => {
    const { ours, reference } = await both((core) => core.setOutput('keys', '[{"a":1}]\nsecond line'), false)
    expect(ours.stdout).toBe(reference.stdout)
    expect(ours.stdout).toContain('::set-output name=keys::[{"a":1}]%0Asecond line')
  })

  it('fails with ::error:: and exit code 1, warns with ::warning::, logs plain lines', async () => {
    const { ours, reference } = await both((core) => {
      core.info('Rolled signing key signing_key_1')
      core.warning('Could not write the job summary: 50% full\nnext')
      core.setFailed("rotate-signing-key in workspace 'staging' failed: 100% broken.")
    })
    expect(ours.stdout).toBe(reference.stdout)
    expect(ours.exitCode).toBe(1)
    expect(reference.exitCode).toBe(1)
  })

  it('appends the job summary to GITHUB_STEP_SUMMARY', async () => {
    const { ours, reference } = await both(async (core) => {
      await core.summary.addRaw('## One\n').write()
      await core.summary.addRaw('| a | b |\n').write()
    })
    expect(ours.summary).toBe(reference.summary)
    expect(ours.summary).toBe('## One\n| a | b |\n')
  })
})
