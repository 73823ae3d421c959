import { setTimeout as sleep } from 'node:timers/promises'
import * as actionsCore from '@actions/core'
import type { Dispatcher } from 'undici'
import { Cancellation, type SignalSource } from './cancel.ts'
import { Execution } from './execute.ts'
import { createDispatcher, EnvironmentError } from './http/dispatcher.ts'
import { CancelledError } from './http/send.ts'
import { inputNames, parsePlan, type RawInputs } from './inputs/plan.ts'
import type { StorePlan } from './inputs/store.ts'
import { InputError } from './inputs/values.ts'
import { operations, type OperationName } from './operations.ts'
import { renderSummary } from './report/summary.ts'
import { Secrets } from './report/text.ts'
import type { Plan } from './step.ts'
import { SuprSendClient } from './suprsend/client.ts'

/** The part of @actions/core the action uses: tests inject their own, @github/local-action its stub. */
export type Core = Pick<
  typeof actionsCore,
  'getInput' | 'setSecret' | 'setOutput' | 'setFailed' | 'info' | 'warning' | 'summary'
>

export interface Dependencies {
  core: Core
  env: Record<string, string | undefined>
  /** Sends every request, SuprSend's and GitHub's. */
  dispatcher: Dispatcher
  signals?: SignalSource
  now?: () => number
}

/** GitHub shows an annotation of up to 4 KiB; the whole `::warning::` or `::error::` line stays within it. */
const maxAnnotationBytes = 4096 - '::warning::'.length - 1

function sentence(text: string): string {
  const trimmed = text.trim()
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/** Everything the action says to the runner, each text scrubbed of every secret first. */
function speaker(core: Core, secrets: Secrets, env: Dependencies['env']) {
  const outputs = new Map<string, string>()
  return {
    mask(secret: string) {
      for (const fragment of secrets.add(secret)) core.setSecret(fragment)
    },
    info: (message: string) => core.info(secrets.line(message)),
    warning: (message: string) => core.warning(secrets.annotation(message, maxAnnotationBytes)),
    fail: (message: string) => core.setFailed(secrets.annotation(sentence(message), maxAnnotationBytes)),
    /** One output; a runner that cannot take it gets a warning, since a throw here could cost a key. */
    output(name: string, value: string, secret = false) {
      const shown = secret ? value : secrets.scrub(value)
      if (outputs.get(name) === shown) return
      outputs.set(name, shown)
      try {
        core.setOutput(name, shown)
      } catch (error) {
        core.warning(
          secrets.annotation(`Could not set output '${name}': ${(error as Error).message}`, maxAnnotationBytes),
        )
      }
    },
    async summary(render: () => string) {
      if (!env['GITHUB_STEP_SUMMARY']) return
      try {
        await core.summary.addRaw(render()).write()
      } catch (error) {
        core.warning(
          secrets.annotation(`Could not write the job summary: ${(error as Error).message}`, maxAnnotationBytes),
        )
      }
    },
  }
}

/** The action: inputs, then the plan, then the calls, then outputs, summary and failure. */
export async function main(deps: Dependencies): Promise<void> {
  const { core, env } = deps
  const raw: RawInputs = {}
  for (const name of inputNames) raw[name] = core.getInput(name)
  const secrets = new Secrets()
  const say = speaker(core, secrets, env)
  // Tokens are masked before anything, valid or not, can be printed.
  for (const token of [raw['service-token'], raw['github-token']]) if (token) say.mask(token)
  try {
    const plan = parsePlan(raw, env)
    for (const warning of plan.warnings) say.warning(warning)
    await execute(plan, deps, secrets, say)
  } catch (error) {
    if (error instanceof InputError) return say.fail(error.message)
    // A defect: its message, scrubbed, never its stack, which could quote data.
    say.fail(`The action failed unexpectedly: ${(error as Error).message}`)
  }
}

async function execute(plan: Plan, deps: Dependencies, secrets: Secrets, say: ReturnType<typeof speaker>) {
  const { dispatcher, signals, now = Date.now } = deps
  const cancellation = new Cancellation(signals)
  const quote = secrets.quote.bind(secrets)
  const http = {
    dispatcher,
    timeoutMs: plan.timeoutMs,
    signal: cancellation.signal,
    sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : {}),
    onRetry: say.info,
  }
  const execution = new Execution({
    plan,
    suprsend: new SuprSendClient({ ...plan, http, quote }),
    info: say.info,
    warning: say.warning,
    mask: say.mask,
    output: say.output,
    cancellation,
    openGitHub: async (store: StorePlan) => {
      const { openGitHub } = await import('./github/index.ts')
      const options = { token: store.githubToken, baseUrl: store.githubApiUrl, dispatcher, timeoutMs: plan.timeoutMs }
      return openGitHub({ ...options, signal: cancellation.signal, info: say.info, store, quote })
    },
    now,
  })
  let error: string | undefined
  try {
    await operations[plan.operation as OperationName].run(execution)
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown)
    error = thrown instanceof CancelledError ? `${message} before anything was changed in SuprSend` : message
  } finally {
    cancellation.dispose()
  }
  const report = execution.report
  error ??= report.failure
  report.outputs['dry-run'] = String(plan.dryRun)
  for (const [name, value] of Object.entries(report.outputs)) say.output(name, value)
  const failure = error ? sentence(`${plan.operation} in workspace '${plan.workspace}' failed: ${error}`) : undefined
  const context = { operation: plan.operation, workspace: plan.workspace, dryRun: plan.dryRun }
  await say.summary(() =>
    renderSummary({ ...context, ...(failure ? { error: failure } : {}) }, report, (t) => secrets.scrub(t)),
  )
  if (failure) say.fail(failure)
}

/** The entry point, as actions/typescript-action and @github/local-action expect it. */
export async function run(): Promise<void> {
  let dispatcher: Dispatcher
  try {
    dispatcher = createDispatcher(process.env)
  } catch (error) {
    if (error instanceof EnvironmentError) return actionsCore.setFailed(error.message)
    throw error
  }
  try {
    await main({ core: actionsCore, env: process.env, dispatcher, signals: process })
  } finally {
    // Nothing is left to say by now; a failure to close idle connections must not turn a run red.
    await dispatcher.close().catch(() => {})
  }
}
