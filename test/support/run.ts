// Runs main() in this process the way the runner runs the action: inputs as INPUT_* variables, the
// real @actions/core writing workflow commands to stdout and outputs to GITHUB_OUTPUT, and undici
// sending real HTTP to the loopback sandboxes. The result is what the runner would show.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as core from '@actions/core'
import type { Dispatcher } from 'undici'
import type { SignalSource } from '../../src/cancel.ts'
import { createDispatcher } from '../../src/http/dispatcher.ts'
import { main } from '../../src/main.ts'
import { decodeCommandData, inputEnvName, maskRunnerLog, parseFileCommand } from '../sandbox/index.ts'

// @actions/core remembers the summary file's path, so one pair of files serves every run in a worker.
const dir = mkdtempSync(join(tmpdir(), 'suprsend-action-'))
const files = { output: join(dir, 'output'), summary: join(dir, 'summary') }

export interface RunView {
  exitCode: number
  /** stdout as the runner would show it, with every registered mask applied. */
  log: string
  /** stdout as written, workflow commands included. */
  stdout: string
  outputs: Record<string, string>
  summary: string
  /** The decoded `::error::` message, when the run failed. */
  error: string | undefined
  warnings: string[]
  masks: string[]
  /** The toolkit calls in order: 'setSecret', 'setOutput <name>', 'setFailed'. */
  calls: string[]
}

export interface RunOptions {
  env?: Record<string, string>
  signals?: SignalSource
  now?: () => number
  dispatcher?: Dispatcher
  /** Called with a function that returns what stdout holds so far, as soon as the run starts. */
  watch?: (stdout: () => string) => void
}

function commands(stdout: string, name: string): string[] {
  return [...stdout.matchAll(new RegExp(`^::${name}::(.*)$`, 'gm'))].map((m) => decodeCommandData(m[1] as string))
}

export async function runMain(inputs: Record<string, string>, options: RunOptions = {}): Promise<RunView> {
  writeFileSync(files.output, '')
  writeFileSync(files.summary, '')
  const saved = process.env
  process.env = {
    PATH: saved['PATH'] ?? '',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: 'acme/app',
    ...options.env,
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [inputEnvName(name), value])),
  }
  let stdout = ''
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  options.watch?.(() => stdout)
  const dispatcher = options.dispatcher ?? createDispatcher(process.env)
  const calls: string[] = []
  // The real toolkit, watched: the order of masks and outputs is part of what is tested.
  const watched = {
    ...core,
    setSecret: (secret: string) => (calls.push('setSecret'), core.setSecret(secret)),
    setOutput: (name: string, value: unknown) => (calls.push(`setOutput ${name}`), core.setOutput(name, value)),
    setFailed: (message: string | Error) => (calls.push('setFailed'), core.setFailed(message)),
  }
  let exitCode: number
  try {
    await main({
      core: watched,
      env: process.env,
      dispatcher,
      ...(options.signals ? { signals: options.signals } : {}),
      ...(options.now ? { now: options.now } : {}),
    })
  } finally {
    process.stdout.write = write
    exitCode = Number(process.exitCode ?? 0)
    process.exitCode = 0
    process.env = saved
    if (!options.dispatcher) await dispatcher.close()
  }
  const { log, masks } = maskRunnerLog(stdout)
  return {
    exitCode,
    log,
    stdout,
    outputs: parseFileCommand(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    error: commands(stdout, 'error')[0],
    warnings: commands(stdout, 'warning'),
    masks,
    calls,
  }
}
