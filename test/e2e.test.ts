// End to end: the bundled action (dist/index.js) runs as a child process exactly as the runner runs
// it, against the loopback sandboxes. After every run, no piece of any secret may appear in what
// the runner would show (the raw log but its mask registrations, the summary, stderr, non-secret
// outputs). Rebuild dist/ first (`npm run build`): this suite tests what users run.
import { describe, expect, test } from 'vitest'
import { generateSigningKeyMaterial, runAction, type RunActionResult, type RunActionOptions } from './sandbox/index.ts'
import { changes, storing, tokens, workspace, worldFixture, type World } from './support/world.ts'

interface Act {
  (inputs: Record<string, string>, options?: RunActionOptions): Promise<RunActionResult>
}

/** Workspaces some tests add beside the world's 'staging'. */
const extraWorkspaces = ['fresh', 'aged']

/** Every secret the sandboxes know of, cut into the pieces a partial leak would show. */
function secretPieces(world: World): string[] {
  const secrets = [tokens.service, tokens.github, tokens.noSecrets]
  for (const slug of [workspace, ...extraWorkspaces]) {
    world.suprsend.addWorkspace(slug)
    for (const key of world.suprsend.signingKeys(slug, { includeDeleted: true })) {
      secrets.push(
        key.private_key_base64,
        ...key.private_key_pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
      )
    }
    for (const key of world.suprsend.apiKeys(slug, { includeDeleted: true })) secrets.push(key.api_key)
  }
  const pieces = secrets.flatMap((secret) =>
    Array.from({ length: secret.length - 11 }, (_, i) => secret.slice(i, i + 12)),
  )
  // A deterministic sandbox pads ids with 'x'; a run of one character is not a piece of a secret.
  return pieces.filter((piece) => new Set(piece).size > 3)
}

function expectNoLeak(world: World, result: RunActionResult): void {
  const shown = [
    ...result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')),
    result.summary,
    result.stderr,
    ...Object.entries(result.outputs)
      .filter(([name]) => !['private-key', 'private-key-base64', 'api-key'].includes(name))
      .map(([, v]) => v),
  ].join('\n')
  expect(secretPieces(world).filter((piece) => shown.includes(piece))).toEqual([])
  for (const mask of result.masks) expect(mask).not.toMatch(/-----(BEGIN|END) /)
}

const it = test.extend<{ world: World; act: Act }>({
  world: worldFixture({ deterministic: false }),
  act: async ({ world }, use) => {
    await use(async (inputs, options = {}) => {
      const result = await runAction({
        inputs: { 'service-token': tokens.service, workspace, 'api-url': world.suprsend.url, ...inputs },
        githubApiUrl: world.github.url,
        ...options,
      })
      expect(result.timedOut).toBe(false)
      expectNoLeak(world, result)
      return result
    })
  },
})

const error = (result: RunActionResult) =>
  /^::error::(.*)$/m.exec(result.stdout)?.[1]?.replace(/%0A/g, '\n').replace(/%25/g, '%')

describe('every operation', () => {
  it.for<[string, (w: World) => Record<string, string>, string]>([
    ['list-signing-keys', () => ({}), 'keys'],
    ['create-signing-key', () => ({ workspace: 'fresh' }), 'private-key'],
    ['roll-signing-key', () => ({}), 'previous-key-uid'],
    ['rotate-signing-key', () => storing, 'written'],
    ['delete-signing-key', (w) => ({ 'signing-key-uid': w.signingKey.uid }), 'key-uid'],
    ['list-public-keys', () => ({}), 'keys'],
    ['create-public-key', () => ({ name: 'web' }), 'public-key'],
    [
      'rotate-public-key',
      (w) => ({ 'public-key-id': w.publicKey.id, 'github-token': tokens.github, 'variable-name': 'PK' }),
      'public-key',
    ],
    ['enable-secure-mode', (w) => ({ 'public-key-id': w.publicKey.id }), 'secure-mode'],
    ['disable-secure-mode', (w) => ({ 'public-key-id': w.publicKey.id }), 'secure-mode'],
    ['delete-public-key', (w) => ({ 'public-key-id': w.publicKey.id }), 'key-id'],
    ['list-api-keys', () => ({}), 'keys'],
    ['create-api-key', () => ({ name: 'worker' }), 'api-key'],
    [
      'rotate-api-key',
      (w) => ({ 'api-key-id': w.apiKey.id, 'github-token': tokens.github, 'secret-name': 'AK' }),
      'previous-key-id',
    ],
    ['delete-api-key', (w) => ({ 'api-key-id': w.apiKey.id }), 'key-id'],
  ])('%s', async ([operation, inputs, output], { world, act }) => {
    world.suprsend.addWorkspace('fresh')
    const result = await act({ operation, ...inputs(world) })
    expect([result.exitCode, result.outputs[output] !== undefined && result.outputs[output] !== '']).toEqual([0, true])
  })
})

