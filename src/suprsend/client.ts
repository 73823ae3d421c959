import { NetworkError, send, type HttpOptions, type HttpRequest, type HttpResponse } from '../http.ts'
import type {
  ApiKey,
  ApiKeyWithSecret,
  ErrorBody,
  ListPage,
  PublicKey,
  SigningKey,
  SigningKeyWithSecret,
} from './types.ts'

export const defaultApiUrl = 'https://management-api.suprsend.com'

/** Page size asked for when listing; the loop follows `meta.count` whatever the server grants. */
const pageSize = 100
/** A guard against a server whose `meta` never lets the loop end. */
const maxPages = 1000

/**
 * SuprSend answered with an error, or the answer could not be used. The
 * message is one clause for the caller to put after the operation's name.
 */
export class SuprSendError extends Error {
  readonly status: number | undefined
  constructor(message: string, status?: number) {
    super(message)
    this.name = 'SuprSendError'
    this.status = status
  }
}

/** What a request is doing, in words for error messages. */
interface Action {
  /** e.g. "rolling signing key 'signing_key_x'" */
  doing: string
  /** The key the request targets, named in a 404. */
  key?: { noun: string; id: string; input: string }
  /** For requests that create key material: how to check after an unclear failure. */
  ifUnsure?: string
}

function excerpt(text: string): string {
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return plain.length > 120 ? `${plain.slice(0, 117)}...` : plain
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(text)
    return body !== null && typeof body === 'object' ? (body as ErrorBody) : undefined
  } catch {
    return undefined
  }
}

/** SuprSend's own words from an error body: `message`, plus `detail` when it adds something. */
function apiWords(body: ErrorBody): string {
  const detail = Array.isArray(body.detail) ? body.detail.join('; ') : body.detail
  let message = body.message
  // Validation errors carry the detail list JSON-encoded in `message` as well.
  if (message && detail && message.startsWith('[')) message = undefined
  const parts = [message, detail && detail !== message ? detail : undefined].filter(
    (part): part is string => typeof part === 'string' && part.trim() !== '',
  )
  return parts.map((part) => part.trim().replace(/\.$/, '')).join(': ')
}

function errorFor(response: HttpResponse, action: Action, workspace: string): SuprSendError {
  const status = response.status
  const body = parseErrorBody(response.text)
  if (!body) {
    const shown = excerpt(response.text)
    return new SuprSendError(
      `SuprSend answered HTTP ${status} with a body that is not JSON while ${action.doing}${shown ? `: "${shown}"` : ''}` +
        (action.ifUnsure && status >= 500 ? `. ${action.ifUnsure}` : ''),
      status,
    )
  }
  const words = apiWords(body)
  const said = words ? ` (SuprSend says: ${words})` : ''
  let meaning: string
  if (status === 401) {
    meaning = `the service token was rejected${said}; check input 'service-token'`
  } else if (status === 403) {
    meaning = `the service token may not manage keys in workspace '${workspace}'${said}`
  } else if (status === 404 && action.key && !/workspace/i.test(words)) {
    meaning = `${action.key.noun} '${action.key.id}' was not found in workspace '${workspace}'${said}; check input '${action.key.input}'`
  } else if (status === 404) {
    meaning = `workspace '${workspace}' was not found${said}; check input 'workspace'`
  } else {
    meaning = words || 'no message was given'
  }
  const unsure = action.ifUnsure && status >= 500 ? `. ${action.ifUnsure}` : ''
  return new SuprSendError(`SuprSend answered HTTP ${status} while ${action.doing}: ${meaning}${unsure}`, status)
}

function networkErrorFor(error: NetworkError, request: HttpRequest, action: Action): SuprSendError {
  if (!request.idempotent && error.mayHaveReachedServer) {
    return new SuprSendError(
      `the request may have reached SuprSend while ${action.doing}, but ${error.message}; ` +
        `it was not retried, because repeating it could replace the key it returned. ${action.ifUnsure ?? ''}`.trim(),
    )
  }
  const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : ''
  return new SuprSendError(`could not reach SuprSend while ${action.doing}${tries}: ${error.message}`)
}

function requireFields<T>(value: unknown, fields: readonly string[], action: Action, lost: boolean): T {
  const missing =
    value === null || typeof value !== 'object'
      ? fields
      : fields.filter((field) => {
          const v = (value as Record<string, unknown>)[field]
          return typeof v !== 'string' || v === ''
        })
  if (missing.length > 0) {
    // Never echo a success body: it may hold key material.
    throw new SuprSendError(
      `SuprSend's answer while ${action.doing} lacked ${missing.map((f) => `'${f}'`).join(', ')}` +
        (lost ? `. ${action.ifUnsure ?? ''}`.trimEnd() : ''),
    )
  }
  return value as T
}

/**
 * A create or roll answer. The key is lost only if neither form of it came
 * back: `private_key_base64` is the base64 of the PEM text, so either one
 * rebuilds the other. A missing id or uid must not cost the key either, so
 * they are left empty for the caller to report after storing the key.
 */
