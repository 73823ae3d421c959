import type { Plan, StorePlan } from './inputs.ts'
import type { Deletion, SuprSendClient } from './suprsend/client.ts'
import type { ApiKey, PublicKey, SigningKey, SigningKeyWithSecret } from './suprsend/types.ts'
import type { GitHubRequester, PreparedDestination, WrittenEntry } from './github/destinations.ts'

/**
 * Carries out a plan: the SuprSend calls, and the GitHub preflight and
 * writes around them. It never touches @actions/core: it reports through
 * `Hooks` and returns an Outcome that main turns into outputs and a summary.
 */

export interface Hooks {
  info(message: string): void
  /**
   * Called the moment a secret arrives, before anything else happens, with
   * the outputs that carry it. Main masks and sets them at once, so they
   * survive a later failure for an `if: failure()` step to recover.
   */
  onSecret(outputs: Record<string, string>, secrets: string[]): void
  openGitHub(token: string, baseUrl: URL): Promise<GitHubRequester>
}

export type KeyRow = Record<string, string>

export interface Outcome {
  /** Non-secret outputs (the secret ones went through Hooks.onSecret). */
  outputs: Record<string, string>
  /** What was done, one line each, for the log and summary. */
  actions: string[]
  /** The keys listed or acted on, without secret fields, for the summary table. */
  keys: KeyRow[]
  written: WrittenEntry[]
  /** In a dry run: the changes that would be made. */
  planned: string[]
  /** Set when the run failed after something was already done (a key rolled, but not stored everywhere). */
  failure?: string
}

type GitHubDestinations = typeof import('./github/index.ts')

function signingRow(key: SigningKey): KeyRow {
  return {
    id: key.id,
    uid: key.uid,
    status: key.status ?? '',
    created_at: key.created_at ?? '',
    rolled_at: key.rolled_at ?? '',
    expiry_at: key.expiry_at ?? '',
  }
}

function publicRow(key: PublicKey): KeyRow {
  return {
    id: key.id,
    name: key.name ?? '',
    public_key: key.api_key,
    secure_mode: typeof key.is_secure_mode_enabled === 'boolean' ? String(key.is_secure_mode_enabled) : '',
    is_default: String(key.is_default ?? false),
    rotated_at: key.rotated_at ?? '',
  }
}

function apiRow(key: ApiKey): KeyRow {
  return {
    id: key.id,
    name: key.name ?? '',
    masked_api_key: key.masked_api_key ?? '',
    created_at: key.created_at ?? '',
  }
}

/** List output: the documented fields only, so no secret field can slip through. */
function listed<T extends object>(keys: T[], fields: readonly (keyof T)[]): string {
  return JSON.stringify(keys.map((key) => Object.fromEntries(fields.filter((f) => f in key).map((f) => [f, key[f]]))))
}

