// What the benchmark runs: the action's operations against the SuprSend and GitHub sandboxes, set up
// so that every round does the same work, and checked so that a failed run never counts as a fast one.
import { randomBytes } from 'node:crypto'
import { maskLine, startGitHub, startSuprSend } from '../sandbox/index.ts'
import type { GitHubSandbox, RunActionOptions, RunActionResult, SuprSendSandbox } from '../sandbox/index.ts'

export const secretName = 'SUPRSEND_SIGNING_KEY'
export const listWorkspace = 'bench-list'

export interface Sandboxes {
  suprsend: SuprSendSandbox
  github: GitHubSandbox
}

export async function startSandboxes(): Promise<Sandboxes> {
  const [suprsend, github] = await Promise.all([startSuprSend(), startGitHub()])
  // A workspace with a realistic, fixed history: the active key and two it replaced.
  suprsend.addWorkspace(listWorkspace)
  suprsend.seedSigningKey(listWorkspace, { status: 'rolled' })
  suprsend.seedSigningKey(listWorkspace, { status: 'rolled' })
  suprsend.seedSigningKey(listWorkspace)
  return { suprsend, github }
}

/** One rotation's own workspace and GitHub token. */
export interface Rotation {
  workspace: string
  token: string
  repositories: string[]
}

let workspaces = 0

/**
 * A fresh workspace holding one active key, so that every rotation lists one short page and rolls
 * one key, and a fresh token, so that each run starts with GitHub's full limits (the sandbox limits
 * per token). The token is random and never printed.
 */
export function prepareRotation({ suprsend, github }: Sandboxes, repositories: string[]): Rotation {
  const workspace = `bench-rotate-${++workspaces}`
  suprsend.addWorkspace(workspace)
  suprsend.seedSigningKey(workspace)
  for (const name of repositories) github.addRepository(name)
  const token = `ghp_${randomBytes(18).toString('base64url')}`
  github.addToken(token)
  return { workspace, token, repositories }
}

const common = ({ suprsend }: Sandboxes) => ({ 'service-token': suprsend.token, 'api-url': suprsend.url })

export function listOptions(sandboxes: Sandboxes): RunActionOptions {
  return {
    githubApiUrl: sandboxes.github.url,
    inputs: { ...common(sandboxes), workspace: listWorkspace, operation: 'list-signing-keys' },
  }
}

export function rotationOptions(sandboxes: Sandboxes, rotation: Rotation, timeoutMs = 60_000): RunActionOptions {
  return {
    githubApiUrl: sandboxes.github.url,
    timeoutMs,
    inputs: {
      ...common(sandboxes),
      workspace: rotation.workspace,
      operation: 'rotate-signing-key',
      'secret-name': secretName,
      'github-token': rotation.token,
      repositories: rotation.repositories.join('\n'),
    },
  }
}

/** A floor bundle gets the runner's environment and the one input it reads, nothing from action.yml. */
export function floorOptions(bundle: string): RunActionOptions {
  return { bundle, actionDefaults: false, inputs: { operation: 'list-signing-keys' } }
}

/** The failed run's log, as the runner would show it, with the sandbox credentials masked as well. */
function failure(what: string, result: RunActionResult, problem: string, credentials: string[]): Error {
  const secrets = [...result.masks, ...credentials]
  const mask = (text: string) =>
    text
      .split('\n')
      .map((line) => maskLine(line, secrets))
      .join('\n')
  const exit = result.timedOut ? 'timed out' : `exit code ${result.exitCode}`
  return new Error(`${what} failed (${exit}): ${problem}\n${result.maskedLog}${mask(result.stderr)}`)
}

export function checkExit(what: string, sandboxes: Sandboxes, credentials: string[] = []) {
  return (result: RunActionResult): void => {
    if (result.exitCode !== 0 || result.timedOut)
      throw failure(what, result, 'the run did not succeed', [sandboxes.suprsend.token, ...credentials])
  }
}

export function checkList(sandboxes: Sandboxes) {
  return (result: RunActionResult): void => {
    checkExit('list-signing-keys', sandboxes)(result)
    const keys = JSON.parse(result.outputs['keys'] ?? '[]') as unknown[]
    if (keys.length !== 3) throw failure('list-signing-keys', result, `listed ${keys.length} keys, not 3`, [])
  }
}

/** Exit 0, the key rolled, and every repository's secret opens to the new active key. */
export function checkRotation(sandboxes: Sandboxes, rotation: Rotation) {
  return async (result: RunActionResult): Promise<void> => {
    const what = `rotate-signing-key into ${rotation.repositories.length} repositories`
    const credentials = [sandboxes.suprsend.token, rotation.token]
    checkExit(what, sandboxes, [rotation.token])(result)
    const written = JSON.parse(result.outputs['written'] ?? '[]') as unknown[]
    if (result.outputs['rotated'] !== 'true' || written.length !== rotation.repositories.length)
      throw failure(what, result, `rotated=${result.outputs['rotated']}, ${written.length} written`, credentials)
    const active = sandboxes.suprsend.activeSigningKey(rotation.workspace)
    for (const repository of rotation.repositories) {
      const stored = await sandboxes.github.readSecret('repository', repository, secretName)
      if (stored !== active?.private_key_pem)
        throw failure(what, result, `${repository} does not hold the new active key`, credentials)
    }
  }
}

/** The GitHub requests one token sent, by kind. */
export function requestsOf(github: GitHubSandbox, token: string): { reads: number; writes: number } {
  const mine = github.requests.filter((r) => r.headers.authorization?.endsWith(` ${token}`))
  const reads = mine.filter((r) => r.method === 'GET' || r.method === 'HEAD').length
  return { reads, writes: mine.length - reads }
}
