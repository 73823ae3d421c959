// Storing in GitHub, one scenario per test: every destination kind and secret family opened with
// real libsodium, the preflight, GitHub's pacing and limits, and failures that stay readable.
import { describe, expect } from 'vitest'
import { startGitHub } from './sandbox/index.ts'
import { changes, it, storing, tokens } from './support/world.ts'

const secret = 'SUPRSEND_SIGNING_KEY'
const rotate = { operation: 'rotate-signing-key', ...storing }
const activePem = (world: { suprsend: { activeSigningKey(ws: string): { private_key_pem: string } | undefined } }) =>
  world.suprsend.activeSigningKey('staging')?.private_key_pem

describe('destinations', () => {
  it('writes repository secrets and an environment secret whose name needs encoding, in one run', async ({ world }) => {
    world.github.addEnvironment('acme/api', 'prod eu')
    const view = await world.run({ ...rotate, repositories: 'acme/app\nacme/api/prod eu' })
    expect(JSON.parse(view.outputs['written'] ?? '')).toEqual([
      { kind: 'repository', target: 'acme/app', name: secret, result: 'created' },
      { kind: 'environment', target: 'acme/api/prod eu', name: secret, result: 'created' },
    ])
    expect(await world.github.readSecret('environment', 'acme/api/prod eu', secret)).toBe(activePem(world))
    expect(changes(world)).toContain(`github PUT /repos/acme/api/environments/prod%20eu/secrets/${secret}`)
  })

  it('writes an organization secret shared with selected repositories, by id', async ({ world }) => {
    await world.run({ ...rotate, organization: 'acme', visibility: 'selected', repositories: 'acme/app, acme/api' })
    expect(world.github.secretMeta('organization', 'acme', secret)).toMatchObject({
      visibility: 'selected',
      selected_repository_ids: [101, 102],
    })
    expect(await world.github.readSecret('organization', 'acme', secret)).toBe(activePem(world))
  })

  it('writes a Dependabot secret, sealed for the Dependabot key and not the Actions one', async ({ world }) => {
    await world.run({ ...rotate, 'secret-type': 'dependabot' })
    expect(await world.github.readSecret('repository', 'acme/app', secret, { type: 'dependabot' })).toBe(
      activePem(world),
    )
    expect(world.github.secretNames('repository', 'acme/app')).toEqual([])
  })

  it('writes a Codespaces organization secret', async ({ world }) => {
    await world.run({ ...rotate, 'secret-type': 'codespaces', organization: 'acme', visibility: 'all' })
    expect(await world.github.readSecret('organization', 'acme', secret, { type: 'codespaces' })).toBe(activePem(world))
  })

  it('works against GitHub Enterprise Server under /api/v3', async ({ world }) => {
    const ghes = await startGitHub({ pathPrefix: '/api/v3' })
    ghes.addRepository('acme/app')
    ghes.addToken(tokens.github)
    const view = await world.run(rotate, { env: { GITHUB_API_URL: ghes.url } })
    expect(await ghes.readSecret('repository', 'acme/app', secret)).toBe(activePem(world))
    expect(view.exitCode).toBe(0)
    await ghes.close()
  })

  it('seals again, once, when GitHub’s public key changed since the preflight', async ({ world }) => {
    let rotated = false
    const rotateKeyFirst = () => ((rotated ||= Boolean(world.github.rotatePublicKey('repository', 'acme/app'))), false)
    world.github.inject({ method: 'PUT', path: `/repos/acme/app/actions/secrets/${secret}`, when: rotateKeyFirst })
    const view = await world.run(rotate)
    expect(view.exitCode).toBe(0)
    expect(changes(world).filter((line) => line.startsWith('github PUT'))).toHaveLength(2)
    expect(await world.github.readSecret('repository', 'acme/app', secret)).toBe(activePem(world))
  })
})