const signingFields = [
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
const publicFields = [
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
const apiFields = [
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

export class Executor {
  readonly #plan: Plan
  readonly #client: SuprSendClient
  readonly #hooks: Hooks
  readonly #outcome: Outcome = { outputs: {}, actions: [], keys: [], written: [], planned: [] }
  #github?: { api: GitHubRequester; module: GitHubDestinations; prepared: PreparedDestination[] }

  constructor(plan: Plan, client: SuprSendClient, hooks: Hooks) {
    this.#plan = plan
    this.#client = client
    this.#hooks = hooks
  }

  /** What has been done so far, also after a failure: main still sets these outputs. */
  get outcome(): Outcome {
    return this.#outcome
  }

  #did(message: string): void {
    this.#outcome.actions.push(message)
    this.#hooks.info(message)
  }

  #deleted(result: Deletion, what: string): void {
    this.#did(
      result === 'deleted'
        ? `Deleted ${what}`
        : `Deleted ${what} (an earlier attempt went through; the retry found it gone)`,
    )
  }

  #wouldDo(message: string): void {
    this.#outcome.planned.push(message)
    this.#hooks.info(`Dry run: would ${message}`)
  }

  /** Checks every GitHub destination before anything in SuprSend changes. */
  async #preflight(): Promise<void> {
    const store = this.#plan.store
    if (!store) return
    const [module, api] = await Promise.all([
      import('./github/index.ts'),
      this.#hooks.openGitHub(store.githubToken, store.githubApiUrl),
    ])
    const prepared = await module.preflight(api, store)
    this.#github = { api, module, prepared }
    const targets = prepared.map((p) => `${p.target} (${p.exists ? 'exists' : 'new'})`).join(', ')
    this.#hooks.info(`GitHub preflight passed for ${store.type} ${store.name}: ${targets}`)
  }

  #describeStore(store: StorePlan): string {
    const where = store.destinations.map((d) => `${d.kind} ${this.#github?.module.targetOf(d) ?? ''}`.trim())
    return `store it in ${store.type} ${store.name} in ${where.join(', ')}`
  }

  /**
   * Writes the new value everywhere. On any failure the outcome says which
   * key exists and where it is and is not, and the caller must not delete
   * anything that the stored value was meant to replace.
   */
  async #store(value: string, keyLabel: string): Promise<boolean> {
    const store = this.#plan.store
    if (!store || !this.#github) return true
    const { api, module, prepared } = this.#github
    const report = await module.writeAll(api, store, prepared, value)
    this.#outcome.written = report.written
    this.#outcome.outputs['written'] = JSON.stringify(report.written)
    for (const entry of report.written)
      this.#did(`Stored ${store.type} ${entry.name} in ${entry.kind} ${entry.target} (${entry.result})`)
    if (report.failed.length === 0) return true
    const written = report.written.length > 0 ? report.written.map((w) => w.target).join(', ') : 'none'
    const failed = report.failed.map((f) => `${f.target} (${f.reason})`).join('; ')
    this.#outcome.failure =
      `${keyLabel} exists in SuprSend but was not stored everywhere: written to ${written}; failed: ${failed}. ` +
      `The value is still in this step's ${store.type === 'variable' ? "'public-key'" : 'masked'} output for a later 'if: failure()' step to store.`
    return false
  }

  #listed<T extends object>(keys: T[], fields: readonly (keyof T)[], row: (key: T) => KeyRow, noun: string): void {
    this.#outcome.outputs['keys'] = listed(keys, fields)
    this.#outcome.keys = keys.map(row)
    this.#did(`Listed ${keys.length} ${noun}${keys.length === 1 ? '' : 's'}`)
  }

  async run(): Promise<Outcome> {
    const plan = this.#plan
    const outputs = this.#outcome.outputs
    outputs['dry-run'] = String(plan.dryRun)
    if (plan.store) outputs['written'] = '[]'
    switch (plan.operation) {
      case 'list-signing-keys':
        this.#listed(await this.#client.listSigningKeys(), signingFields, signingRow, 'signing key')
        break
      case 'list-public-keys':
        this.#listed(await this.#client.listPublicKeys(), publicFields, publicRow, 'public key')
        break
      case 'list-api-keys':
        this.#listed(await this.#client.listApiKeys(), apiFields, apiRow, 'API key')
        break
      case 'create-signing-key':
      case 'roll-signing-key':
      case 'rotate-signing-key':
        await this.#signingKey(plan)
        break
      case 'delete-signing-key': {
        outputs['key-uid'] = plan.signingKeyUid
        if (plan.dryRun) {
          const keys = await this.#client.listSigningKeys()
          const key = keys.find((k) => k.uid === plan.signingKeyUid)
          if (!key)
            throw new Error(
              `signing key '${plan.signingKeyUid}' was not found in workspace '${plan.workspace}'; check input 'signing-key-uid'`,
            )
          this.#outcome.keys = [signingRow(key)]
          this.#wouldDo(`delete signing key ${key.uid} (${key.status})`)
          break
        }
        this.#deleted(await this.#client.deleteSigningKey(plan.signingKeyUid), `signing key ${plan.signingKeyUid}`)
        break
      }
      case 'create-public-key': {
        if (plan.dryRun) {
          await this.#preflight()
          this.#wouldDo(
            `create public key '${plan.name}'${plan.store ? ` and ${this.#describeStore(plan.store)}` : ''}`,
          )
          break
        }
        await this.#preflight()
        const key = await this.#client.createPublicKey({
          name: plan.name,
          ...(plan.description ? { description: plan.description } : {}),
        })
        this.#publicKeyOutputs(key)
        this.#did(`Created public key ${key.id} ('${key.name ?? plan.name}')`)
        await this.#store(key.api_key, `The new public key ${key.id}`)
        break
      }
      case 'rotate-public-key':
      case 'enable-secure-mode':
      case 'disable-secure-mode':
      case 'delete-public-key':
        await this.#publicKey(plan)
        break
      case 'create-api-key':
      case 'rotate-api-key':
        await this.#apiKey(plan)
        break
      case 'delete-api-key': {
        outputs['key-id'] = plan.apiKeyId
        if (plan.dryRun) {
          const key = (await this.#client.listApiKeys()).find((k) => k.id === plan.apiKeyId)
          if (!key)
            throw new Error(
              `API key '${plan.apiKeyId}' was not found in workspace '${plan.workspace}'; check input 'api-key-id'`,
            )
          this.#outcome.keys = [apiRow(key)]
          this.#wouldDo(`delete API key ${key.id} ('${key.name ?? ''}')`)
          break
        }
        this.#deleted(await this.#client.deleteApiKey(plan.apiKeyId), `API key ${plan.apiKeyId}`)
        break
      }
    }
    return this.#outcome
  }

  async #signingKey(
    plan: Extract<Plan, { operation: 'create-signing-key' | 'roll-signing-key' | 'rotate-signing-key' }>,
  ): Promise<void> {
    const outputs = this.#outcome.outputs
    const needsList = plan.operation !== 'roll-signing-key' || !plan.signingKeyUid || plan.dryRun
    // The list and the GitHub preflight are independent reads: one round trip for both.
    const [keys] = await Promise.all([
      needsList ? this.#client.listSigningKeys() : Promise.resolve([]),
      this.#preflight(),
    ])
    const active = keys.find((k) => k.status === 'active')
    let rollUid: string | undefined
    if (plan.operation === 'roll-signing-key') {
      rollUid = plan.signingKeyUid ?? active?.uid
      if (!rollUid) {
        throw new Error(
          `workspace '${plan.workspace}' has no active signing key to roll; use 'create-signing-key' or 'rotate-signing-key', which creates one`,
        )
      }
      if (plan.dryRun && plan.signingKeyUid && !keys.some((k) => k.uid === plan.signingKeyUid)) {
        throw new Error(
          `signing key '${plan.signingKeyUid}' was not found in workspace '${plan.workspace}'; check input 'signing-key-uid'`,
        )
      }
    } else if (plan.operation === 'rotate-signing-key') {
      rollUid = active?.uid
    } else if (active) {
      // SuprSend would refuse it anyway; saying so before the POST is clearer.
      throw new Error(
        `workspace '${plan.workspace}' already has an active signing key (${active.uid}) and allows only one; use 'rotate-signing-key' or 'roll-signing-key' to replace it`,
      )
    }
    if (active) this.#outcome.keys = [signingRow(active)]
    if (plan.dryRun) {
      const change = rollUid ? `roll signing key ${rollUid}` : 'create a signing key'
      this.#wouldDo(`${change}${plan.store ? ` and ${this.#describeStore(plan.store)}` : ''}`)
      if (rollUid) outputs['previous-key-uid'] = rollUid
      return
    }
    const key: SigningKeyWithSecret = rollUid
      ? await this.#client.rollSigningKey(rollUid)
      : await this.#client.createSigningKey()
    // Masks and the recovery outputs first: nothing below may run before them.
    this.#hooks.onSecret({ 'private-key': key.private_key_pem, 'private-key-base64': key.private_key_base64 }, [
      key.private_key_pem,
      key.private_key_base64,
    ])
    outputs['key-id'] = key.id
    outputs['key-uid'] = key.uid
    outputs['status'] = key.status ?? ''
    outputs['previous-key-uid'] = rollUid ?? ''
    this.#outcome.keys = [signingRow(key)]
    // The key matters more than its name: a missing uid is reported, never a reason to drop the key.
    const uid = key.uid || "(SuprSend's answer had no uid; run list-signing-keys to see it)"
    this.#did(rollUid ? `Rolled signing key ${rollUid}; the new active key is ${uid}` : `Created signing key ${uid}`)
    const value = plan.store?.format === 'base64' ? key.private_key_base64 : key.private_key_pem
    await this.#store(value, `The new signing key ${uid}`)
  }

  #publicKeyOutputs(key: PublicKey): void {
    const outputs = this.#outcome.outputs
    outputs['key-id'] = key.id
    outputs['public-key'] = key.api_key
    outputs['secure-mode'] = typeof key.is_secure_mode_enabled === 'boolean' ? String(key.is_secure_mode_enabled) : ''
    this.#outcome.keys = [publicRow(key)]
  }

  async #publicKey(plan: Extract<Plan, { publicKeyId: string }>): Promise<void> {
    const id = plan.publicKeyId
    this.#outcome.outputs['key-id'] = id
    if (plan.dryRun) {
      const [keys] = await Promise.all([this.#client.listPublicKeys(), this.#preflight()])
      const key = keys.find((k) => k.id === id)
      if (!key)
        throw new Error(
          `public key '${id}' was not found in workspace '${plan.workspace}'; check input 'public-key-id'`,
        )
      this.#publicKeyOutputs(key)
      const change = {
        'rotate-public-key': `rotate public key ${id}${plan.store ? ` and ${this.#describeStore(plan.store)}` : ''}`,
        'enable-secure-mode': `enable secure mode on public key ${id} (now ${key.is_secure_mode_enabled ? 'on' : 'off'})`,
        'disable-secure-mode': `disable secure mode on public key ${id} (now ${key.is_secure_mode_enabled ? 'on' : 'off'})`,
        'delete-public-key': `delete public key ${id}`,
      }[plan.operation]
      this.#wouldDo(change)
      return
    }
    switch (plan.operation) {
      case 'rotate-public-key': {
        await this.#preflight()
        const key = await this.#client.rotatePublicKey(id)
        this.#publicKeyOutputs(key)
        this.#did(`Rotated public key ${id}`)
        await this.#store(key.api_key, `The rotated public key ${id}`)
        return
      }
      case 'enable-secure-mode':
      case 'disable-secure-mode': {
        const key = await this.#client.setSecureMode(id, plan.operation === 'enable-secure-mode')
        this.#publicKeyOutputs(key)
        this.#did(`Secure mode is ${key.is_secure_mode_enabled ? 'on' : 'off'} for public key ${id}`)
        return
      }
      case 'delete-public-key':
        this.#deleted(await this.#client.deletePublicKey(id), `public key ${id}`)
        return
    }
  }

  async #apiKey(plan: Extract<Plan, { operation: 'create-api-key' | 'rotate-api-key' }>): Promise<void> {
    const outputs = this.#outcome.outputs
    const oldId = plan.operation === 'rotate-api-key' ? plan.apiKeyId : undefined
    const [keys] = await Promise.all([oldId ? this.#client.listApiKeys() : Promise.resolve([]), this.#preflight()])
    const old = oldId ? keys.find((k) => k.id === oldId) : undefined
    if (oldId && !old)
      throw new Error(`API key '${oldId}' was not found in workspace '${plan.workspace}'; check input 'api-key-id'`)
    const name = plan.name ?? old?.name
    if (!name) throw new Error(`API key '${oldId}' has no name to reuse; set input 'name'`)
    if (old) this.#outcome.keys = [apiRow(old)]
    if (plan.dryRun) {
      this.#wouldDo(
        `create API key '${name}'${plan.store ? ` and ${this.#describeStore(plan.store)}` : ''}${oldId ? `, then delete API key ${oldId}` : ''}`,
      )
      if (oldId) outputs['previous-key-id'] = oldId
      return
    }
    const key = await this.#client.createApiKey({
      name,
      ...(plan.description ? { description: plan.description } : {}),
    })
    this.#hooks.onSecret({ 'api-key': key.api_key }, [key.api_key])
    outputs['key-id'] = key.id
    this.#outcome.keys = [apiRow(key), ...(old ? [apiRow(old)] : [])]
    const id = key.id || "(SuprSend's answer had no id; run list-api-keys to see it)"
    this.#did(`Created API key ${id} ('${key.name ?? name}')`)
    const stored = await this.#store(key.api_key, `The new API key ${id}`)
    if (!oldId) return
    outputs['previous-key-id'] = oldId
    if (!stored) {
      this.#outcome.failure += ` The old API key ${oldId} was not deleted.`
      return
    }
    try {
      this.#deleted(await this.#client.deleteApiKey(oldId), `the old API key ${oldId}`)
    } catch (error) {
      // The new key is stored everywhere; say so, or the reader would think the rotation was lost.
      const where = this.#outcome.written.map((w) => w.target).join(', ') || 'no destination'
      this.#outcome.failure =
        `The new API key ${id} was created and stored (${where}), but deleting the old API key ${oldId} failed: ` +
        `${(error as Error).message}. Both keys work now: delete ${oldId} with delete-api-key once nothing uses it`
    }
  }
}
