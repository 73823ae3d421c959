import { Agent, Dispatcher, EnvHttpProxyAgent } from 'undici'

/**
 * The one undici dispatcher every request of a run goes through, SuprSend's
 * and GitHub's (Octokit gets undici's fetch bound to it). Two domain rules
 * sit on top of undici here: a loopback or plain-http address never goes
 * through a proxy, and no answer may be larger than `maxBodyBytes`.
 */

/** A larger answer is not a key API's answer (a proxy's runaway page, say): stop reading it. */
export const maxBodyBytes = 10 * 1024 * 1024

/** The runner's environment cannot work as it is; the message names the variable and the fix. */
export class EnvironmentError extends Error {}

export class ResponseTooLargeError extends Error {
  readonly code = 'ERESPONSETOOLARGE'
  constructor(limit: number) {
    super(
      `the answer was larger than ${limit % 1_048_576 === 0 ? `${limit / 1_048_576} MiB` : `${limit} bytes`}, so it was not read`,
    )
  }
}

type Handler = Dispatcher.DispatchHandler
type Controller = Parameters<NonNullable<Handler['onResponseData']>>[0]

/** Aborts an answer whose declared or received body exceeds `limit` bytes, whatever sent it. */
export function limitBody(limit = maxBodyBytes): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    let received = 0
    const tooLarge = (controller: Controller) => controller.abort(new ResponseTooLargeError(limit))
    return dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, status, headers, socket) =>
        handler.onRequestUpgrade?.(controller, status, headers, socket),
      onResponseStart(controller, status, headers, message) {
        if (Number(headers['content-length'] ?? 0) > limit) return tooLarge(controller)
        return handler.onResponseStart?.(controller, status, headers, message)
      },
      onResponseData(controller, chunk) {
        received += chunk.length
        if (received > limit) return tooLarge(controller)
        return handler.onResponseData?.(controller, chunk)
      },
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    })
  }
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** Sends loopback and plain-http origins directly, everything else through the proxy agent. */
class ProxyUnlessLoopback extends Dispatcher {
  // Plain fields, not #private ones: compose() calls these methods through a Proxy.
  readonly direct: Agent
  readonly proxied: EnvHttpProxyAgent

  constructor(direct: Agent, proxied: EnvHttpProxyAgent) {
    super()
    this.direct = direct
    this.proxied = proxied
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    const url = new URL(String(options.origin))
    // Plain http is allowed only to loopback, and a token must never cross a proxy in clear text.
    const direct = url.protocol === 'http:' || isLoopback(url.hostname)
    return (direct ? this.direct : this.proxied).dispatch(options, handler)
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct.close(), this.proxied.close()])
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct.destroy(), this.proxied.destroy()])
  }
}

const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']

/** The dispatcher for a run: undici's Agent, or its EnvHttpProxyAgent when a proxy variable is set. */
export function createDispatcher(env: Record<string, string | undefined>): Dispatcher {
  const direct = new Agent()
  const set = proxyVariables.filter((name) => env[name])
  if (set.length === 0) return direct.compose(limitBody())
  const pick = (name: string) => env[name] ?? env[name.toLowerCase()]
  const [httpProxy, httpsProxy, noProxy] = [pick('HTTP_PROXY'), pick('HTTPS_PROXY'), pick('NO_PROXY')]
  try {
    const proxied = new EnvHttpProxyAgent({
      ...(httpProxy ? { httpProxy } : {}),
      ...(httpsProxy ? { httpsProxy } : {}),
      ...(noProxy !== undefined ? { noProxy } : {}),
    })
    return new ProxyUnlessLoopback(direct, proxied).compose(limitBody())
  } catch {
    // Not the error itself: it quotes the URL, and a proxy URL may hold a password.
    throw new EnvironmentError(
      `The proxy set in ${set.join(', ')} is not a usable proxy URL; use the form http://proxy.example.com:3128 ` +
        '(the value is not shown, as it may hold a password).',
    )
  }
}