describe('details of storing', () => {
  it('stores the secret under the upper-case name GitHub uses', async ({ world }) => {
    const view = await world.run({ ...rotate, 'secret-name': 'suprsend_signing_key' })
    expect(JSON.parse(view.outputs['written'] ?? '')[0]?.name).toBe(secret)
  })

  it('creates an organization variable with its visibility', async ({ world }) => {
    const inputs = {
      operation: 'rotate-public-key',
      'public-key-id': world.publicKey.id,
      'github-token': tokens.github,
    }
    await world.run({ ...inputs, 'variable-name': 'SUPRSEND_PUBLIC_KEY', organization: 'acme', visibility: 'all' })
    expect(world.github.variableMeta('organization', 'acme', 'SUPRSEND_PUBLIC_KEY')).toMatchObject({
      visibility: 'all',
    })
  })

  // Octokit's retry plugin waits 4 s before this retry.
  it('turns a variable POST that went through but answered 502 into an update on its repeat', async ({ world }) => {
    const throughThen502 = () => (world.github.seedVariable('repository', 'acme/app', 'SUPRSEND_PUBLIC_KEY', 'x'), true)
    world.github.inject({
      method: 'POST',
      path: '/repos/acme/app/actions/variables',
      status: 502,
      when: throughThen502,
    })
    const inputs = {
      operation: 'rotate-public-key',
      'public-key-id': world.publicKey.id,
      'github-token': tokens.github,
    }
    const view = await world.run({ ...inputs, 'variable-name': 'SUPRSEND_PUBLIC_KEY' })
    expect(view.exitCode).toBe(0)
    expect(world.github.readVariable('repository', 'acme/app', 'SUPRSEND_PUBLIC_KEY')).toBe(view.outputs['public-key'])
  }, 15_000)

  it('still stores the key when the runner cannot take outputs, and warns about each', async ({ world }) => {
    const view = await world.run(rotate, { env: { GITHUB_OUTPUT: '/nonexistent/dir/output' } })
    expect(await world.github.readSecret('repository', 'acme/app', secret)).toBe(activePem(world))
    expect(view.warnings.filter((w) => w.startsWith("Could not set output 'private-key'"))).toHaveLength(1)
  })
})

describe('the preflight stops the run before anything changes in SuprSend', () => {
  it('stops on a public key that cannot seal', async ({ world }) => {
    const short = { key_id: '1', key: Buffer.alloc(31).toString('base64') }
    world.github.inject({ method: 'GET', path: '/repos/acme/app/actions/secrets/public-key', status: 200, body: short })
    const view = await world.run(rotate)
    expect(view.error).toContain(
      "acme/app (GitHub's public key for acme/app cannot be used: The secret-encryption public key must be a standard base64 string encoding exactly 32 bytes.)",
    )
    expect(changes(world)).toEqual([])
  })

  it('names the destination and the permission a token lacks', async ({ world }) => {
    world.github.refuseToken(tokens.github, { kind: 'repository', target: 'acme/api' })
    const view = await world.run({ ...rotate, repositories: 'acme/app, acme/api' })
    expect(view.error).toBe(
      "rotate-signing-key in workspace 'staging' failed: GitHub preflight failed for 1 of 2 destinations, so nothing was changed in SuprSend: acme/api (GitHub answered 403 \"Resource not accessible by personal access token\" while checking secret SUPRSEND_SIGNING_KEY in acme/api: the token lacks the repository permission 'Secrets: Read and write' (fine-grained PAT or GitHub App) or the 'repo' scope (classic PAT)).",
    )
    expect(JSON.parse(view.outputs['failed'] ?? '')).toHaveLength(1)
    expect(changes(world)).toEqual([])
  })

  it('names a missing environment', async ({ world }) => {
    const view = await world.run({ ...rotate, repositories: 'acme/app/staging' })
    expect(view.error).toContain('the repository or environment does not exist or the token cannot see it')
    expect(changes(world)).toEqual([])
  })

  it('says a rejected token is rejected', async ({ world }) => {
    const view = await world.run({ ...rotate, 'github-token': 'ghs_revoked' })
    expect(view.error).toContain("input 'github-token' was rejected (expired or revoked?)")
  })

  it('does not follow a redirect', async ({ world }) => {
    world.github.inject({
      method: 'GET',
      path: '/repos/acme/app/actions/secrets/public-key',
      status: 301,
      headers: { location: 'https://elsewhere.example/key' },
    })
    const view = await world.run(rotate)
    expect(view.error).toContain(
      'GitHub answered 301 while reading the public key of acme/app, a redirect, which the action does not follow',
    )
    expect(changes(world)).toEqual([])
  })

  it('stays readable at scale: a 4 KiB error line, every failure in the summary and in output failed', async ({
    world,
  }) => {
    const names = Array.from({ length: 100 }, (_, i) => `acme/missing-${i}`)
    const view = await world.run({ ...rotate, repositories: names.join(',') })
    expect(Buffer.byteLength(`::error::${view.error}`)).toBeLessThanOrEqual(4096)
    expect(view.error).toMatch(/and 97 more \(every one is in the job summary and output 'failed'\)\.$/)
    expect(JSON.parse(view.outputs['failed'] ?? '')).toHaveLength(100)
    for (const name of names) expect(view.summary).toContain(`\` ${name} \``)
  })

  it('refuses a rotation whose writes would not fit in what is left of the token’s hourly budget', async ({
    world,
  }) => {
    // Five requests left: the preflight's four reads leave one, and two writes would not fit.
    world.github.setRateLimitRemaining(tokens.github, 5, { resetInSeconds: 1800 })
    const view = await world.run({ ...rotate, repositories: 'acme/app, acme/api' })
    expect(view.error).toMatch(
      /GitHub's rate limit leaves this token 1 of its 5000 requests until \S+, but storing the key needs 2 writes, so nothing was changed in SuprSend; run again after \S+, store the key once in an organization secret, or split the destinations across runs\.$/,
    )
    expect(changes(world)).toEqual([])
  })
})