describe('rotation', () => {
  it('stores the active key in repository, environment and organization secrets in one run', async ({ world, act }) => {
    const result = await act({
      operation: 'rotate-signing-key',
      ...storing,
      repositories: 'acme/app, acme/app/production',
    })
    await act({
      operation: 'rotate-signing-key',
      ...storing,
      organization: 'acme',
      visibility: 'selected',
      repositories: 'acme/api',
    })
    const pem = world.suprsend.activeSigningKey(workspace)?.private_key_pem
    expect(result.exitCode).toBe(0)
    expect(await world.github.readSecret('organization', 'acme', 'SUPRSEND_SIGNING_KEY')).toBe(pem)
  })

  it('stores into Dependabot secrets', async ({ world, act }) => {
    await act({ operation: 'rotate-signing-key', ...storing, 'secret-type': 'dependabot' })
    const pem = world.suprsend.activeSigningKey(workspace)?.private_key_pem
    expect(
      await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY', { type: 'dependabot' }),
    ).toBe(pem)
  })

  it('stores into Codespaces secrets', async ({ world, act }) => {
    await act({ operation: 'rotate-signing-key', ...storing, 'secret-type': 'codespaces' })
    const pem = world.suprsend.activeSigningKey(workspace)?.private_key_pem
    expect(
      await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY', { type: 'codespaces' }),
    ).toBe(pem)
  })

  it('rotates a key older than rotate-if-older-than', async ({ world, act }) => {
    world.suprsend.addWorkspace('aged')
    world.suprsend.seedSigningKey('aged', { created_at: '2025-01-01T00:00:00Z' })
    const result = await act({
      operation: 'rotate-signing-key',
      workspace: 'aged',
      'rotate-if-older-than': '90d',
      ...storing,
    })
    expect(result.outputs['rotated']).toBe('true')
  })

  it('leaves a key younger than rotate-if-older-than, and still runs the preflight', async ({ world, act }) => {
    const result = await act({
      operation: 'rotate-signing-key',
      'rotate-if-older-than': '3650d',
      ...storing,
      'github-token': tokens.noSecrets,
    })
    expect(error(result)).toContain(
      'GitHub preflight failed for 1 of 1 destination, so nothing was changed in SuprSend',
    )
    expect(changes(world)).toEqual([])
  })

  it('rotates a public key last rotated longer ago than rotate-if-older-than', async ({ world, act }) => {
    const key = world.suprsend.seedPublicKey(workspace, { rotated_at: '2025-01-01T00:00:00Z' })
    const result = await act({ operation: 'rotate-public-key', 'public-key-id': key.id, 'rotate-if-older-than': '30d' })
    expect(result.outputs['rotated']).toBe('true')
  })

  it('leaves a public key rotated more recently than rotate-if-older-than', async ({ world, act }) => {
    const key = world.suprsend.seedPublicKey(workspace, {
      created_at: '2020-01-01T00:00:00Z',
      rotated_at: new Date().toISOString(),
    })
    const result = await act({ operation: 'rotate-public-key', 'public-key-id': key.id, 'rotate-if-older-than': '30d' })
    expect([result.outputs['rotated'], changes(world)]).toEqual(['false', []])
  })

  it('rotates an API key older than rotate-if-older-than', async ({ world, act }) => {
    const key = world.suprsend.seedApiKey(workspace, { name: 'old', created_at: '2025-01-01T00:00:00Z' })
    const result = await act({
      operation: 'rotate-api-key',
      'api-key-id': key.id,
      'rotate-if-older-than': '90d',
      'github-token': tokens.github,
      'secret-name': 'AK',
    })
    expect(result.outputs['rotated']).toBe('true')
  })

  it('leaves an API key younger than rotate-if-older-than', async ({ world, act }) => {
    const result = await act({
      operation: 'rotate-api-key',
      'api-key-id': world.apiKey.id,
      'rotate-if-older-than': '90d',
      'github-token': tokens.github,
      'secret-name': 'AK',
    })
    expect([result.outputs['rotated'], changes(world)]).toEqual(['false', []])
  })

  it('writes into the repository of an Enterprise Managed User', async ({ world, act }) => {
    world.github.addRepository('mona_acme/tools')
    const result = await act({ operation: 'rotate-signing-key', ...storing, repositories: 'mona_acme/tools' })
    expect(JSON.parse(result.outputs['written'] ?? '')[0]?.target).toBe('mona_acme/tools')
  })

  it('seals again when GitHub’s public key changed after the preflight', async ({ world, act }) => {
    let rotated = false
    const rotateKeyFirst = () => ((rotated ||= Boolean(world.github.rotatePublicKey('repository', 'acme/app'))), false)
    world.github.inject({ method: 'PUT', when: rotateKeyFirst })
    const result = await act({ operation: 'rotate-signing-key', ...storing })
    expect(result.exitCode).toBe(0)
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      world.suprsend.activeSigningKey(workspace)?.private_key_pem,
    )
  })

  it('warns about a new key stored nowhere', async ({ act }) => {
    const result = await act({ operation: 'rotate-signing-key' })
    expect(result.stdout).toMatch(
      /^::warning::The new key now exists only in this step's outputs 'private-key' and 'private-key-base64'/m,
    )
  })

  it('keeps the key in the masked outputs when a write fails after the roll', async ({ world, act }) => {
    world.github.inject({ method: 'PUT', status: 403, body: { message: 'Resource not accessible by integration' } })
    const result = await act({ operation: 'rotate-signing-key', ...storing })
    expect(error(result)).toContain('exists in SuprSend but was not stored everywhere')
    expect(result.outputs['private-key']).toBe(world.suprsend.activeSigningKey(workspace)?.private_key_pem)
    expect(JSON.parse(result.outputs['failed'] ?? '')).toHaveLength(1)
  })

  it('does not warn when the key is stored, or in a dry run', async ({ act }) => {
    const stored = await act({ operation: 'rotate-signing-key', ...storing })
    const dryRun = await act({ operation: 'rotate-signing-key', 'dry-run': 'true' })
    expect([stored.stdout, dryRun.stdout].filter((out) => out.includes('::warning::'))).toEqual([])
  })

  it('sends only reads in a dry run', async ({ world, act }) => {
    await act({ operation: 'rotate-signing-key', ...storing, 'dry-run': 'true' })
    expect(changes(world)).toEqual([])
  })
})

