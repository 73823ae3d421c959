// Public types of the GitHub stand-in (github.ts): options, token permissions and the sandbox handle.
import type { Fault, FaultHandle, RecordedRequest } from './http.ts'
import type { RateLimits, RateLimitStatus, RefusalCounts } from './rate-limits.ts'
import type { DestinationKind, SecretMeta, SecretsPublicKey, SecretType } from './github-store.ts'
import type { VariableMeta, Visibility } from './github-store.ts'

/** target: 'owner/repo' | 'owner/repo/<environment name>' | 'org'. */
export interface Destination {
  kind: DestinationKind
  target: string
}

/** What a token may do; every permission left out is granted. */
export interface TokenPermissions {
  /** Actions secrets (repository, organization; environments also need `environments`). */
  secrets?: boolean
  /** Actions variables (repository, organization; environments also need `environments`). */
  variables?: boolean
  dependabotSecrets?: boolean
  codespacesSecrets?: boolean
  /** Environment secrets and variables. */
  environments?: boolean
}

export interface GitHubOptions {
  latencyMs?: number
  /** Tokens with full access from the start (same as addToken with no permissions). */
  tokens?: string[]
  /** Serve under a path prefix, like GHES's '/api/v3'; `url` then includes it. */
  pathPrefix?: string
  /** Override GitHub's rate limits (each defaults to GitHub's; Infinity turns one off). */
  limits?: RateLimits
  /** Clock in ms since the epoch, for the limiter, RecordedRequest.at and timestamps. Default Date.now. */
  now?: () => number
}

export interface RefuseOptions {
  /** Also refuse the secrets public-key GET (default false: read access is enough for it). */
  refusePublicKey?: boolean
}

/** Which secret family a helper works on; default 'actions'. */
export interface SecretOptions {
  type?: SecretType
}

export interface GitHubSandbox {
  /** Base URL for GITHUB_API_URL (http://127.0.0.1:PORT[prefix], no trailing slash). */
  readonly url: string
  readonly requests: RecordedRequest[]
  latencyMs: number
  addRepository(
    fullName: string,
    options?: { id?: number; environments?: string[]; private?: boolean },
  ): { id: number; full_name: string }
  addEnvironment(repository: string, environment: string): void
  addOrganization(login: string, options?: { id?: number }): { id: number; login: string }
  /** Accept `token` with these permissions (all granted unless set to false); replaces earlier ones. */
  addToken(token: string, permissions?: TokenPermissions): void
  /** addToken(token) with every permission. */
  allowToken(token: string): void
  refuseToken(token: string, destination: Destination, options?: RefuseOptions): void
  publicKey(kind: DestinationKind, target: string, options?: SecretOptions): SecretsPublicKey
  /** New current key pair for that family; secrets sealed for the old key still open with readSecret. */
  rotatePublicKey(kind: DestinationKind, target: string, options?: SecretOptions): SecretsPublicKey
  /** Opens the stored sealed box with that family's private key (libsodium). Throws if absent or unopenable. */
  readSecret(kind: DestinationKind, target: string, name: string, options?: SecretOptions): Promise<string>
  secretMeta(kind: DestinationKind, target: string, name: string, options?: SecretOptions): SecretMeta | undefined
  secretNames(kind: DestinationKind, target: string, options?: SecretOptions): string[]
  seedSecret(
    kind: DestinationKind,
    target: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selected_repository_ids?: number[] } & SecretOptions,
  ): Promise<void>
  readVariable(kind: DestinationKind, target: string, name: string): string | undefined
  variableMeta(kind: DestinationKind, target: string, name: string): VariableMeta | undefined
  seedVariable(
    kind: DestinationKind,
    target: string,
    name: string,
    value: string,
    options?: { visibility?: Visibility; selected_repository_ids?: number[] },
  ): void
  /** Primary budget of a token now (as its next answer's headers would say, before that request). */
  rateLimit(token: string): RateLimitStatus
  /** Preset a token's remaining primary budget (as if it had spent the rest), optionally with the reset time. */
  setRateLimitRemaining(token: string, remaining: number, options?: { resetInSeconds?: number }): void
  /** Limiter refusals by reason, for all tokens or one. */
  refusals(token?: string): RefusalCounts
  inject(fault: Fault): FaultHandle
  /** Clear faults, the request log, the limiter's state and its refusal counts (not destinations, tokens or stored values). */
  reset(): void
  close(): Promise<void>
}
