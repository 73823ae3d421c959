import { NetworkError, send, type Exchange, type SendOptions } from '../http/send.ts'
import { signingKeyFrom, type NewSigningKey } from './key-material.ts'
import { errorFor, networkErrorFor, parseJson, SuprSendError, type Action, type Quote } from './errors.ts'
import type { ApiKey, ApiKeyWithSecret, ListPage, PublicKey, SigningKey } from './types.ts'

export const defaultApiUrl = 'https://management-api.suprsend.com'

/** Page size asked for; the loop follows `meta.count` whatever the server grants. */
const pageSize = 100
/** A guard against a server whose pages never end. */
const maxPages = 1000

export type Deletion = 'deleted' | 'already-deleted'

/** The list operations, named in the messages that tell a user how to check the workspace. */
export const listOperation = { signing: 'list-signing-keys', public: 'list-public-keys', api: 'list-api-keys' } as const

export interface SuprSendClientOptions {
  apiUrl: URL
  serviceToken: string
  workspace: string
  http: SendOptions
  quote: Quote
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object'

/** One workspace's keys, over SuprSend's management API. */
export class SuprSendClient {
  readonly #options: SuprSendClientOptions
  readonly #base: string

  constructor(options: SuprSendClientOptions) {
    this.#options = options
    this.#base = `${options.apiUrl.href.replace(/\/+$/, '')}/v1/${encodeURIComponent(options.workspace)}`
  }

  async #call(method: Exchange['method'], path: string, action: Action, body?: unknown) {
    // Creating, rolling and rotating must happen at most once; everything else may be repeated.
    const idempotent = method === 'GET' || method === 'DELETE' || (method === 'PATCH' && !path.endsWith('/rotate/'))
    const exchange: Exchange = {
      method,
      url: new URL(this.#base + path),
      headers: {
        authorization: `ServiceToken ${this.#options.serviceToken}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      idempotent,
    }
    let answer
    try {
      answer = await send(exchange, this.#options.http)
    } catch (error) {
      throw error instanceof NetworkError ? networkErrorFor(error, idempotent, action) : error
    }
    if (answer.status < 200 || answer.status > 299) {
      if (answer.alreadyDone) return { deleted: 'already-deleted' as Deletion, json: undefined }
      throw errorFor(answer, action, this.#options.workspace, this.#options.quote)
    }
    if (answer.status === 204 || answer.text.trim() === '') return { deleted: 'deleted' as Deletion, json: undefined }
    try {
      return { deleted: 'deleted' as Deletion, json: parseJson(answer.text) }
    } catch {
      const unsure = action.ifUnsure ? `. ${action.ifUnsure}` : ''
      throw new SuprSendError(
        `SuprSend answered HTTP ${answer.status} while ${action.doing}, but its body was not JSON${unsure}`,
      )
    }
  }

  /**
   * Reads every page, until an empty page or `meta.count` (or, without a
   * count, a short page). A page that brings no id not seen before means
   * the server ignores `offset` or repeats itself: the list cannot be
   * trusted, so that is an error rather than the end.
   */
  async #list<T extends { id: string }>(path: string, doing: string): Promise<T[]> {
    const items: T[] = []
    const seen = new Set<string>()
    for (let page = 0, offset = 0; page < maxPages; page++) {
      const { json } = await this.#call('GET', `${path}?limit=${pageSize}&offset=${offset}`, { doing })
      const body = (isObject(json) ? json : {}) as ListPage<T>
      if (!Array.isArray(body.results))
        throw new SuprSendError(`SuprSend's answer while ${doing} had no 'results' list`)
      const results = body.results.filter(isObject) as T[]
      if (results.length === 0) return items
      const fresh = results.filter((item) => !seen.has(String(item.id)))
      if (fresh.length === 0) {
        throw new SuprSendError(
          `SuprSend's page at offset ${offset} while ${doing} repeated only keys already listed, so the list cannot be trusted (the server may ignore 'offset')`,
        )
      }
      for (const item of results) seen.add(String(item.id))
      items.push(...results)
      offset += body.results.length
      const total = Number(body.meta?.count ?? Number.NaN)
      const limit = Number(body.meta?.limit) || pageSize
      if (Number.isFinite(total) ? offset >= total : body.results.length < limit) return items
    }
    throw new SuprSendError(`SuprSend kept returning pages while ${doing}; stopped after ${maxPages} pages`)
  }

  listSigningKeys(): Promise<SigningKey[]> {
    return this.#list<SigningKey>('/ws_signing_key/', 'listing signing keys')
  }

  async #newSigningKey(path: string, action: Action): Promise<NewSigningKey> {
    const { json } = await this.#call('POST', path, action)
    return signingKeyFrom(json, () => {
      // Never echo a success body: it may hold key material.
      throw new SuprSendError(
        `SuprSend's answer while ${action.doing} had neither 'private_key_pem' nor 'private_key_base64'. ${action.ifUnsure}`,
      )
    })
  }

