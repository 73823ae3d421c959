import { CancelledError } from './http/send.ts'

/**
 * Cancellation. When a run is cancelled or times out, the runner sends
 * SIGINT, waits 7.5 s, sends SIGTERM, waits 2.5 s, then kills the process.
 * Before anything has changed in SuprSend, a signal stops the run at once:
 * reads in flight are aborted and no mutating request is sent. Once a key
 * has been created or rolled, a signal no longer stops anything: the key is
 * stored for as long as the runner allows, and `onLateSignal` says where.
 */

export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
}

export class Cancellation {
  readonly #controller = new AbortController()
  readonly #source: SignalSource | undefined
  readonly #listeners: [event: 'SIGINT' | 'SIGTERM', listener: () => void][] = []
  #received: string | undefined
  #committed = false
  /** Called for a signal that arrives once a change has been made. */
  onLateSignal: (signal: string) => void = () => {}

  constructor(source?: SignalSource) {
    this.#source = source
    for (const event of ['SIGINT', 'SIGTERM'] as const) {
      const listener = () => this.#signalled(event)
      source?.on(event, listener)
      this.#listeners.push([event, listener])
    }
  }

  #signalled(signal: string): void {
    this.#received ??= signal
    if (this.#committed) this.onLateSignal(signal)
    else this.#controller.abort(new CancelledError(`the run was cancelled (${signal})`))
  }

  /** Aborted by a signal that arrives before any change. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** The first signal received, if any. */
  get received(): string | undefined {
    return this.#received
  }

  /** Called right before the first mutating request: from here on, signals no longer abort. */
  commit(): void {
    if (this.#received) throw new CancelledError(`the run was cancelled (${this.#received})`)
    this.#committed = true
  }

  dispose(): void {
    for (const [event, listener] of this.#listeners) this.#source?.off(event, listener)
  }
}
