import type { Cancellation } from './cancel.ts'
import type { GitHubSession } from './github/index.ts'
import { PreflightError } from './github/failures.ts'
import type { WriteReport } from './github/write.ts'
import { CancelledError } from './http/send.ts'
import { targetOf, type StorePlan } from './inputs/store.ts'
import { Report, type Failed, type Plan, type Step } from './step.ts'
import type { SuprSendClient } from './suprsend/client.ts'

/**
 * The Step a handler runs with: the GitHub preflight and writes around the
 * SuprSend calls, the cancellation rule, and the record of what happened.
 * It reaches the runner only through the callbacks main gives it.
 */

export interface ExecutionDeps {
  plan: Plan
  suprsend: SuprSendClient
  info(message: string): void
  warning(message: string): void
  /** Registers a secret with the runner's masker. */
  mask(secret: string): void
  /** Sets an output now, so it survives a later failure; a secret one is not scrubbed. */
  output(name: string, value: string, secret?: boolean): void
  cancellation: Cancellation
  openGitHub(store: StorePlan): Promise<GitHubSession>
  now(): number
}

/** How many failed destinations a message names before it counts the rest. */
const namedInMessage = 3

/** 'a, b, c and 17 more': a list of destinations stays readable at any scale. */
function names(entries: { target: string }[]): string {
  const named = entries.slice(0, namedInMessage).map((entry) => entry.target)
  const more = entries.length - named.length
  return `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
}

/** 'a (why); b (why); c (why) and 17 more (...)': a failure message stays readable at any scale. */
export function someFailures(failures: Failed[]): string {
  const named = failures.slice(0, namedInMessage).map((f) => `${f.target} (${f.reason})`)
  const more = failures.length - named.length
  return `${named.join('; ')}${more > 0 ? ` and ${more} more (every one is in the job summary and output 'failed')` : ''}`
}

export class Execution implements Step {
  readonly report = new Report()
  readonly #deps: ExecutionDeps
  #session: GitHubSession | undefined

  constructor(deps: ExecutionDeps) {
    this.#deps = deps
  }

  get plan(): Plan {
    return this.#deps.plan
  }

  get suprsend(): SuprSendClient {
    return this.#deps.suprsend
  }

  info(message: string): void {
    this.#deps.info(message)
  }

  warning(message: string): void {
    this.#deps.warning(message)
  }

  did(message: string): void {
    this.report.done.push(message)
    this.info(message)
  }

  wouldDo(message: string): void {
    this.report.planned.push(message)
    this.info(`Dry run: would ${message}`)
  }

  now(): number {
    return this.#deps.now()
  }

  cancelled(): boolean {
    return this.#deps.cancellation.received !== undefined
  }

  async preflight(): Promise<void> {
    const store = this.plan.store
    if (!store) return
    this.report.outputs['written'] = '[]'
    this.report.outputs['failed'] = '[]'
    this.#session = await this.#deps.openGitHub(store)
    try {
      const { created, updated, budget } = await this.#session.preflight()
      const left = budget ? `; the token has ${budget.remaining} of ${budget.limit} requests left this hour` : ''
      this.info(
        `GitHub preflight passed for ${store.kind} ${store.name} in ${store.destinations.length} destination${store.destinations.length === 1 ? '' : 's'} (${created} new, ${updated} to update)${left}`,
      )
    } catch (error) {
      const signal = this.#deps.cancellation.received
      if (signal) throw new CancelledError(`the run was cancelled (${signal})`)
      if (!(error instanceof PreflightError)) throw error
      this.#recordWrites({ written: [], failed: error.failures })
      const listed = error.failures.length > 0 ? `: ${someFailures(error.failures)}` : ''
      const advice = error.advice ? `; ${error.advice}` : ''
      throw new PreflightError(`${error.message}, so nothing was changed in SuprSend${listed}${advice}`, error.failures)
    }
  }

  beginChange(): void {
    this.#deps.cancellation.commit()
  }

  keyArrived(outputs: Record<string, string>, secrets: string[]): void {
    // Masks first: nothing below may print or output a secret before the runner knows it.
    for (const secret of secrets) this.#deps.mask(secret)
    for (const [name, value] of Object.entries(outputs)) this.#deps.output(name, value, true)
  }

  #recordWrites(report: WriteReport): void {
    this.report.written = report.written
    this.report.failed = report.failed
    this.report.outputs['written'] = JSON.stringify(report.written)
    this.report.outputs['failed'] = JSON.stringify(report.failed)
    this.#deps.output('written', this.report.outputs['written'])
    this.#deps.output('failed', this.report.outputs['failed'])
  }

  async store(value: string, label: string): Promise<boolean> {
    const store = this.plan.store
    if (!store || !this.#session) {
      if (this.plan.returns !== 'public-key') this.warning(unstoredWarning(this.plan.returns))
      return true
    }
    const what = label.charAt(0).toLowerCase() + label.slice(1)
    let sofar: WriteReport = { written: [], failed: [] }
    const snapshot = () => this.#recordWrites({ ...sofar, failed: [...sofar.failed, ...pendingOf(sofar, store)] })
    this.#deps.cancellation.onLateSignal = (signal) => {
      const pending = pendingOf(sofar, store)
      const waiting = pending.length > 0 ? `; not yet stored in ${names(pending)}` : ''
      this.info(
        `Received ${signal} while storing ${what}: stored in ${sofar.written.length} of ${store.destinations.length} destinations so far${waiting}; storing goes on while the runner allows.`,
      )
      snapshot()
    }
    const report = await this.#session.write(value, (progress) => {
      sofar = progress
      if (this.cancelled()) snapshot()
    })
    this.#recordWrites(report)
    for (const entry of report.written)
      this.did(`Stored ${store.kind} ${entry.name} in ${entry.kind} ${entry.target} (${entry.result})`)
    if (this.cancelled()) {
      const missed = report.failed.length > 0 ? `, not in ${names(report.failed)},` : ''
      this.info(
        `The run was cancelled: ${what} was stored in ${report.written.length} of ${store.destinations.length} destinations${missed} before the step ended.`,
      )
    }
    if (report.failed.length === 0) return true
    const written = report.written.length
    const where = this.plan.store?.kind === 'variable' ? "'public-key' output" : 'masked outputs'
    this.report.failure =
      `${label} exists in SuprSend but was not stored everywhere: written to ${written} of ${store.destinations.length} destinations; ` +
      `not written to ${report.failed.length}: ${someFailures(report.failed)}. ` +
      `The value is still in this step's ${where} for a later 'if: failure()' step to store.`
    return false
  }
}

/** The destinations not reached yet, as failures, for outputs set while the runner is stopping the step. */
function pendingOf(report: WriteReport, store: StorePlan): Failed[] {
  const reason = 'not written yet: the run was cancelled'
  const pending = store.destinations.slice(report.written.length + report.failed.length)
  return pending.map((d) => ({ kind: d.kind, target: targetOf(d), name: store.name, reason }))
}

function unstoredWarning(returns: Plan['returns']): string {
  const outputs = returns === 'private-key' ? "outputs 'private-key' and 'private-key-base64'" : "output 'api-key'"
  const output = returns === 'private-key' ? 'private-key' : 'api-key'
  return (
    `The new key now exists only in this step's ${outputs}, which are gone when the job ends: ` +
    `set 'secret-name' to store it, or store it in a later step of this job, reading it through env ` +
    `(NEW_KEY: \${{ steps.<this step's id>.outputs.${output} }}) and writing it with, for example, printf '%s' "$NEW_KEY" | gh secret set <NAME>.`
  )
}