describe('pacing by GitHub’s guidance', () => {
  it('writes one destination at a time, at least a second apart, and is never refused', async ({ world }) => {
    await world.run({ ...rotate, repositories: 'acme/app, acme/api, acme/app/production' })
    const puts = world.github.requests.filter((r) => r.method === 'PUT').map((r) => r.at)
    expect(puts).toHaveLength(3)
    for (let i = 1; i < puts.length; i++)
      expect((puts[i] as number) - (puts[i - 1] as number)).toBeGreaterThanOrEqual(990)
    expect(world.github.refusals().total).toBe(0)
  })

  it('sends nothing while a secondary limit holds, then retries once', async ({ world }) => {
    world.github.inject({
      method: 'PUT',
      status: 403,
      retryAfter: 2,
      body: { message: 'You have exceeded a secondary rate limit.' },
    })
    const view = await world.run(rotate)
    const puts = world.github.requests.filter((r) => r.method === 'PUT').map((r) => r.at)
    expect(view.exitCode).toBe(0)
    expect((puts[1] as number) - (puts[0] as number)).toBeGreaterThanOrEqual(1990)
    expect(view.log).toContain("GitHub's secondary rate limit was reached")
  })

  it('accepts write-concurrency with a deprecation warning', async ({ world }) => {
    const view = await world.run({ ...rotate, 'write-concurrency': '10' })
    expect(view.warnings[0]).toMatch(/^Input 'write-concurrency' is deprecated and has no effect/)
  })
})

describe('a write that fails after the roll', () => {
  it('names the new key, what was and was not written, and keeps the key in the masked outputs', async ({ world }) => {
    const refusal = { message: 'Resource not accessible by personal access token' }
    world.github.inject({
      method: 'PUT',
      path: `/repos/acme/api/actions/secrets/${secret}`,
      status: 403,
      body: refusal,
    })
    const view = await world.run({ ...rotate, repositories: 'acme/app, acme/api' })
    expect(view.error).toBe(
      "rotate-signing-key in workspace 'staging' failed: The new signing key signing_key_000002 exists in SuprSend but was not stored everywhere: written to 1 of 2 destinations; not written to 1: acme/api (GitHub answered 403 \"Resource not accessible by personal access token\" while writing secret SUPRSEND_SIGNING_KEY in acme/api: the token lacks the repository permission 'Secrets: Read and write' (fine-grained PAT or GitHub App) or the 'repo' scope (classic PAT)). The value is still in this step's masked outputs for a later 'if: failure()' step to store.",
    )
    expect(JSON.parse(view.outputs['failed'] ?? '')).toEqual([
      { kind: 'repository', target: 'acme/api', name: secret, reason: expect.stringContaining('GitHub answered 403') },
    ])
    expect(view.outputs['private-key']).toBe(activePem(world))
  })
})
