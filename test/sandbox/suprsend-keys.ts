// The SuprSend stand-in's key objects: their types, how ids, secrets and timestamps are minted
// (random, or deterministic for snapshot tests), key material, and list pagination (with the
// hostile switches). suprsend.ts serves them.
import { generateKeyPairSync, randomInt } from 'node:crypto'

export interface Actor {
  name: string
  email: string
}

export interface SigningKey {
  id: string
  uid: string
  status: 'active' | 'rolled'
  allowed_domains: string[] | null
  expiry_at: string | null
  created_at: string
  created_by: Actor | null
  rolled_at: string | null
  rolled_by: Actor | null
  deleted_at: string | null
  deleted_by: Actor | null
}

export interface SigningKeyWithSecret extends SigningKey {
  private_key_pem: string
  private_key_base64: string
}

export interface PublicKey {
  id: string
  api_key: string
  name: string
  allowed_domains: string[] | null
  is_secure_mode_enabled: boolean
  is_deleted: boolean
  is_default: boolean
  created_at: string
  created_by: Actor | null
  rotated_at: string | null
  rotated_by: Actor | null
  updated_at: string
  updated_by: Actor | null
}

export interface ApiKey {
  id: string
  masked_api_key: string
  is_deleted: boolean
  name: string
  allowed_domains: string[]
  created_at: string
  created_by: Actor | null
  deleted_at: string | null
  deleted_by: Actor | null
}

export interface ApiKeyWithSecret extends ApiKey {
  api_key: string
}

/**
 * Fields for seeding: any of the object's fields with ANY value (a uid with CR/LF, a null
 * created_at, a second active key...), plus extra fields, which lists then return as given.
 */
export type SeedFields<T> = { [K in keyof T]?: unknown } & Record<string, unknown>

/** Per-workspace switches that make list answers misbehave (setHostile). */
export interface HostileSwitches {
  /** Every page is answered as if offset were 0 (meta.offset 0, meta.count the true total). */
  ignoreOffset?: boolean
  /** A page at offset > 0 starts one item early, repeating the previous page's last id. */
  repeatIds?: boolean
  /** Pages hold at most this many items whatever limit was asked (meta.limit says so). */
  pageSize?: number
}

/** What the next create/roll answer carries instead of the real material (nextKeyMaterial). */
export interface KeyMaterialOverride {
  /** This PEM (e.g. P-384 or SEC1) is the issued key: stored, and answered. */
  pem?: string
  /** Answered as private_key_base64 (stored base64 stays that of the stored PEM). */
  base64?: string
  /** Leave private_key_pem out of the answer (the key is still stored). */
  omitPem?: boolean
  /** Leave private_key_base64 out of the answer. */
  omitBase64?: boolean
}

