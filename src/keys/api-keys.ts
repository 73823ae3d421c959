import { listOperation } from '../suprsend/client.ts'
import { SuprSendError } from '../suprsend/errors.ts'
import type { ApiKey } from '../suprsend/types.ts'
import type { Step } from '../step.ts'
import { deleteKey, findKey, isDue, notFound, recordDeletion, recordList, rowOf, storeClause } from './shared.ts'

/** API keys: server-side secrets. SuprSend shows a new key's secret once; lists carry only `masked_api_key`. */

const listFields = [
  'id',
  'masked_api_key',
  'name',
  'is_deleted',
  'allowed_domains',
  'created_at',
  'created_by',
  'deleted_at',
  'deleted_by',
] as const
const rowFields = ['id', 'name', 'masked_api_key', 'created_at'] as const

export async function listApiKeys(step: Step): Promise<void> {
  recordList(step, await step.suprsend.listApiKeys(), listFields, rowFields, 'API key')
}

/** Creates the key, masks it and sets its outputs at once, then stores it; true when stored everywhere. */
async function createAndStore(step: Step, name: string): Promise<{ id: string; stored: boolean }> {
  const { description } = step.plan
  step.beginChange()
  const key = await step.suprsend.createApiKey({ name, ...(description ? { description } : {}) })
  step.keyArrived({ 'api-key': key.api_key }, [key.api_key])
  step.report.outputs['key-id'] = key.id
  step.report.rows = [rowOf(key, rowFields), ...step.report.rows]
  const id = key.id || `(SuprSend's answer had no id; run ${listOperation.api} to see it)`
  step.did(`Created API key ${id} ('${key.name ?? name}')`)
  return { id, stored: await step.store(key.api_key, `The new API key ${id}`) }
}

export async function createApiKey(step: Step): Promise<void> {
  const name = step.plan.name as string
  await step.preflight()
  if (step.plan.dryRun) return step.wouldDo(`create API key '${name}'${storeClause(step)}`)
  await createAndStore(step, name)
}

/** The key named by 'api-key-id', whose name the new key reuses and which is deleted once the new one is stored. */
async function oldKey(step: Step): Promise<ApiKey | undefined> {
  const oldId = step.plan.apiKeyId
  const [keys] = await Promise.all([oldId ? step.suprsend.listApiKeys() : Promise.resolve([]), step.preflight()])
  if (!oldId) return undefined
  const old = findKey(keys, 'id', oldId, 'API key')
  if (!old) notFound(step, 'API key', oldId, 'api-key-id')
  step.report.rows = [rowOf(old, rowFields)]
  step.report.outputs['previous-key-id'] = oldId
  return old
}

/** Deletes the old key only after the new one is stored everywhere, and never after a cancellation. */
async function retire(step: Step, oldId: string, newId: string, stored: boolean): Promise<void> {
  const { report } = step
  if (!stored) {
    report.failure = `${report.failure ?? ''} The old API key ${oldId} was not deleted.`.trim()
    return
  }
  const where = report.written.map((w) => w.target).join(', ')
  const keep = `Both keys work now: delete ${oldId} with delete-api-key once nothing uses it`
  if (step.cancelled()) {
    report.failure = `The new API key ${newId} was created and stored (${where}), but the run was cancelled before the old API key ${oldId} was deleted. ${keep}`
    return
  }
  try {
    recordDeletion(step, await step.suprsend.deleteApiKey(oldId), `the old API key ${oldId}`)
  } catch (error) {
    // The new key is stored everywhere; say so, or the reader would think the rotation was lost.
    report.failure = `The new API key ${newId} was created and stored (${where}), but deleting the old API key ${oldId} failed: ${(error as Error).message}. ${keep}`
  }
}

export async function rotateApiKey(step: Step): Promise<void> {
  step.report.outputs['rotated'] = 'false'
  const old = await oldKey(step)
  const name = step.plan.name ?? old?.name
  if (!name) throw new SuprSendError(`API key '${old?.id}' has no name to reuse; set input 'name'`)
  if (old && !isDue(step, `API key ${old.id}`, old.created_at, 'created_at')) return
  const retiring = old ? `, then delete API key ${old.id}` : ''
  if (step.plan.dryRun) return step.wouldDo(`create API key '${name}'${storeClause(step)}${retiring}`)
  const { id, stored } = await createAndStore(step, name)
  step.report.outputs['rotated'] = 'true'
  if (old) await retire(step, old.id, id, stored)
}

export async function deleteApiKey(step: Step): Promise<void> {
  const id = step.plan.apiKeyId as string
  step.report.outputs['key-id'] = id
  await deleteKey(step, {
    field: 'id',
    id,
    noun: 'API key',
    input: 'api-key-id',
    list: () => step.suprsend.listApiKeys(),
    remove: () => step.suprsend.deleteApiKey(id),
    rowFields,
    describe: (key: ApiKey) => `${key.id} ('${key.name ?? ''}')`,
  })
}
