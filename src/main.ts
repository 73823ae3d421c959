import { defaultRetryPolicy, type HttpOptions, type Transport } from './http.ts'
import { InputError, inputNames, parsePlan, type Plan, type RawInputs } from './inputs.ts'
import { Secrets } from './mask.ts'
import { Executor } from './execute.ts'
import { SuprSendClient } from './suprsend/client.ts'
import { renderSummary } from './summary.ts'
import type { GitHubRequester } from './github/destinations.ts'

import type { Core } from './runner.ts'

export type { Core }

export interface Collaborators {
  core: Core
  /** Sends every request: node:http or undici's proxy agent in production, undici's MockAgent in tests. */
  dispatcher: Transport
  env: Record<string, string | undefined>
  sleep?: (ms: number) => Promise<void>
  /** Builds the GitHub client; loaded lazily so operations that store nothing never load it. */
  openGitHub?: (token: string, baseUrl: URL, http: HttpOptions) => Promise<GitHubRequester>
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function defaultOpenGitHub(token: string, baseUrl: URL, http: HttpOptions): Promise<GitHubRequester> {
  const { createGitHubClient } = await import('./github/index.ts')
  return createGitHubClient({ token, baseUrl: baseUrl.href, http })
}

function sentence(text: string): string {
  const trimmed = text.trim()
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/**
 * Sets outputs one by one. A runner that cannot take an output (its output
 * file gone) gets a warning, not an exception: an exception here, right
 * after a key arrives, would skip storing that key.
 */
function setOutputs(core: Core, outputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(outputs)) {
    try {
      core.setOutput(name, value)
    } catch (error) {
      core.warning(`Could not set output '${name}': ${(error as Error).message}`)
    }
  }
}

async function writeSummary(core: Core, env: Collaborators['env'], render: () => string): Promise<void> {
  if (!env['GITHUB_STEP_SUMMARY']) return
  try {
    await core.summary.addRaw(render()).write()
  } catch (error) {
    // Never in the way of the failure message or the outputs, which matter more.
    core.warning(`Could not write the job summary: ${(error as Error).message}`)
  }
}

/**
 * The action: inputs in, outputs and summary out. This is the only module
 * that talks to the runner (through `core`).
 */
export async function main({ core, dispatcher, env, sleep = wait, openGitHub }: Collaborators): Promise<void> {
  const raw: RawInputs = {}
  for (const name of inputNames) raw[name] = core.getInput(name)
  // Tokens are masked before anything, valid or not, can be printed.
  const secrets = new Secrets()
  const mask = (secret: string) => {
    for (const fragment of secrets.add(secret)) core.setSecret(fragment)
  }
  for (const token of [raw['service-token'], raw['github-token']]) if (token) mask(token)

  let plan: Plan
  try {
    plan = parsePlan(raw, { GITHUB_REPOSITORY: env['GITHUB_REPOSITORY'], GITHUB_API_URL: env['GITHUB_API_URL'] })
  } catch (error) {
    if (error instanceof InputError) {
      core.setFailed(error.message)
      return
    }
    throw error
  }

  const http: HttpOptions = {
    dispatcher,
    timeoutMs: plan.timeoutMs,
    retry: defaultRetryPolicy,
    sleep,
    onRetry: ({ method, url, attempt, attempts, delayMs, reason }) =>
      core.info(
        `${method} ${url.host}${url.pathname} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts})`,
      ),
  }
  const client = new SuprSendClient({
    apiUrl: plan.apiUrl,
    serviceToken: plan.serviceToken,
    workspace: plan.workspace,
    http,
  })
  const executor = new Executor(plan, client, {
    info: (message) => core.info(secrets.redact(message)),
    onSecret: (outputs, values) => {
      for (const secret of values) mask(secret)
      setOutputs(core, outputs)
    },
    openGitHub: (token, baseUrl) => (openGitHub ?? defaultOpenGitHub)(token, baseUrl, http),
  })

  let error: string | undefined
  try {
    await executor.run()
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown)
  }
  const outcome = executor.outcome
  error ??= outcome.failure
  setOutputs(core, outcome.outputs)
  const failure = error ? sentence(`${plan.operation} in workspace '${plan.workspace}' failed: ${error}`) : undefined
  // The summary is a file the runner does not mask, and the failure may quote a server's words.
  await writeSummary(core, env, () =>
    secrets.redact(
      renderSummary(
        {
          operation: plan.operation,
          workspace: plan.workspace,
          dryRun: plan.dryRun,
          ...(failure ? { error: failure } : {}),
        },
        outcome,
      ),
    ),
  )
  if (failure) core.setFailed(secrets.redact(failure))
}
