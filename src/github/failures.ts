import type { Destination, StorePlan } from '../inputs/store.ts'
import type { Failed } from '../step.ts'
import type { Quote } from '../suprsend/errors.ts'
import { permissionNeeded } from './routes.ts'

/** GitHub's answers turned into sentences that say what was being done and what to fix. */

/** A failure whose message already says what was being done and why it failed. */
export class ExplainedError extends Error {}

/** Stops the run before anything changes in SuprSend; `failures` names each destination that failed. */
export class PreflightError extends Error {
  readonly failures: Failed[]
  /** What to do about it, said after the message. */
  readonly advice: string | undefined
  constructor(message: string, failures: Failed[] = [], advice?: string) {
    super(message)
    this.failures = failures
    this.advice = advice
  }
}

interface Failure {
  /** 0 when no HTTP answer came (a network error or a timeout). */
  status: number
  message: string
}

const codeOf = (error: unknown): string | undefined => {
  for (let current = error, depth = 0; current instanceof Error && depth < 6; depth++) {
    if (current.name === 'TimeoutError') return 'ETIMEDOUT'
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** Octokit's RequestError carries the status and GitHub's `message`; a fetch failure has status 500 and no response. */
function failureOf(error: unknown, timeoutMs: number, quote: Quote): Failure {
  const { status, response } = error as { status?: unknown; response?: { data?: unknown } }
  if (typeof status === 'number' && response) {
    const data = response.data as { message?: unknown } | string | undefined
    const said = typeof data === 'object' && typeof data?.message === 'string' ? data.message : String(data ?? '')
    return { status, message: quote(said || `HTTP ${status}`, 300, { html: typeof data === 'string' }) }
  }
  const code = codeOf(error)
  if (code === 'ETIMEDOUT') return { status: 0, message: `timed out after ${timeoutMs / 1000} s` }
  if (code === 'ECONNREFUSED') return { status: 0, message: 'the connection was refused' }
  if (code === 'ERESPONSETOOLARGE')
    return { status: 0, message: 'the answer was larger than 10 MiB, so it was not read' }
  return { status: 0, message: quote(`a network error (${code ?? (error as Error).message})`, 200) }
}

export function statusOf(error: unknown): number | undefined {
  const { status, response } = error as { status?: unknown; response?: unknown }
  return typeof status === 'number' && response ? status : undefined
}

export interface Explain {
  (error: unknown, destination: Destination, store: Pick<StorePlan, 'kind' | 'secretType'>, doing: string): string
}

export function explainer(timeoutMs: number, quote: Quote): Explain {
  return (error, destination, store, doing) => {
    if (error instanceof ExplainedError) return error.message
    const failure = failureOf(error, timeoutMs, quote)
    const said = `GitHub answered ${failure.status} "${failure.message}"`
    switch (failure.status) {
      case 0:
        return `${doing} failed: ${failure.message}`
      case 401:
        return `${said} while ${doing}: input 'github-token' was rejected (expired or revoked?)`
      case 403:
      case 429:
        if (/rate limit/i.test(failure.message)) {
          return `${said} while ${doing}: GitHub's rate limit held after waiting as GitHub asked; run again later`
        }
        return `${said} while ${doing}: the token lacks the ${permissionNeeded(destination, store)}`
      case 404: {
        const what = destination.kind === 'environment' ? 'repository or environment' : destination.kind
        return `${said} while ${doing}: the ${what} does not exist or the token cannot see it (it needs the ${permissionNeeded(destination, store)})`
      }
      default:
        return `${said} while ${doing}`
    }
  }
}
