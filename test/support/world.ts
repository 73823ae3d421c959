// One fresh pair of sandboxes per test (vitest fixture `world`): a SuprSend workspace 'staging'
// with deterministic ids and one key of each kind, and a GitHub with repositories, an environment,
// an organization and tokens. `transcript()` renders what the runner would show and the requests
// sent, for snapshots that read at a glance.
import { test as base } from 'vitest'
import {
  startGitHub,
  startSuprSend,
  maskLine,
  type ApiKeyWithSecret,
  type GitHubSandbox,
  type PublicKey,
  type RecordedRequest,
  type SigningKeyWithSecret,
  type SuprSendSandbox,
} from '../sandbox/index.ts'
import { runMain, type RunOptions, type RunView } from './run.ts'

export const tokens = {
  service: 'sst_test_service_0123456789abcdefghijklmnopqrstu',
  github: 'ghs_test_full_0123456789abcdefghijklmnopqr',
  noSecrets: 'ghs_test_no_secrets_0123456789abcdefghijk',
}

export interface World {
  suprsend: SuprSendSandbox
  github: GitHubSandbox
  signingKey: SigningKeyWithSecret
  publicKey: PublicKey
  apiKey: ApiKeyWithSecret
  /** Runs main() with the workspace, the service token and both sandboxes' URLs filled in. */
  run(inputs: Record<string, string>, options?: RunOptions): Promise<RunView>
  /** Every request either sandbox received, as 'suprsend GET /path' lines. */
  requests(): string[]
}

export const workspace = 'staging'
/** With storing: the full-access token and one secret, into GITHUB_REPOSITORY (acme/app). */
export const storing = { 'github-token': tokens.github, 'secret-name': 'SUPRSEND_SIGNING_KEY' }

/** Deterministic ids read well in snapshots; random ones make a leak check that no id can trip. */
export async function startWorld({ deterministic = true } = {}): Promise<World> {
  const suprsend = await startSuprSend({ token: tokens.service, deterministic })
  const github = await startGitHub()
  suprsend.addWorkspace(workspace)
  const signingKey = suprsend.seedSigningKey(workspace)
  const publicKey = suprsend.seedPublicKey(workspace, { name: 'web-app' })
  const apiKey = suprsend.seedApiKey(workspace, { name: 'backend' })
  github.addRepository('acme/app', { id: 101, environments: ['production'] })
  github.addRepository('acme/api', { id: 102 })
  github.addOrganization('acme', { id: 1 })
  github.addToken(tokens.github)
  github.addToken(tokens.noSecrets, { secrets: false })
  const label = (server: string, request: RecordedRequest) =>
    `${server} ${request.method} ${request.path}${request.refused ? ` (refused: ${request.refused})` : ''}`
  return {
    suprsend,
    github,
    signingKey,
    publicKey,
    apiKey,
    run: (inputs, options = {}) =>
      runMain(
        { 'service-token': tokens.service, workspace, 'api-url': suprsend.url, ...inputs },
        { ...options, env: { GITHUB_API_URL: github.url, ...options.env } },
      ),
    requests: () =>
      [
        ...suprsend.requests.map((r) => ({ at: r.at, line: label('suprsend', r) })),
        ...github.requests.map((r) => ({ at: r.at, line: label('github', r) })),
      ]
        .sort((a, b) => a.at - b.at)
        .map((r) => r.line),
  }
}

export function worldFixture(options: { deterministic?: boolean } = {}) {
  // eslint-disable-next-line no-empty-pattern
  return async ({}, use: (world: World) => Promise<void>) => {
    const world = await startWorld(options)
    await use(world)
    await Promise.all([world.suprsend.close(), world.github.close()])
  }
}

export const it = base.extend<{ world: World }>({ world: worldFixture() })

/** The run as the runner shows it: exit code, masked log, annotations, outputs (masked as the runner masks them). */
export function transcript(view: RunView): string {
  const masked = (value: string) =>
    maskLine(
      value,
      view.masks.flatMap((m) => [
        m,
        ...m
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean),
      ]),
    )
  const outputs = Object.entries(view.outputs).map(
    ([name, value]) => `  ${name}: ${masked(value.replace(/\n/g, '\\n'))}`,
  )
  const log = view.log
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `  ${line.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<sandbox>')}`)
  return ['', `exit ${view.exitCode}`, 'log:', ...log, 'outputs:', ...outputs, ''].join('\n')
}

/** Requests that change something, in order. */
export function changes(world: World): string[] {
  return world.requests().filter((line) => !/ (GET|HEAD) /.test(line))
}
