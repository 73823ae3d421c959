import { listOperation } from '../suprsend/client.ts'
import { SuprSendError } from '../suprsend/errors.ts'
import type { NewSigningKey } from '../suprsend/key-material.ts'
import type { SigningKey } from '../suprsend/types.ts'
import type { Step } from '../step.ts'
import { distinct, findKey, isDue, notFound, deleteKey, recordList, rowOf, storeClause } from './shared.ts'

/** Signing keys: the EC P-256 keys a backend signs user tokens with. SuprSend shows the private key once. */

const listFields = [
  'id',
  'uid',
  'status',
  'allowed_domains',
  'expiry_at',
  'created_at',
  'created_by',
  'rolled_at',
  'rolled_by',
  'deleted_at',
  'deleted_by',
] as const
const rowFields = ['id', 'uid', 'status', 'created_at', 'rolled_at', 'expiry_at'] as const

export async function listSigningKeys(step: Step): Promise<void> {
  recordList(step, await step.suprsend.listSigningKeys(), listFields, rowFields, 'signing key')
}

/**
 * The workspace's one active key, or undefined when it has none. A list
 * that shows a key in two states, or more than one active key, cannot be
 * trusted to roll: the wrong key could be rolled, or a second one created.
 */
function activeKey(keys: SigningKey[]): SigningKey | undefined {
  for (const key of keys) findKey(keys, 'uid', key.uid, 'signing key')
  const active = distinct(keys).filter((key) => key.status === 'active')
  if (active.length > 1) {
    throw new SuprSendError(
      `SuprSend lists ${active.length} active signing keys (${active.map((key) => key.uid).join(', ')}) where a workspace has one, so the action will not roll or rotate any of them; check the workspace's keys`,
    )
  }
  return active[0]
}

export type Replacement = 'create' | 'roll' | 'rotate'

/** Which key to roll (undefined: create one), after the workspace's rules for each way of replacing it. */
function keyToRoll(step: Step, mode: Replacement, keys: SigningKey[]): string | undefined {
  const active = activeKey(keys)
  const { signingKeyUid, workspace } = step.plan
  if (mode === 'rotate') return active?.uid
  if (mode === 'create') {
    // SuprSend would refuse it anyway; saying so before the POST is clearer.
    if (active) {
      throw new SuprSendError(
        `workspace '${workspace}' already has an active signing key (${active.uid}) and allows only one; use 'rotate-signing-key' to replace it`,
      )
    }
    return undefined
  }
  if (signingKeyUid && !findKey(keys, 'uid', signingKeyUid, 'signing key')) {
    notFound(step, 'signing key', signingKeyUid, 'signing-key-uid')
  }
  const uid = signingKeyUid ?? active?.uid
  if (!uid) {
    throw new SuprSendError(
      `workspace '${workspace}' has no active signing key to roll; use 'rotate-signing-key', which creates one`,
    )
  }
  return uid
}

/** Masks the new key, then sets its outputs and logs it; returns the uid to name it by. */
function received(step: Step, created: NewSigningKey, rolled: string | undefined): string {
  step.keyArrived({ 'private-key': created.pem, 'private-key-base64': created.base64 }, created.secrets)
  const { outputs } = step.report
  outputs['key-id'] = created.key.id
  outputs['key-uid'] = created.key.uid
  outputs['status'] = created.key.status ?? ''
  outputs['previous-key-uid'] = rolled ?? ''
  step.report.rows = [rowOf(created.key, rowFields)]
  // The key matters more than its name: a missing uid is reported, never a reason to drop the key.
  const uid = created.key.uid || `(SuprSend's answer had no uid; run ${listOperation.signing} to see it)`
  step.did(rolled ? `Rolled signing key ${rolled}; the new active key is ${uid}` : `Created signing key ${uid}`)
  for (const warning of created.warnings) step.warning(`${warning}.`)
  return uid
}

/** Creating, rolling and rotating: one flow, three rules for which key it replaces. */
export async function replaceSigningKey(step: Step, mode: Replacement): Promise<void> {
  const { plan, report } = step
  if (mode === 'rotate') report.outputs['rotated'] = 'false'
  const [keys] = await Promise.all([step.suprsend.listSigningKeys(), step.preflight()])
  const rollUid = keyToRoll(step, mode, keys)
  const current = rollUid ? findKey(keys, 'uid', rollUid, 'signing key') : undefined
  if (current) report.rows = [rowOf(current, rowFields)]
  if (mode === 'rotate' && current && !isDue(step, `signing key ${current.uid}`, current.created_at, 'created_at'))
    return
  if (plan.dryRun) {
    if (rollUid) report.outputs['previous-key-uid'] = rollUid
    step.wouldDo(`${rollUid ? `roll signing key ${rollUid}` : 'create a signing key'}${storeClause(step)}`)
    return
  }
  step.beginChange()
  const created = rollUid ? await step.suprsend.rollSigningKey(rollUid) : await step.suprsend.createSigningKey()
  const uid = received(step, created, rollUid)
  if (mode === 'rotate') report.outputs['rotated'] = 'true'
  if (created.unusable) {
    report.failure =
      `SuprSend returned the new signing key ${uid}, but ${created.unusable}, so it was not stored anywhere. ` +
      `It is in this step's masked outputs 'private-key' and 'private-key-base64'; check the workspace with ${listOperation.signing} before rolling again`
    return
  }
  await step.store(plan.store?.format === 'base64' ? created.base64 : created.pem, `The new signing key ${uid}`)
}

export async function deleteSigningKey(step: Step): Promise<void> {
  const uid = step.plan.signingKeyUid as string
  step.report.outputs['key-uid'] = uid
  await deleteKey(step, {
    field: 'uid',
    id: uid,
    noun: 'signing key',
    input: 'signing-key-uid',
    list: () => step.suprsend.listSigningKeys(),
    remove: () => step.suprsend.deleteSigningKey(uid),
    rowFields,
    describe: (key: SigningKey) => `${key.uid} (${key.status})`,
  })
}
