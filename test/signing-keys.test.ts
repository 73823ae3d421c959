// Signing keys, one scenario per test, in process: main() with the real toolkit and undici against
// the loopback sandboxes. Snapshots show what the runner would: the masked log and the outputs.
import { describe, expect } from 'vitest'
import { generateSigningKeyMaterial } from './sandbox/index.ts'
import { changes, it, storing, tokens, transcript } from './support/world.ts'

const day = 86_400_000
/** The seeded active key's created_at in the deterministic sandbox. */
const created = Date.parse('2026-01-01T00:00:00.000Z')

describe('listing', () => {
  it('lists every key without secret fields', async ({ world }) => {
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        Listed 1 signing key
      outputs:
        keys: [{"id":"ws_signk_000001","uid":"signing_key_000001","status":"active","allowed_domains":null,"expiry_at":null,"created_at":"2026-01-01T00:00:00.000Z","created_by":{"name":"Sandbox Service Token","email":"org_sandbox0000000000000000@systemuser.suprsend.com"},"rolled_at":null,"rolled_by":null,"deleted_at":null,"deleted_by":null}]
        dry-run: false
      "
    `)
    expect(view.outputs['keys']).not.toMatch(/private_key/)
  })
})

describe('rotation', () => {
  it('rolls the active key and stores it in a repository secret that libsodium opens', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        GitHub preflight passed for secret SUPRSEND_SIGNING_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Rolled signing key signing_key_000001; the new active key is signing_key_000002
        Stored secret SUPRSEND_SIGNING_KEY in repository acme/app (created)
      outputs:
        private-key: -----BEGIN PRIVATE KEY-----\\n***\\n***\\n***\\n-----END PRIVATE KEY-----\\n
        private-key-base64: ***
        written: [{"kind":"repository","target":"acme/app","name":"SUPRSEND_SIGNING_KEY","result":"created"}]
        failed: []
        rotated: true
        key-id: ws_signk_000002
        key-uid: signing_key_000002
        status: active
        previous-key-uid: signing_key_000001
        dry-run: false
      "
    `)
    const active = world.suprsend.activeSigningKey('staging')
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      active?.private_key_pem,
    )
  })

  it('registers every mask before the first output', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    const firstOutput = view.calls.findIndex((call) => call.startsWith('setOutput'))
    expect(view.calls.lastIndexOf('setSecret')).toBeLessThan(firstOutput)
    expect(view.calls.slice(firstOutput, firstOutput + 2)).toEqual([
      'setOutput private-key',
      'setOutput private-key-base64',
    ])
  })

  it('runs the GitHub preflight before the roll', async ({ world }) => {
    await world.run({ operation: 'rotate-signing-key', ...storing })
    const requests = world.requests()
    const roll = requests.findIndex((line) => line.includes('/roll/'))
    expect(requests.slice(0, roll).filter((line) => line.startsWith('github GET'))).toHaveLength(2)
  })

  it('stores the base64 form with secret-format base64', async ({ world }) => {
    await world.run({ operation: 'rotate-signing-key', ...storing, 'secret-format': 'base64' })
    const active = world.suprsend.activeSigningKey('staging')
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      active?.private_key_base64,
    )
  })

  it('creates the first key when the workspace has none', async ({ world }) => {
    world.suprsend.addWorkspace('empty')
    const view = await world.run({ operation: 'rotate-signing-key', workspace: 'empty', ...storing })
    expect([view.exitCode, view.outputs['previous-key-uid'], view.outputs['rotated']]).toEqual([0, '', 'true'])
    expect(changes(world)).toEqual([
      'suprsend POST /v1/empty/ws_signing_key/',
      'github PUT /repos/acme/app/actions/secrets/SUPRSEND_SIGNING_KEY',
    ])
  })

  it('rolls a given uid with roll-signing-key', async ({ world }) => {
    const view = await world.run({ operation: 'roll-signing-key', 'signing-key-uid': world.signingKey.uid })
    expect(view.outputs['previous-key-uid']).toBe(world.signingKey.uid)
    expect(changes(world)).toEqual([`suprsend POST /v1/staging/ws_signing_key/${world.signingKey.uid}/roll/`])
  })

  it('refuses to create a second active key, before any change', async ({ world }) => {
    const view = await world.run({ operation: 'create-signing-key' })
    expect(view.error).toBe(
      "create-signing-key in workspace 'staging' failed: workspace 'staging' already has an active signing key (signing_key_000001) and allows only one; use 'rotate-signing-key' to replace it.",
    )
    expect(changes(world)).toEqual([])
  })

  it('deletes a key by uid', async ({ world }) => {
    const view = await world.run({ operation: 'delete-signing-key', 'signing-key-uid': world.signingKey.uid })
    expect([view.exitCode, view.outputs['key-uid']]).toEqual([0, world.signingKey.uid])
    expect(changes(world)).toEqual([`suprsend DELETE /v1/staging/ws_signing_key/${world.signingKey.uid}/`])
  })
})