  createSigningKey(): Promise<NewSigningKey> {
    return this.#newSigningKey('/ws_signing_key/', {
      doing: 'creating a signing key',
      ifUnsure: `Run ${listOperation.signing} to check whether a key was created: if one was, its private key was not received, so roll it.`,
    })
  }

  rollSigningKey(uid: string): Promise<NewSigningKey> {
    return this.#newSigningKey(`/ws_signing_key/${encodeURIComponent(uid)}/roll/`, {
      doing: `rolling signing key '${uid}'`,
      key: { noun: 'signing key', id: uid, input: 'signing-key-uid' },
      ifUnsure: `Run ${listOperation.signing} to check: if '${uid}' is now 'rolled', the new key's private key was not received, so roll the new active key.`,
    })
  }

  async #delete(collection: string, noun: string, id: string, input: string): Promise<Deletion> {
    const action = { doing: `deleting ${noun} '${id}'`, key: { noun, id, input } }
    return (await this.#call('DELETE', `/${collection}/${encodeURIComponent(id)}/`, action)).deleted
  }

  deleteSigningKey(uid: string): Promise<Deletion> {
    return this.#delete('ws_signing_key', 'signing key', uid, 'signing-key-uid')
  }

  listPublicKeys(): Promise<PublicKey[]> {
    return this.#list<PublicKey>('/ws_public_key/', 'listing public keys')
  }

  /** A public key answer: its value is what matters; a missing id falls back to the one asked for. */
  async #publicKey(method: 'POST' | 'PATCH', path: string, action: Action, body?: unknown): Promise<PublicKey> {
    const { json } = await this.#call(method, path, action, body)
    const key = (isObject(json) ? json : {}) as Partial<PublicKey>
    if (typeof key.api_key !== 'string' || key.api_key === '') {
      throw new SuprSendError(`SuprSend's answer while ${action.doing} lacked 'api_key'`)
    }
    return { ...key, id: typeof key.id === 'string' && key.id !== '' ? key.id : (action.key?.id ?? '') } as PublicKey
  }

  createPublicKey(input: { name: string; description?: string }): Promise<PublicKey> {
    const action = {
      doing: `creating public key '${input.name}'`,
      ifUnsure: `Run ${listOperation.public} to check whether it was created before trying again.`,
    }
    return this.#publicKey('POST', '/ws_public_key/', action, input)
  }

  setSecureMode(id: string, enabled: boolean): Promise<PublicKey> {
    const action = {
      doing: `${enabled ? 'enabling' : 'disabling'} secure mode on public key '${id}'`,
      key: { noun: 'public key', id, input: 'public-key-id' },
    }
    return this.#publicKey('PATCH', `/ws_public_key/${encodeURIComponent(id)}/`, action, {
      is_secure_mode_enabled: enabled,
    })
  }

  rotatePublicKey(id: string): Promise<PublicKey> {
    const action = {
      doing: `rotating public key '${id}'`,
      key: { noun: 'public key', id, input: 'public-key-id' },
      ifUnsure: `Run ${listOperation.public} to see the current value of '${id}'.`,
    }
    return this.#publicKey('PATCH', `/ws_public_key/${encodeURIComponent(id)}/rotate/`, action)
  }

  deletePublicKey(id: string): Promise<Deletion> {
    return this.#delete('ws_public_key', 'public key', id, 'public-key-id')
  }

  listApiKeys(): Promise<ApiKey[]> {
    return this.#list<ApiKey>('/ws_api_key/', 'listing API keys')
  }

  async createApiKey(input: { name: string; description?: string }): Promise<ApiKeyWithSecret> {
    const action = {
      doing: `creating API key '${input.name}'`,
      ifUnsure: `Run ${listOperation.api} to check whether it was created: if it was, its secret was not received, so delete it and create another.`,
    }
    const { json } = await this.#call('POST', '/ws_api_key/', action, input)
    const key = (isObject(json) ? json : {}) as Partial<ApiKeyWithSecret>
    // Only the secret is indispensable; a missing id is reported by the caller once the key is stored.
    if (typeof key.api_key !== 'string' || key.api_key === '') {
      throw new SuprSendError(`SuprSend's answer while ${action.doing} lacked 'api_key'. ${action.ifUnsure}`)
    }
    return { ...key, id: typeof key.id === 'string' ? key.id : '' } as ApiKeyWithSecret
  }

  deleteApiKey(id: string): Promise<Deletion> {
    return this.#delete('ws_api_key', 'API key', id, 'api-key-id')
  }
}
