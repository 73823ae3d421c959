import type { PublicKey } from '../suprsend/types.ts'
import type { Step } from '../step.ts'
import { findKey, isDue, notFound, recordDeletion, recordList, rowOf, storeClause } from './shared.ts'

/** Public keys: the `SS.PUBK...` values client SDKs use. Not secret; stored in variables. */

const listFields = [
  'id',
  'api_key',
  'name',
  'allowed_domains',
  'is_secure_mode_enabled',
  'is_deleted',
  'is_default',
  'created_at',
  'created_by',
  'rotated_at',
  'rotated_by',
  'updated_at',
  'updated_by',
] as const

const rowFields = ['id', 'name', 'api_key', 'is_secure_mode_enabled', 'is_default', 'rotated_at'] as const

export async function listPublicKeys(step: Step): Promise<void> {
  recordList(step, await step.suprsend.listPublicKeys(), listFields, rowFields, 'public key')
}

function recordKey(step: Step, key: PublicKey): void {
  const { outputs } = step.report
  outputs['key-id'] = key.id
  outputs['public-key'] = key.api_key
  outputs['secure-mode'] = typeof key.is_secure_mode_enabled === 'boolean' ? String(key.is_secure_mode_enabled) : ''
  step.report.rows = [rowOf(key, rowFields)]
}

/** The key named by 'public-key-id', from the list: dry runs and the age rule need it before any change. */
async function existing(step: Step): Promise<PublicKey> {
  const id = step.plan.publicKeyId as string
  const [keys] = await Promise.all([step.suprsend.listPublicKeys(), step.preflight()])
  const key = findKey(keys, 'id', id, 'public key')
  if (!key) notFound(step, 'public key', id, 'public-key-id')
  recordKey(step, key)
  return key
}

export async function createPublicKey(step: Step): Promise<void> {
  const { name = '', description, dryRun } = step.plan
  await step.preflight()
  if (dryRun) {
    step.wouldDo(`create public key '${name}'${storeClause(step)}`)
    return
  }
  step.beginChange()
  const key = await step.suprsend.createPublicKey({ name, ...(description ? { description } : {}) })
  recordKey(step, key)
  step.did(`Created public key ${key.id} ('${key.name ?? name}')`)
  await step.store(key.api_key, `The new public key ${key.id}`)
}

export async function rotatePublicKey(step: Step): Promise<void> {
  const id = step.plan.publicKeyId as string
  const { outputs } = step.report
  outputs['rotated'] = 'false'
  if (step.plan.rotateIfOlderThan || step.plan.dryRun) {
    const key = await existing(step)
    const since = key.rotated_at ? 'rotated_at' : 'created_at'
    if (!isDue(step, `public key ${id}`, key[since], since)) return
    if (step.plan.dryRun) return step.wouldDo(`rotate public key ${id}${storeClause(step)}`)
  } else {
    outputs['key-id'] = id
    await step.preflight()
  }
  step.beginChange()
  const key = await step.suprsend.rotatePublicKey(id)
  recordKey(step, key)
  outputs['rotated'] = 'true'
  step.did(`Rotated public key ${id}`)
  await step.store(key.api_key, `The rotated public key ${id}`)
}

async function setSecureMode(step: Step, enabled: boolean): Promise<void> {
  const id = step.plan.publicKeyId as string
  const change = `${enabled ? 'enable' : 'disable'} secure mode on public key ${id}`
  if (step.plan.dryRun) {
    const key = await existing(step)
    return step.wouldDo(`${change} (now ${key.is_secure_mode_enabled ? 'on' : 'off'})`)
  }
  step.report.outputs['key-id'] = id
  step.beginChange()
  const key = await step.suprsend.setSecureMode(id, enabled)
  recordKey(step, key)
  step.did(`Secure mode is ${key.is_secure_mode_enabled ? 'on' : 'off'} for public key ${id}`)
}

export const enableSecureMode = (step: Step) => setSecureMode(step, true)
export const disableSecureMode = (step: Step) => setSecureMode(step, false)

export async function deletePublicKey(step: Step): Promise<void> {
  const id = step.plan.publicKeyId as string
  if (step.plan.dryRun) {
    await existing(step)
    return step.wouldDo(`delete public key ${id}`)
  }
  step.report.outputs['key-id'] = id
  step.beginChange()
  recordDeletion(step, await step.suprsend.deletePublicKey(id), `public key ${id}`)
}
