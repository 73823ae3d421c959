import type { Destination, Returns, StorePlan } from './inputs/store.ts'
import type { SuprSendClient } from './suprsend/client.ts'

/**
 * What an operation's handler works with, and what it leaves behind. A
 * handler never talks to the runner: it reads its plan, calls SuprSend
 * through `suprsend`, stores through `store`, and records what happened in
 * `report`, which main turns into outputs, the summary and the failure.
 */

export interface Plan {
  operation: string
  serviceToken: string
  workspace: string
  apiUrl: URL
  timeoutMs: number
  dryRun: boolean
  /** The key inputs this operation takes, validated; absent when not given. */
  signingKeyUid?: string
  publicKeyId?: string
  apiKeyId?: string
  name?: string
  description?: string
  rotateIfOlderThan?: { ms: number; text: string }
  /** What the operation returns that can be stored. */
  returns?: Returns
  store?: StorePlan
  /** Warnings about the inputs that did not stop the run. */
  warnings: string[]
}

export type Row = Record<string, string>

export interface Written {
  kind: Destination['kind']
  target: string
  name: string
  result: 'created' | 'updated'
}

export interface Failed {
  kind: Destination['kind']
  target: string
  name: string
  reason: string
}

export class Report {
  /** Non-secret outputs; the secret ones are set the moment they arrive. */
  readonly outputs: Record<string, string> = {}
  /** The keys listed or acted on, without secret fields, for the summary. */
  rows: Row[] = []
  readonly done: string[] = []
  readonly planned: string[] = []
  written: Written[] = []
  failed: Failed[] = []
  /** Set when the run failed after something had changed (a key rolled but not stored everywhere). */
  failure?: string
}

export interface Step {
  readonly plan: Plan
  readonly suprsend: SuprSendClient
  readonly report: Report
  info(message: string): void
  warning(message: string): void
  /** Something changed: logged and listed under "Done". */
  did(message: string): void
  /** In a dry run, a change that would be made. */
  wouldDo(message: string): void
  /** Checks every GitHub destination (nothing when not storing) before anything changes in SuprSend. */
  preflight(): Promise<void>
  /** Right before the first request that changes SuprSend: throws if the run has been cancelled. */
  beginChange(): void
  /** A new secret arrived: mask every form of it, then set the outputs that carry it, at once. */
  keyArrived(outputs: Record<string, string>, secrets: string[]): void
  /** Writes `value` to every destination; true when all were written (or nothing was to be stored). */
  store(value: string, label: string): Promise<boolean>
  /** Whether a cancellation signal has arrived. */
  cancelled(): boolean
  now(): number
}