describe('hostile answers', () => {
  it('a uid carrying a workflow command is printed as data', async ({ world, act }) => {
    world.suprsend.seedSigningKey(workspace, { uid: 'signing_key_x\n::stop-commands::pwned', status: 'rolled' })
    const result = await act({ operation: 'list-signing-keys' })
    expect(result.stdout).not.toMatch(/^::stop-commands::/m)
  })

  it('an error page that echoes the request headers leaks no part of the token', async ({ world, act }) => {
    world.suprsend.inject({ method: 'GET', path: `/v1/${workspace}/ws_signing_key/`, status: 400, echoHeaders: true })
    expect(error(await act({ operation: 'list-signing-keys' }))).toMatch(/with a body that is not JSON/)
  })

  it('a byte-order mark before the roll answer loses no key', async ({ world, act }) => {
    world.suprsend.inject({ method: 'POST', bom: true })
    const result = await act({ operation: 'rotate-signing-key', ...storing })
    expect(result.exitCode).toBe(0)
  })

  it('a key on the wrong curve is not stored', async ({ world, act }) => {
    world.suprsend.nextKeyMaterial(workspace, { pem: generateSigningKeyMaterial({ curve: 'P-384' }).private_key_pem })
    const result = await act({ operation: 'rotate-signing-key', ...storing })
    expect(error(result)).toContain('not P-256, so it was not stored anywhere')
    expect(world.github.secretNames('repository', 'acme/app')).toEqual([])
  })

  it('a server that ignores offset fails the list', async ({ world, act }) => {
    world.suprsend.setHostile(workspace, { ignoreOffset: true, pageSize: 1 })
    world.suprsend.seedSigningKey(workspace, { status: 'rolled' })
    expect(error(await act({ operation: 'list-signing-keys' }))).toContain('so the list cannot be trusted')
  })

  it('two active keys are not rolled', async ({ world, act }) => {
    world.suprsend.seedSigningKey(workspace)
    expect(error(await act({ operation: 'rotate-signing-key' }))).toContain(
      'so the action will not roll or rotate any of them',
    )
    expect(changes(world)).toEqual([])
  })

  it('a 9 MB error message stays within the bounds', async ({ world, act }) => {
    world.suprsend.inject({ method: 'GET', status: 400, hugeBody: 9_000_000 })
    const result = await act({ operation: 'list-signing-keys' })
    expect(Buffer.byteLength(/^::error::.*$/m.exec(result.stdout)?.[0] ?? '')).toBeLessThanOrEqual(4096)
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1_048_576)
  })

  it('a roll that drips past the timeout is reported as a timeout', async ({ world, act }) => {
    world.suprsend.inject({ method: 'POST', drip: { intervalMs: 300, chunkBytes: 1 } })
    expect(error(await act({ operation: 'rotate-signing-key', 'request-timeout': '1' }))).toContain(
      'but timed out after 1 s; it was not retried',
    )
  })
})

