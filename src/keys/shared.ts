import { targetOf } from '../inputs/store.ts'
import type { Deletion as Deleted } from '../suprsend/client.ts'
import { SuprSendError } from '../suprsend/errors.ts'
import type { Row, Step } from '../step.ts'

/** What the three key families share: listing, lookups that distrust their list, and the age rule. */

const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value))

/** A summary row of the given fields; absent ones are empty. */
export function rowOf(key: object, fields: readonly string[]): Row {
  const record = key as Record<string, unknown>
  return Object.fromEntries(fields.map((field) => [field, text(record[field])]))
}

/** Drops exact repeats of an entry; entries that share an id but differ are kept, for `findKey` to refuse. */
export function distinct<T extends object>(keys: T[]): T[] {
  const seen = new Set<string>()
  return keys.filter((key) => !seen.has(JSON.stringify(key)) && Boolean(seen.add(JSON.stringify(key))))
}

/** The list output carries the documented fields only, so no secret field can slip through. */
export function recordList(
  step: Step,
  keys: object[],
  fields: readonly string[],
  rowFields: readonly string[],
  noun: string,
) {
  const listed = distinct(keys)
  step.report.outputs['keys'] = JSON.stringify(
    listed.map((key) =>
      Object.fromEntries(fields.filter((f) => f in key).map((f) => [f, (key as Record<string, unknown>)[f]])),
    ),
  )
  step.report.rows = listed.map((key) => rowOf(key, rowFields))
  step.did(`Listed ${listed.length} ${noun}${listed.length === 1 ? '' : 's'}`)
}

/**
 * The one entry with this id, or undefined. An id listed twice with
 * different contents means the list cannot be trusted to act on.
 */
export function findKey<T extends object>(keys: T[], field: keyof T, id: string, noun: string): T | undefined {
  const matches = distinct(keys.filter((key) => key[field] === id))
  if (matches.length > 1) {
    throw new SuprSendError(
      `SuprSend listed ${noun} '${id}' ${matches.length} times with different details, so the action will not act on it; check the workspace's keys`,
    )
  }
  return matches[0]
}

export function notFound(step: Step, noun: string, id: string, input: string): never {
  throw new SuprSendError(`${noun} '${id}' was not found in workspace '${step.plan.workspace}'; check input '${input}'`)
}

/** A key to delete by the id an input gave, and how a dry run finds it in its list. */
export interface KeyToDelete<T extends object> {
  field: keyof T & string
  id: string
  noun: string
  input: string
  list: () => Promise<T[]>
  remove: () => Promise<Deleted>
  rowFields: readonly string[]
  describe: (key: T) => string
}

/** Deletes the key; a dry run instead checks that it is listed and says what it would delete. */
export async function deleteKey<T extends object>(step: Step, target: KeyToDelete<T>): Promise<void> {
  const { id, noun } = target
  if (!step.plan.dryRun) {
    step.beginChange()
    return recordDeletion(step, await target.remove(), `${noun} ${id}`)
  }
  const key = findKey(await target.list(), target.field, id, noun)
  if (!key) notFound(step, noun, id, target.input)
  step.report.rows = [rowOf(key, target.rowFields)]
  step.wouldDo(`delete ${noun} ${target.describe(key)}`)
}

export function recordDeletion(step: Step, result: Deleted, what: string): void {
  step.did(
    result === 'deleted'
      ? `Deleted ${what}`
      : `Deleted ${what} (an earlier attempt went through; the retry found it gone)`,
  )
}

/**
 * The `rotate-if-older-than` rule. True when the key is due (or no rule was
 * given); false after recording that it is not due yet and when it will be.
 */
export function isDue(step: Step, what: string, since: string | null | undefined, field: string): boolean {
  const rule = step.plan.rotateIfOlderThan
  if (!rule) return true
  const at = typeof since === 'string' ? Date.parse(since) : Number.NaN
  if (Number.isNaN(at)) {
    throw new SuprSendError(
      `${what} has no usable '${field}' (${since ? 'not a timestamp' : 'it is empty'}), so its age against rotate-if-older-than '${rule.text}' is unknown; rotate it once without rotate-if-older-than`,
    )
  }
  const ageDays = ((step.now() - at) / 86_400_000).toFixed(1)
  const dueAt = new Date(at + rule.ms).toISOString()
  if (step.now() - at >= rule.ms) {
    step.info(`${what} is ${ageDays} days old (${field} ${since}), older than ${rule.text}: rotating it.`)
    return true
  }
  step.report.outputs['rotated'] = 'false'
  step.did(
    `Not rotated: ${what} is ${ageDays} days old (${field} ${since}), so it is not due until ${dueAt} (rotate-if-older-than: ${rule.text})`,
  )
  return false
}

/** ' and store it in secret X in repository a/b, ...' for a dry run's plan, or '' when not storing. */
export function storeClause(step: Step): string {
  const store = step.plan.store
  if (!store) return ''
  const shown = store.destinations.slice(0, 5).map((d) => `${d.kind} ${targetOf(d)}`)
  const more = store.destinations.length - shown.length
  const where = `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
  const type = store.secretType === 'actions' ? '' : `${store.secretType} `
  return ` and store it in ${type}${store.kind} ${store.name} in ${where}`
}
