import type { Answer, NetworkError } from '../http/send.ts'
import type { ErrorBody } from './types.ts'

/** Turns a server's words into a safe excerpt: scrubbed of every secret first, then cut. */
export type Quote = (text: string, max: number, options?: { html?: boolean }) => string

/**
 * SuprSend answered with an error, or the answer could not be used. The
 * message is one clause for the caller to put after the operation's name.
 */
export class SuprSendError extends Error {}

/** What a request is doing, in words for its error messages. */
export interface Action {
  /** e.g. "rolling signing key 'signing_key_x'" */
  doing: string
  /** The key the request targets, named in a 404. */
  key?: { noun: string; id: string; input: string }
  /** For requests that create key material: how to check after an unclear failure. */
  ifUnsure?: string
}

/** Parses a JSON body leniently: a byte-order mark and surrounding whitespace are not errors. */
export function parseJson(text: string): unknown {
  return JSON.parse(text.replace(/^\uFEFF/, '').trim())
}

function errorBody(text: string): ErrorBody | undefined {
  try {
    const body = parseJson(text)
    return body !== null && typeof body === 'object' ? (body as ErrorBody) : undefined
  } catch {
    return undefined
  }
}

/** SuprSend's own words from an error body: `message`, plus `detail` when it adds something. */
function apiWords(body: ErrorBody): string {
  const detail = Array.isArray(body.detail) ? body.detail.join('; ') : body.detail
  // Validation errors carry the detail list JSON-encoded in `message` as well.
  const message = typeof body.message === 'string' && !(detail && body.message.startsWith('[')) ? body.message : ''
  const parts = [message, typeof detail === 'string' && detail !== message ? detail : '']
  return parts
    .filter((part) => part.trim() !== '')
    .map((part) => part.trim().replace(/\.$/, ''))
    .join(': ')
}

function meaningOf(status: number, words: string, action: Action, workspace: string): string {
  const said = words ? ` (SuprSend says: ${words})` : ''
  if (status === 401) return `the service token was rejected${said}; check input 'service-token'`
  if (status === 403) return `the service token may not manage keys in workspace '${workspace}'${said}`
  if (status === 404 && action.key && !/workspace/i.test(words)) {
    const { noun, id, input } = action.key
    return `${noun} '${id}' was not found in workspace '${workspace}'${said}; check input '${input}'`
  }
  if (status === 404) return `workspace '${workspace}' was not found${said}; check input 'workspace'`
  return words || 'no message was given'
}

export function errorFor(answer: Answer, action: Action, workspace: string, quote: Quote): SuprSendError {
  const unsure = action.ifUnsure && answer.status >= 500 ? `. ${action.ifUnsure}` : ''
  const body = errorBody(answer.text)
  if (!body) {
    // A proxy's page may echo the request's headers: the excerpt is scrubbed before it is cut.
    const shown = quote(answer.text, 120, { html: true })
    return new SuprSendError(
      `SuprSend answered HTTP ${answer.status} with a body that is not JSON while ${action.doing}${shown ? `: "${shown}"` : ''}${unsure}`,
    )
  }
  const words = quote(apiWords(body), 300)
  return new SuprSendError(
    `SuprSend answered HTTP ${answer.status} while ${action.doing}: ${meaningOf(answer.status, words, action, workspace)}${unsure}`,
  )
}

export function networkErrorFor(error: NetworkError, idempotent: boolean, action: Action): SuprSendError {
  if (!idempotent && error.mayHaveReachedServer) {
    return new SuprSendError(
      `the request may have reached SuprSend while ${action.doing}, but ${error.message}; ` +
        `it was not retried, because repeating it could replace the key it returned. ${action.ifUnsure ?? ''}`.trim(),
    )
  }
  const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : ''
  return new SuprSendError(`could not reach SuprSend while ${action.doing}${tries}: ${error.message}`)
}
