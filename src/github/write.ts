import type { StorePlan } from '../inputs/store.ts'
import type { Failed, Written } from '../step.ts'
import { statusOf, type Explain } from './failures.ts'
import type { Octokit } from './octokit.ts'
import { expectSuccess, fetchPublicKey, type Prepared } from './preflight.ts'
import { collectionRoute } from './routes.ts'
import { sealedBox } from './sealed-box.ts'

export interface WriteReport {
  written: Written[]
  failed: Failed[]
}

/** Told after each destination, so a cancelled run can say what was stored and what was not. */
export type Progress = (report: WriteReport) => void

function organizationFields(prepared: Prepared) {
  const { destination } = prepared
  if (destination.kind !== 'organization') return {}
  return destination.visibility === 'selected'
    ? { visibility: destination.visibility, selected_repository_ids: prepared.selectedRepositoryIds }
    : { visibility: destination.visibility }
}

/**
 * A secret PUT. A 422 can mean GitHub's public key changed since the
 * preflight: then the new key is fetched, the value sealed again, and the
 * PUT sent once more. Any other answer stands.
 */
async function putSecret(octokit: Octokit, store: StorePlan, prepared: Prepared, value: string): Promise<boolean> {
  const { route, params } = collectionRoute(prepared.destination, store)
  const put = (key: { keyId: string; key: string }) =>
    octokit.request(`PUT ${route}/{name}`, {
      ...params,
      name: store.name,
      encrypted_value: sealedBox(key.key, value),
      key_id: key.keyId,
      ...organizationFields(prepared),
    })
  let response
  try {
    response = await put(prepared.publicKey as { keyId: string; key: string })
  } catch (error) {
    if (statusOf(error) !== 422) throw error
    const fresh = await fetchPublicKey(octokit, route, params, prepared.target)
    if (fresh.keyId === prepared.publicKey?.keyId) throw error
    prepared.publicKey = fresh
    response = await put(fresh)
  }
  expectSuccess(response, `writing secret ${store.name} in ${prepared.target}`)
  // 201 and 204 say it; any other success falls back to what the preflight saw.
  return response.status === 201 || (response.status !== 204 && !prepared.exists)
}

/** No upsert for variables: PATCH an existing one, POST a new one, and PATCH after a 409 (created meanwhile). */
async function putVariable(octokit: Octokit, store: StorePlan, prepared: Prepared, value: string): Promise<boolean> {
  const { route, params } = collectionRoute(prepared.destination, store)
  const body = { ...params, name: store.name, value, ...organizationFields(prepared) }
  const patch = () => octokit.request(`PATCH ${route}/{name}`, body)
  if (prepared.exists) {
    expectSuccess(await patch(), `updating variable ${store.name} in ${prepared.target}`)
    return false
  }
  try {
    expectSuccess(await octokit.request(`POST ${route}`, body), `creating variable ${store.name} in ${prepared.target}`)
    return true
  } catch (error) {
    if (statusOf(error) !== 409) throw error
    expectSuccess(await patch(), `updating variable ${store.name} in ${prepared.target}`)
    return false
  }
}

/**
 * Writes the value to every prepared destination, one after another: GitHub
 * asks for mutating requests in series (Octokit's throttling spaces them a
 * second apart). Never throws: each destination is written or has a reason.
 */
export async function writeAll(
  octokit: Octokit,
  store: StorePlan,
  all: Prepared[],
  value: string,
  explain: Explain,
  progress?: Progress,
): Promise<WriteReport> {
  const report: WriteReport = { written: [], failed: [] }
  for (const prepared of all) {
    const { destination, target } = prepared
    try {
      const created = await (store.kind === 'secret' ? putSecret : putVariable)(octokit, store, prepared, value)
      report.written.push({ kind: destination.kind, target, name: store.name, result: created ? 'created' : 'updated' })
    } catch (error) {
      const reason = explain(error, destination, store, `writing ${store.kind} ${store.name} in ${target}`)
      report.failed.push({ kind: destination.kind, target, name: store.name, reason })
    }
    progress?.(report)
  }
  return report
}