describe('cancellation by the runner', () => {
  it('SIGINT during the preflight stops the run with nothing changed', async ({ world, act }) => {
    world.github.latencyMs = 500
    let sent = false
    const result = await act(
      { operation: 'rotate-signing-key', ...storing },
      {
        onLine: (line, signal) =>
          line.startsWith('::add-mask::') && !sent && (sent = true) && setTimeout(() => signal('SIGINT'), 200),
      },
    )
    expect(error(result)).toContain('the run was cancelled (SIGINT) before anything was changed in SuprSend')
    expect(changes(world)).toEqual([])
  })

  it('SIGINT then SIGTERM after the roll: the key is still stored everywhere', async ({ world, act }) => {
    const result = await act(
      { operation: 'rotate-signing-key', ...storing, repositories: 'acme/app, acme/api' },
      {
        onLine: (line, signal) =>
          line.startsWith('Rolled signing key') && (signal('SIGINT'), setTimeout(() => signal('SIGTERM'), 100)),
      },
    )
    expect(result.stdout).toContain('Received SIGINT while storing')
    expect(JSON.parse(result.outputs['written'] ?? '')).toHaveLength(2)
    expect(await world.github.readSecret('repository', 'acme/api', 'SUPRSEND_SIGNING_KEY')).toBe(
      world.suprsend.activeSigningKey(workspace)?.private_key_pem,
    )
  })
})

describe('bad input', () => {
  it.for<Record<string, string>>([
    { operation: 'rotate-keys' },
    { operation: 'delete-signing-key', 'signing-key-uid': 'ws_signk_1' },
    { operation: 'rotate-signing-key', 'rotate-if-older-than': '1w' },
    { operation: 'rotate-signing-key', ...storing, 'secret-type': 'dependabot', environment: 'production' },
    { operation: 'rotate-signing-key', 'rotate-if-older-than': '30' },
    { operation: 'rotate-signing-key', 'rotate-if-older-than': '-5d' },
    { operation: 'rotate-signing-key', 'rotate-if-older-than': '0d' },
    { operation: 'create-signing-key', 'rotate-if-older-than': '30d' },
    { operation: 'rotate-api-key', name: 'n', 'rotate-if-older-than': '30d', ...storing },
    { operation: 'rotate-signing-key', ...storing, 'secret-type': 'codespaces', repositories: 'acme/app/production' },
    {
      operation: 'rotate-public-key',
      'public-key-id': 'ws_pubk_1',
      'github-token': 'x',
      'variable-name': 'V',
      'secret-type': 'dependabot',
    },
    { operation: 'rotate-signing-key', ...storing, 'secret-type': 'npm' },
    {
      operation: 'rotate-signing-key',
      ...storing,
      organization: 'acme',
      visibility: 'selected',
      repositories: 'other/app',
    },
    { operation: 'rotate-signing-key', ...storing, environment: 'prod\u200buction' },
  ])('$operation with a bad input fails with one error and sends no request', async (inputs, { world, act }) => {
    const result = await act(inputs)
    expect(result.stdout.split('\n').filter((line) => line.startsWith('::error::'))).toHaveLength(1)
    expect(world.requests()).toEqual([])
  })
})