function signingKeyFrom(json: unknown, action: Action): SigningKeyWithSecret {
  const key = (json !== null && typeof json === 'object' ? json : {}) as Partial<SigningKeyWithSecret>
  const given = (value: unknown): value is string => typeof value === 'string' && value !== ''
  if (!given(key.private_key_pem) && given(key.private_key_base64)) {
    const decoded = Buffer.from(key.private_key_base64, 'base64').toString('utf8')
    if (decoded.includes('-----BEGIN ')) key.private_key_pem = decoded
  }
  // Fails, without echoing the answer, only when no usable form of the key came back.
  if (!given(key.private_key_pem)) {
    const missing = given(key.private_key_base64) ? ['private_key_pem'] : ['private_key_pem', 'private_key_base64']
    requireFields<SigningKeyWithSecret>(key, missing, action, true)
  }
  const pem = key.private_key_pem as string
  return {
    ...key,
    id: given(key.id) ? key.id : '',
    uid: given(key.uid) ? key.uid : '',
    status: key.status ?? '',
    private_key_pem: pem,
    private_key_base64: given(key.private_key_base64)
      ? key.private_key_base64
      : Buffer.from(pem, 'utf8').toString('base64'),
  }
}

/** A public key answer: its value is what matters; a missing id falls back to the one asked for. */
function publicKeyFrom(json: unknown, action: Action, knownId?: string): PublicKey {
  const key = requireFields<PublicKey>(json, ['api_key'], action, false)
  return { ...key, id: typeof key.id === 'string' && key.id !== '' ? key.id : (knownId ?? '') }
}

export type Deletion = 'deleted' | 'already-deleted'

export interface SuprSendClientOptions {
  apiUrl: URL
  serviceToken: string
  workspace: string
  http: HttpOptions
}

/** One workspace's keys, over SuprSend's management API. */
export class SuprSendClient {
  readonly #options: SuprSendClientOptions
  readonly #base: string

  constructor(options: SuprSendClientOptions) {
    this.#options = options
    const root = options.apiUrl.href.replace(/\/+$/, '')
    this.#base = `${root}/v1/${encodeURIComponent(options.workspace)}`
  }

  get workspace(): string {
    return this.#options.workspace
  }