describe('rotate-if-older-than', () => {
  it('leaves a younger key alone and says when it is due, after the preflight', async ({ world }) => {
    const view = await world.run(
      { operation: 'rotate-signing-key', 'rotate-if-older-than': '90d', ...storing },
      { now: () => created + 10 * day },
    )
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        GitHub preflight passed for secret SUPRSEND_SIGNING_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Not rotated: signing key signing_key_000001 is 10.0 days old (created_at 2026-01-01T00:00:00.000Z), so it is not due until 2026-04-01T00:00:00.000Z (rotate-if-older-than: 90d)
      outputs:
        rotated: false
        written: []
        failed: []
        dry-run: false
      "
    `)
    expect(changes(world)).toEqual([])
  })

  it('rotates a key exactly as old as the limit', async ({ world }) => {
    const view = await world.run(
      { operation: 'rotate-signing-key', 'rotate-if-older-than': '90d', ...storing },
      { now: () => created + 90 * day },
    )
    expect([view.exitCode, view.outputs['rotated']]).toEqual([0, 'true'])
  })

  it('counts hours too', async ({ world }) => {
    const view = await world.run(
      { operation: 'rotate-signing-key', 'rotate-if-older-than': '36h' },
      { now: () => created + 35 * 3_600_000 },
    )
    expect(view.outputs['rotated']).toBe('false')
  })

  it('still fails the run when a destination lost access, weeks before the key is due', async ({ world }) => {
    const view = await world.run(
      { operation: 'rotate-signing-key', 'rotate-if-older-than': '90d', ...storing, 'github-token': tokens.noSecrets },
      { now: () => created + day },
    )
    expect(view.error).toMatch(
      /^rotate-signing-key in workspace 'staging' failed: GitHub preflight failed for 1 of 1 destination, so nothing was changed in SuprSend: acme\/app \(GitHub answered 403/,
    )
    expect(changes(world)).toEqual([])
  })

  it('creates a key when there is no active one, whatever the rule', async ({ world }) => {
    world.suprsend.addWorkspace('empty')
    const view = await world.run({
      operation: 'rotate-signing-key',
      workspace: 'empty',
      'rotate-if-older-than': '90d',
      ...storing,
    })
    expect(view.outputs['rotated']).toBe('true')
  })
})

describe('a key stored nowhere', () => {
  it('is warned about once', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-signing-key' })
    expect(view.warnings).toEqual([
      "The new key now exists only in this step's outputs 'private-key' and 'private-key-base64', which are gone when the job ends: set 'secret-name' to store it, or store it in a later step of this job, reading it through env (NEW_KEY: ${{ steps.<this step's id>.outputs.private-key }}) and writing it with, for example, printf '%s' \"$NEW_KEY\" | gh secret set <NAME>.",
    ])
  })

  it('is not warned about when stored', async ({ world }) => {
    expect((await world.run({ operation: 'rotate-signing-key', ...storing })).warnings).toEqual([])
  })

  it('is not warned about in a dry run', async ({ world }) => {
    expect((await world.run({ operation: 'rotate-signing-key', 'dry-run': 'true' })).warnings).toEqual([])
  })
})

describe('untrustworthy lists and answers', () => {
  it('refuses to roll when two keys are listed as active', async ({ world }) => {
    world.suprsend.seedSigningKey('staging')
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    expect(view.error).toBe(
      "rotate-signing-key in workspace 'staging' failed: SuprSend lists 2 active signing keys (signing_key_000002, signing_key_000001) where a workspace has one, so the action will not roll or rotate any of them; check the workspace's keys.",
    )
    expect(changes(world)).toEqual([])
  })

  it('refuses to roll when one uid is listed twice in different states', async ({ world }) => {
    world.suprsend.seedSigningKey('staging', { id: world.signingKey.id, uid: world.signingKey.uid, status: 'rolled' })
    const view = await world.run({ operation: 'rotate-signing-key' })
    expect(view.error).toContain("SuprSend listed signing key 'signing_key_000001' 2 times with different details")
    expect(changes(world)).toEqual([])
  })

  it('fails a list when the server ignores offset', async ({ world }) => {
    world.suprsend.setHostile('staging', { ignoreOffset: true, pageSize: 1 })
    world.suprsend.seedSigningKey('staging', { status: 'rolled' })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(view.error).toBe(
      "list-signing-keys in workspace 'staging' failed: SuprSend's page at offset 1 while listing signing keys repeated only keys already listed, so the list cannot be trusted (the server may ignore 'offset').",
    )
  })

  it('reads on past a page that repeats an id, as long as each page brings a new one', async ({ world }) => {
    world.suprsend.setHostile('staging', { repeatIds: true, pageSize: 2 })
    world.suprsend.seedSigningKey('staging', { status: 'rolled' })
    world.suprsend.seedSigningKey('staging', { status: 'rolled' })
    const view = await world.run({ operation: 'list-signing-keys' })
    expect(JSON.parse(view.outputs['keys'] ?? '[]').map((key: { uid: string }) => key.uid)).toEqual([
      'signing_key_000003',
      'signing_key_000002',
      'signing_key_000001',
    ])
  })

  it('does not store a key on the wrong curve, and keeps it in the masked outputs', async ({ world }) => {
    world.suprsend.nextKeyMaterial('staging', { pem: generateSigningKeyMaterial({ curve: 'P-384' }).private_key_pem })
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 1
      log:
        GitHub preflight passed for secret SUPRSEND_SIGNING_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Rolled signing key signing_key_000001; the new active key is signing_key_000002
        ::error::rotate-signing-key in workspace 'staging' failed: SuprSend returned the new signing key signing_key_000002, but its private key cannot be used: it is an EC key on curve secp384r1, not P-256, so it was not stored anywhere. It is in this step's masked outputs 'private-key' and 'private-key-base64'; check the workspace with list-signing-keys before rolling again.
      outputs:
        private-key: -----BEGIN PRIVATE KEY-----\\n***\\n***\\n***\\n***\\n-----END PRIVATE KEY-----\\n
        private-key-base64: ***
        rotated: true
        written: []
        failed: []
        key-id: ws_signk_000002
        key-uid: signing_key_000002
        status: active
        previous-key-uid: signing_key_000001
        dry-run: false
      "
    `)
    expect(changes(world).filter((line) => line.startsWith('github'))).toEqual([])
  })

  it('stores the PEM, with a warning, when the base64 form does not match it', async ({ world }) => {
    world.suprsend.nextKeyMaterial('staging', { base64: Buffer.from('something else').toString('base64') })
    const view = await world.run({ operation: 'rotate-signing-key', ...storing, 'secret-format': 'base64' })
    const active = world.suprsend.activeSigningKey('staging')
    expect(view.warnings).toEqual([
      "SuprSend's 'private_key_base64' does not decode to its 'private_key_pem'; the PEM was kept and 'private-key-base64' is the base64 of that PEM.",
    ])
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      Buffer.from(active?.private_key_pem ?? '').toString('base64'),
    )
  })

  it('keeps a key whose answer has only the base64 form', async ({ world }) => {
    world.suprsend.nextKeyMaterial('staging', { omitPem: true })
    const view = await world.run({ operation: 'rotate-signing-key', ...storing })
    expect(view.exitCode).toBe(0)
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(
      world.suprsend.activeSigningKey('staging')?.private_key_pem,
    )
  })
})

describe('dry run', () => {
  it('sends only reads and names the key it would roll', async ({ world }) => {
    const view = await world.run({ operation: 'rotate-signing-key', ...storing, 'dry-run': 'true' })
    expect(transcript(view)).toMatchInlineSnapshot(`
      "
      exit 0
      log:
        GitHub preflight passed for secret SUPRSEND_SIGNING_KEY in 1 destination (1 new, 0 to update); the token has 4998 of 5000 requests left this hour
        Dry run: would roll signing key signing_key_000001 and store it in secret SUPRSEND_SIGNING_KEY in repository acme/app
      outputs:
        rotated: false
        written: []
        failed: []
        previous-key-uid: signing_key_000001
        dry-run: true
      "
    `)
    expect(changes(world)).toEqual([])
  })

  it('fails for a uid that is not in the workspace', async ({ world }) => {
    const view = await world.run({
      operation: 'delete-signing-key',
      'signing-key-uid': 'signing_key_nope',
      'dry-run': 'true',
    })
    expect(view.error).toBe(
      "delete-signing-key in workspace 'staging' failed: signing key 'signing_key_nope' was not found in workspace 'staging'; check input 'signing-key-uid'.",
    )
  })
})