export interface KeyMaterialOptions {
  /** Default 'P-256' (what SuprSend issues). */
  curve?: 'P-256' | 'P-384' | 'P-521'
  /** 'pkcs8' (default, BEGIN PRIVATE KEY) or 'sec1' (BEGIN EC PRIVATE KEY). */
  format?: 'pkcs8' | 'sec1'
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random alphanumeric string (uniform, from node:crypto). */
export function randomAlnum(length: number): string {
  let out = ''
  for (let i = 0; i < length; i += 1) out += ALNUM[randomInt(ALNUM.length)]
  return out
}

/** A fresh EC private key PEM and its base64, as create/roll return them (default P-256 PKCS#8). */
export function generateSigningKeyMaterial(options: KeyMaterialOptions = {}): {
  private_key_pem: string
  private_key_base64: string
} {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: options.curve ?? 'P-256',
    privateKeyEncoding: { type: options.format ?? 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  return { private_key_pem: privateKey, private_key_base64: Buffer.from(privateKey, 'utf8').toString('base64') }
}

/** Mints one workspace's ids, secrets and timestamps. */
export interface Minter {
  signing(): { id: string; uid: string }
  publicKeyId(): string
  publicApiKey(): string
  apiKey(): { id: string; secret: string }
  /** A timestamp for one event (a change made by one request, or one seeded key). */
  stamp(): string
}

/** The default deterministic clock's first timestamp. */
export const DETERMINISTIC_START = '2026-01-01T00:00:00.000Z'

/**
 * Random: ids as SuprSend shapes them (20 or 43 random alphanumerics). Deterministic: sequence
 * numbers per workspace and kind (ws_signk_000001 / signing_key_000001, ws_pubk_000001,
 * SS.PUBK.000001xxx..., ws_apik_000001 / SS.000001xxx..., secrets padded to SuprSend's 43
 * characters), and without `now` a clock that starts at `start` and advances one second per event.
 */
export function createMinter(deterministic: boolean, now: (() => Date) | undefined, start: string): Minter {
  const counters = { signing: 0, publicKey: 0, publicApiKey: 0, apiKey: 0 }
  const next = (kind: keyof typeof counters): string => String((counters[kind] += 1)).padStart(6, '0')
  const filled = (n: string): string => n + 'x'.repeat(37)
  let events = 0
  const startMs = Date.parse(start)
  const stamp = (): string => {
    if (now !== undefined) return now().toISOString()
    if (!deterministic) return new Date().toISOString()
    return new Date(startMs + 1000 * events++).toISOString()
  }
  if (!deterministic) {
    return {
      signing: () => ({ id: `ws_signk_${randomAlnum(20)}`, uid: `signing_key_${randomAlnum(20)}` }),
      publicKeyId: () => `ws_pubk_${randomAlnum(20)}`,
      publicApiKey: () => `SS.PUBK.${randomAlnum(43)}`,
      apiKey: () => ({ id: `ws_apik_${randomAlnum(20)}`, secret: `SS.${randomAlnum(43)}` }),
      stamp,
    }
  }
  return {
    signing: () => {
      const n = next('signing')
      return { id: `ws_signk_${n}`, uid: `signing_key_${n}` }
    },
    publicKeyId: () => `ws_pubk_${next('publicKey')}`,
    publicApiKey: () => `SS.PUBK.${filled(next('publicApiKey'))}`,
    apiKey: () => {
      const n = next('apiKey')
      return { id: `ws_apik_${n}`, secret: `SS.${filled(n)}` }
    },
    stamp,
  }
}

/** The fields actually given (undefined means "not given", so the default applies). */
function given<T>(init: SeedFields<T>): SeedFields<T> {
  return Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as SeedFields<T>
}

export function maskApiKey(apiKey: string): string {
  return `${apiKey.slice(0, 10)}*****`
}

/** A signing key; `pem` (when given) is the key material instead of a fresh P-256 key. */
export function makeSigningKey(
  mint: Minter,
  actor: Actor,
  fields: SeedFields<SigningKeyWithSecret>,
  stamp?: string,
): SigningKeyWithSecret {
  const init = given(fields)
  const status = init.status ?? 'active'
  const created = 'created_at' in init ? init.created_at : (stamp ?? mint.stamp())
  const material =
    typeof init.private_key_pem === 'string'
      ? {
          private_key_pem: init.private_key_pem,
          private_key_base64: Buffer.from(init.private_key_pem).toString('base64'),
        }
      : generateSigningKeyMaterial()
  return {
    ...mint.signing(),
    status,
    allowed_domains: null,
    expiry_at: null,
    created_at: created,
    created_by: actor,
    rolled_at: status === 'rolled' ? created : null,
    rolled_by: status === 'rolled' ? actor : null,
    deleted_at: null,
    deleted_by: null,
    ...material,
    ...init,
  } as SigningKeyWithSecret
}

export function makePublicKey(mint: Minter, actor: Actor, fields: SeedFields<PublicKey>, stamp?: string): PublicKey {
  const init = given(fields)
  const created = 'created_at' in init ? init.created_at : (stamp ?? mint.stamp())
  return {
    id: mint.publicKeyId(),
    api_key: mint.publicApiKey(),
    name: 'web-app',
    allowed_domains: null,
    is_secure_mode_enabled: false,
    is_deleted: false,
    is_default: false,
    created_at: created,
    created_by: actor,
    rotated_at: null,
    rotated_by: null,
    updated_at: created,
    updated_by: null,
    ...init,
  } as PublicKey
}

export function makeApiKey(
  mint: Minter,
  actor: Actor,
  fields: SeedFields<ApiKeyWithSecret>,
  stamp?: string,
): ApiKeyWithSecret {
  const init = given(fields)
  const minted = mint.apiKey()
  const apiKey = typeof init.api_key === 'string' ? init.api_key : minted.secret
  return {
    id: minted.id,
    masked_api_key: maskApiKey(apiKey),
    is_deleted: false,
    name: 'backend',
    allowed_domains: [],
    created_at: 'created_at' in init ? init.created_at : (stamp ?? mint.stamp()),
    created_by: actor,
    deleted_at: null,
    deleted_by: null,
    ...init,
    api_key: apiKey,
  } as ApiKeyWithSecret
}

/** The body of a create/roll answer for `key`, reshaped by an override. */
export function keyAnswer(key: SigningKeyWithSecret, override: KeyMaterialOverride | undefined): unknown {
  const body: Record<string, unknown> = structuredClone(key) as unknown as Record<string, unknown>
  if (override?.base64 !== undefined) body.private_key_base64 = override.base64
  if (override?.omitPem) delete body.private_key_pem
  if (override?.omitBase64) delete body.private_key_base64
  return body
}

/** One page of `items` (newest first already) for ?limit=&offset=, bent by the hostile switches. */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  hostile: HostileSwitches,
): { meta: { count: number; limit: number; offset: number }; results: T[] } {
  const rawLimit = Number(query.get('limit'))
  let limit = Number.isInteger(rawLimit) && rawLimit > 0 ? Math.min(rawLimit, 100) : 10
  if (hostile.pageSize !== undefined) limit = Math.min(limit, Math.max(1, hostile.pageSize))
  const rawOffset = Number(query.get('offset'))
  let offset = query.has('offset') && Number.isInteger(rawOffset) && rawOffset >= 0 ? rawOffset : 0
  if (hostile.ignoreOffset) offset = 0
  const start = hostile.repeatIds && offset > 0 ? offset - 1 : offset
  return { meta: { count: items.length, limit, offset }, results: items.slice(start, start + limit) }
}