  async #call(
    method: HttpRequest['method'],
    path: string,
    action: Action,
    body?: unknown,
  ): Promise<{ response: HttpResponse; json: unknown }> {
    const request: HttpRequest = {
      method,
      url: new URL(this.#base + path),
      headers: {
        authorization: `ServiceToken ${this.#options.serviceToken}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Creating, rolling and rotating must happen at most once.
      idempotent: method === 'GET' || method === 'DELETE' || (method === 'PATCH' && !path.endsWith('/rotate/')),
    }
    let response: HttpResponse
    try {
      response = await send(request, this.#options.http)
    } catch (error) {
      if (error instanceof NetworkError) throw networkErrorFor(error, request, action)
      throw error
    }
    if (response.status < 200 || response.status > 299) {
      // A retried DELETE that finds nothing after an attempt that may have gone through: that attempt deleted it.
      if (method === 'DELETE' && response.status === 404 && response.earlierAttemptMayHaveApplied) {
        return { response, json: undefined }
      }
      // A server or proxy may echo the request's headers back; main scrubs every secret from what it prints.
      throw errorFor(response, action, this.workspace)
    }
    if (response.status === 204 || response.text.trim() === '') return { response, json: undefined }
    try {
      return { response, json: JSON.parse(response.text) }
    } catch {
      throw new SuprSendError(
        `SuprSend answered HTTP ${response.status} while ${action.doing}, but its body was not JSON` +
          (action.ifUnsure ? `. ${action.ifUnsure}` : ''),
        response.status,
      )
    }
  }

  /**
   * Reads every page. Keys are told apart by id, so a server that repeats a
   * page cannot double a list, and the loop ends on an empty page, a page
   * with nothing new, `meta.count` reached, or (without a count) a short page.
   */
  async #list<T>(path: string, doing: string): Promise<T[]> {
    const items: T[] = []
    const seen = new Set<string>()
    let offset = 0
    for (let page = 0; page < maxPages; page++) {
      const { json } = await this.#call('GET', `${path}?limit=${pageSize}&offset=${offset}`, { doing })
      const body = (json ?? {}) as ListPage<T>
      if (!Array.isArray(body.results)) {
        throw new SuprSendError(`SuprSend's answer while ${doing} had no 'results' list`)
      }
      let added = 0
      for (const item of body.results) {
        if (item === null || typeof item !== 'object') continue
        const id = (item as { id?: unknown }).id
        const identity = typeof id === 'string' ? id : JSON.stringify(item)
        if (seen.has(identity)) continue
        seen.add(identity)
        items.push(item)
        added++
      }
      offset += body.results.length
      const total = Number(body.meta?.count ?? Number.NaN)
      const limit = Number(body.meta?.limit) || pageSize
      if (body.results.length === 0 || added === 0) return items
      if (Number.isFinite(total) ? items.length >= total : body.results.length < limit) return items
    }
    throw new SuprSendError(`SuprSend kept returning pages while ${doing}; stopped after ${maxPages} pages`)
  }

  listSigningKeys(): Promise<SigningKey[]> {
    return this.#list<SigningKey>('/ws_signing_key/', 'listing signing keys')
  }

  async createSigningKey(): Promise<SigningKeyWithSecret> {
    const action: Action = {
      doing: 'creating a signing key',
      ifUnsure:
        'Run list-signing-keys to check whether a key was created: if one was, its private key was not received, so roll it.',
    }
    const { json } = await this.#call('POST', '/ws_signing_key/', action)
    return signingKeyFrom(json, action)
  }

  async rollSigningKey(uid: string): Promise<SigningKeyWithSecret> {
    const action: Action = {
      doing: `rolling signing key '${uid}'`,
      key: { noun: 'signing key', id: uid, input: 'signing-key-uid' },
      ifUnsure: `Run list-signing-keys to check: if '${uid}' is now 'rolled', the new key's private key was not received, so roll the new active key.`,
    }
    const { json } = await this.#call('POST', `/ws_signing_key/${encodeURIComponent(uid)}/roll/`, action)
    return signingKeyFrom(json, action)
  }

  /** Deletes the key; 'already-deleted' when a retry found it gone after an attempt that went through. */
  async deleteSigningKey(uid: string): Promise<Deletion> {
    const { response } = await this.#call('DELETE', `/ws_signing_key/${encodeURIComponent(uid)}/`, {
      doing: `deleting signing key '${uid}'`,
      key: { noun: 'signing key', id: uid, input: 'signing-key-uid' },
    })
    return response.status === 404 ? 'already-deleted' : 'deleted'
  }

  listPublicKeys(): Promise<PublicKey[]> {
    return this.#list<PublicKey>('/ws_public_key/', 'listing public keys')
  }

  async createPublicKey(input: { name: string; description?: string }): Promise<PublicKey> {
    const action: Action = {
      doing: `creating public key '${input.name}'`,
      ifUnsure: 'Run list-public-keys to check whether it was created before trying again.',
    }
    const { json } = await this.#call('POST', '/ws_public_key/', action, input)
    return publicKeyFrom(json, action)
  }

  async setSecureMode(id: string, enabled: boolean): Promise<PublicKey> {
    const action: Action = {
      doing: `${enabled ? 'enabling' : 'disabling'} secure mode on public key '${id}'`,
      key: { noun: 'public key', id, input: 'public-key-id' },
    }
    const { json } = await this.#call('PATCH', `/ws_public_key/${encodeURIComponent(id)}/`, action, {
      is_secure_mode_enabled: enabled,
    })
    return publicKeyFrom(json, action, id)
  }

  async rotatePublicKey(id: string): Promise<PublicKey> {
    const action: Action = {
      doing: `rotating public key '${id}'`,
      key: { noun: 'public key', id, input: 'public-key-id' },
      ifUnsure: `Run list-public-keys to see the current value of '${id}'.`,
    }
    const { json } = await this.#call('PATCH', `/ws_public_key/${encodeURIComponent(id)}/rotate/`, action)
    return publicKeyFrom(json, action, id)
  }

  /** Deletes the key; 'already-deleted' when a retry found it gone after an attempt that went through. */
  async deletePublicKey(id: string): Promise<Deletion> {
    const { response } = await this.#call('DELETE', `/ws_public_key/${encodeURIComponent(id)}/`, {
      doing: `deleting public key '${id}'`,
      key: { noun: 'public key', id, input: 'public-key-id' },
    })
    return response.status === 404 ? 'already-deleted' : 'deleted'
  }

  listApiKeys(): Promise<ApiKey[]> {
    return this.#list<ApiKey>('/ws_api_key/', 'listing API keys')
  }

  async createApiKey(input: { name: string; description?: string }): Promise<ApiKeyWithSecret> {
    const action: Action = {
      doing: `creating API key '${input.name}'`,
      ifUnsure:
        'Run list-api-keys to check whether it was created: if it was, its secret was not received, so delete it and create another.',
    }
    const { json } = await this.#call('POST', '/ws_api_key/', action, input)
    // Only the secret is indispensable; a missing id is reported by the caller after the key is stored.
    const key = requireFields<ApiKeyWithSecret>(json, ['api_key'], action, true)
    return { ...key, id: typeof key.id === 'string' ? key.id : '' }
  }

  /** Deletes the key; 'already-deleted' when a retry found it gone after an attempt that went through. */
  async deleteApiKey(id: string): Promise<Deletion> {
    const { response } = await this.#call('DELETE', `/ws_api_key/${encodeURIComponent(id)}/`, {
      doing: `deleting API key '${id}'`,
      key: { noun: 'API key', id, input: 'api-key-id' },
    })
    return response.status === 404 ? 'already-deleted' : 'deleted'
  }
}
