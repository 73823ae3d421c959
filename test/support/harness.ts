import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent } from 'undici'
import { main, type Collaborators } from '../../src/main.ts'
import { runner } from '../../src/runner.ts'

export const apiUrl = 'https://management-api.suprsend.com'
export const githubUrl = 'https://api.github.com'
export const serviceToken = 'sst_test_0123456789abcdef'
export const githubToken = 'ghs_test_token_abcdefghijklmnop'

/** A MockAgent that refuses real network access and records every call. */
export function mockAgent(): MockAgent {
  const agent = new MockAgent({ enableCallHistory: true })
  agent.disableNetConnect()
  return agent
}

export interface RunResult {
  /** Everything the action wrote to stdout, workflow commands included. */
  stdout: string
  /** Values registered with `::add-mask::`, decoded, in order. */
  masks: string[]
  /** Step outputs parsed from the GITHUB_OUTPUT file, in the order they were set. */
  outputs: Record<string, string>
  outputOrder: string[]
  summary: string
  /** The `::error::` message, decoded, when the action failed. */
  error: string | undefined
  /** Delays the action asked to sleep for, in ms (tests never really wait). */
  sleeps: number[]
  /** The requests the dispatcher saw: method, full URL, headers and body. */
  calls: { method: string; url: string; headers: Record<string, string>; body: string | undefined }[]
}

function decodeCommand(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function parseOutputFile(text: string): { outputs: Record<string, string>; order: string[] } {
  const outputs: Record<string, string> = {}
  const order: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] as string)
    if (!match) continue
    const [, name, delimiter] = match as unknown as [string, string, string]
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string)
    outputs[name] = value.join('\n')
    order.push(name)
  }
  return { outputs, order }
}

/**
 * Runs main() the way the runner would run the action: inputs from
 * INPUT_* variables, outputs to a GITHUB_OUTPUT file, the summary to
 * GITHUB_STEP_SUMMARY, with the action's own runner module writing to stdout
 * (test/runner.test.ts proves it writes what @actions/core writes).
 */
export async function runMain(
  inputs: Record<string, string>,
  options: { agent: MockAgent; env?: Record<string, string>; openGitHub?: Collaborators['openGitHub'] },
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'action-test-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const saved = { ...process.env }
  const env: Record<string, string> = {
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_API_URL: githubUrl,
    ...options.env,
  }
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key]
  for (const [name, value] of Object.entries(inputs))
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  Object.assign(process.env, env)

  let stdout = ''
  const originalWrite = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  const sleeps: number[] = []
  options.agent.clearCallHistory()
  try {
    await main({
      core: runner,
      dispatcher: options.agent,
      env,
      sleep: async (ms) => {
        sleeps.push(ms)
      },
      ...(options.openGitHub ? { openGitHub: options.openGitHub } : {}),
    })
  } finally {
    process.stdout.write = originalWrite
    process.env = saved
    process.exitCode = 0
  }
  const { outputs, order } = parseOutputFile(readFileSync(outputFile, 'utf8'))
  const summary = readFileSync(summaryFile, 'utf8')
  rmSync(dir, { recursive: true, force: true })
  const masks = [...stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => decodeCommand(m[1] as string))
  const errorLine = /^::error::(.*)$/m.exec(stdout)
  const calls = (options.agent.getCallHistory()?.calls() ?? []).map((call) => ({
    method: call.method,
    url: call.fullUrl,
    headers: Object.fromEntries(Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: typeof call.body === 'string' ? call.body : undefined,
  }))
  return {
    stdout,
    masks,
    outputs,
    outputOrder: order,
    summary,
    error: errorLine ? decodeCommand(errorLine[1] as string) : undefined,
    sleeps,
    calls,
  }
}

/** A real EC P-256 PKCS#8 PEM, as SuprSend returns it. */
export { generateKeyPairSync } from 'node:crypto'
