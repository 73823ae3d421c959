// `npm run demo`: the action's main job, end to end, on this machine. Starts the SuprSend and GitHub
// sandboxes on loopback ports and runs the bundled dist/index.js as a child process exactly as the
// runner does, through a realistic story:
//   1. create a signing key and store it in a repository secret;
//   2. rotate it on schedule, in one run, into two repositories and one environment (the repository
//      secrets of acme/app and acme/worker, and acme/app's `production` environment);
//   3. enable secure mode on the public key;
//   4. a token lacking permission stops the rotation before anything is rolled.
// Each step prints its inputs, the log as the runner shows it (masks applied, add-mask lines hidden),
// the step outputs (masked as the runner masks them) and the job summary. At the end it proves that
// every stored secret decrypts to a valid P-256 private key, and which SuprSend key it is. It never
// prints a private key or a token, and exits non-zero when any proof fails.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { maskLine, randomAlnum, repoRoot, runAction, startGitHub, startSuprSend } from './index.ts'
import type { DestinationKind, GitHubSandbox, RunActionResult, SuprSendSandbox } from './index.ts'

const bundle = join(repoRoot, 'dist', 'index.js')
const WORKSPACE = 'production'
const SECRET = 'SUPRSEND_SIGNING_KEY'
const ENVIRONMENT = 'production'
const REPOSITORIES = ['acme/app', 'acme/worker']
/** Where the deployments read the key: both repositories' secrets and acme/app's production environment. */
const DESTINATIONS = [...REPOSITORIES, `acme/app/${ENVIRONMENT}`]
// Random per run, so nothing printed can be mistaken for a real credential.
const SERVICE_TOKEN = `ss_svc_${randomAlnum(32)}`
const GITHUB_TOKEN = `github_pat_${randomAlnum(40)}`
const NARROW_TOKEN = `github_pat_${randomAlnum(40)}`

const width = 100
const rule = (char: string): string => char.repeat(width)
const indent = (text: string, prefix = '    '): string =>
  text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => (line === '' ? prefix.trimEnd() : `${prefix}${line}`))
    .join('\n')

/** Everything the demo prints, kept so it can prove at the end that none of it is secret. */
const printed: string[] = []
function print(text = ''): void {
  printed.push(text)
  console.log(text)
}

const failures: string[] = []
function check(ok: boolean, what: string): void {
  print(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`)
  if (!ok) failures.push(what)
}

/** Every value the runner would mask after this run: each registered value and each trimmed line of it. */
function runnerSecrets(result: RunActionResult): Set<string> {
  const secrets = new Set<string>()
  for (const mask of result.masks) {
    secrets.add(mask)
    for (const line of mask.split(/[\r\n]+/)) if (line.trim() !== '') secrets.add(line.trim())
  }
  return secrets
}

/** How a workflow would write these inputs, with the tokens as secret expressions. */
const shownInputs: Record<string, string> = {
  'service-token': '${{ secrets.SUPRSEND_SERVICE_TOKEN }}',
  'github-token': '${{ secrets.SECRETS_WRITER_TOKEN }}',
}

interface Step {
  title: string
  story: string
  inputs: Record<string, string>
  /** Shown in place of the real token input value. */
  tokenNote?: string
  expectFailure?: boolean
}

async function runStep(ss: SuprSendSandbox, gh: GitHubSandbox, step: Step): Promise<RunActionResult> {
  print(`\n${rule('=')}\n${step.title}\n${rule('=')}`)
  print(indent(step.story, '  '))
  print('\n  - uses: ./   # dist/index.js, run by node as the runner does')
  print('    with:')
  for (const [name, value] of Object.entries(step.inputs)) {
    const shown = name === 'github-token' && step.tokenNote ? step.tokenNote : (shownInputs[name] ?? value)
    const lines = shown.split('\n')
    if (lines.length > 1) {
      print(`      ${name}: |`)
      for (const line of lines) print(`        ${line}`)
    } else {
      print(`      ${name}: ${shown}`)
    }
  }

  const result = await runAction({
    bundle,
    inputs: step.inputs,
    githubApiUrl: gh.url,
    repository: 'acme/app',
  })

  print(`\n  Log (as the runner shows it; exit code ${result.exitCode ?? result.signal}):`)
  print(indent(result.maskedLog || '(nothing)\n', '    | '))
  if (result.stderr.trim() !== '') print(indent(result.stderr, '    stderr| '))

  const secrets = runnerSecrets(result)
  print('\n  Step outputs (as the runner masks them):')
  const names = Object.keys(result.outputs).sort()
  if (names.length === 0) print('    (none)')
  for (const name of names) {
    const value = result.outputs[name] ?? ''
    const lines = value.replace(/\n$/, '').split('\n')
    const masked = lines.map((line) => maskLine(line, secrets))
    const first = `    ${name} = `
    print(first + masked[0])
    for (const line of masked.slice(1)) print(' '.repeat(first.length) + line)
  }

  print('\n  Job summary (GITHUB_STEP_SUMMARY, markdown):')
  print(indent(result.summary || '(empty)\n', '    > '))

  const ok = step.expectFailure ? result.exitCode === 1 : result.exitCode === 0
  check(ok, `${step.title.split(':')[0]} ${step.expectFailure ? 'failed, as it should' : 'succeeded'}`)
  return result
}

/** Short, non-secret identity of a key pair: SHA-256 of the public key (SPKI DER). */
function fingerprint(privatePem: string): string {
  const spki = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'der' })
  return `SHA256:${createHash('sha256').update(spki).digest('base64').slice(0, 16)}`
}

async function main(): Promise<void> {
  if (!existsSync(bundle)) {
    print(`${bundle} is missing. Run 'npm run build' first.`)
    process.exit(2)
  }
  const ss = await startSuprSend({ token: SERVICE_TOKEN })
  const gh = await startGitHub({ tokens: [GITHUB_TOKEN] })
  try {
    ss.addWorkspace(WORKSPACE)
    const webKey = ss.seedPublicKey(WORKSPACE, { name: 'web-app', is_default: true })
    gh.addRepository('acme/app', { environments: [ENVIRONMENT] })
    gh.addRepository('acme/worker')
    // A fine-grained token that was never granted acme/app's production environment.
    gh.refuseToken(NARROW_TOKEN, { kind: 'environment', target: `acme/app/${ENVIRONMENT}` })

    print(rule('#'))
    print('SuprSend workspace keys action: local demo of its main job')
    print(rule('#'))
    print(`  bundle:           dist/index.js on node ${process.version}`)
    print(`  SuprSend API:     ${ss.url} (sandbox), workspace '${WORKSPACE}'`)
    print(`  GitHub API:       ${gh.url} (sandbox, GITHUB_API_URL), GITHUB_REPOSITORY=acme/app`)
    print(`  GitHub:           ${REPOSITORIES.join(', ')}; acme/app has environment '${ENVIRONMENT}'`)
    print(`  public key:       ${webKey.id} ('web-app', secure mode off)`)
    print('  Tokens are random per run and never printed; the runner would show them as ***.')

    const common = { 'service-token': SERVICE_TOKEN, workspace: WORKSPACE, 'api-url': ss.url }

    // 1. First key, into the repository secret of the workflow's repository.
    await runStep(ss, gh, {
      title: 'Step 1: create a signing key and store it in a repository secret',
      story: `The workspace has no signing key yet. Create one and store it in acme/app's repository secret ${SECRET}\n(repositories is empty, so the destination is GITHUB_REPOSITORY).`,
      inputs: { ...common, operation: 'create-signing-key', 'secret-name': SECRET, 'github-token': GITHUB_TOKEN },
    })
    const first = ss.activeSigningKey(WORKSPACE)

    // 2. The scheduled rotation: one run rolls the key once and writes every destination.
    const rotation = {
      ...common,
      operation: 'rotate-signing-key',
      'secret-name': SECRET,
      'github-token': GITHUB_TOKEN,
      repositories: DESTINATIONS.join('\n'),
    }
    const rotated = await runStep(ss, gh, {
      title: 'Step 2: scheduled rotation into two repositories and one environment',
      story:
        "on: schedule (cron '0 3 1 * *'), concurrency: suprsend-key-rotation.\n" +
        'One run rolls the key exactly once and writes every destination: an entry of repositories is\n' +
        "'owner/repo' for a repository secret or 'owner/repo/environment' for an environment secret. Here the\n" +
        `repository secrets of ${REPOSITORIES.join(' and ')} (step 1's secret is overwritten) and acme/app's\n` +
        `'${ENVIRONMENT}' environment. (A second run for other destinations would roll the key again.)`,
      inputs: rotation,
    })
    const second = ss.activeSigningKey(WORKSPACE)
    let written: { kind: string; target: string; result: string }[] = []
    try {
      written = JSON.parse(rotated.outputs['written'] ?? '[]') as typeof written
    } catch {
      written = []
    }
    check(
      written.map((w) => `${w.kind} ${w.target} ${w.result}`).join(', ') ===
        `repository acme/app updated, repository acme/worker created, environment acme/app/${ENVIRONMENT} created`,
      `step 2 wrote all three destinations in one run; acme/app's repository secret from step 1 was updated`,
    )

    // 3. Secure mode: client SDKs must now present user tokens signed with the signing key.
    await runStep(ss, gh, {
      title: 'Step 3: enable secure mode on the public key',
      story: `With the signing key in place, require signed user tokens from client SDKs using ${webKey.id}.`,
      inputs: { ...common, operation: 'enable-secure-mode', 'public-key-id': webKey.id },
    })

    // 4. A token without access to one destination: preflight refuses before anything is rolled.
    ss.reset()
    gh.reset()
    const before = ss.activeSigningKey(WORKSPACE)
    const refused = await runStep(ss, gh, {
      title: 'Step 4: a token lacking permission stops the rotation before anything is rolled',
      story:
        `The same scheduled rotation, with a fine-grained token that was never granted acme/app's\n` +
        `'${ENVIRONMENT}' environment. The GitHub preflight runs before any SuprSend change.`,
      inputs: { ...rotation, 'github-token': NARROW_TOKEN },
      tokenNote: '${{ secrets.NARROW_TOKEN }}   # lacks acme/app environment access',
      expectFailure: true,
    })
    const after = ss.activeSigningKey(WORKSPACE)
    print('\n  What SuprSend received during step 4:')
    for (const request of ss.requests) print(`    ${request.method} ${request.path}`)
    check(
      ss.requests.every((r) => r.method === 'GET'),
      'SuprSend received no POST, PATCH or DELETE: nothing was rolled',
    )
    check(before !== undefined && after?.uid === before.uid, `the active key is unchanged (${after?.uid ?? 'none'})`)
    check(
      gh.requests.every((r) => r.method === 'GET'),
      'GitHub received only reads: no secret was written',
    )
    check(refused.outputs['private-key'] === undefined, 'no private-key output: no key was issued')

    // The proofs.
    print(
      `\n${rule('=')}\nProof: every stored secret, opened with the destination's private key (libsodium)\n${rule('=')}`,
    )
    const active = ss.activeSigningKey(WORKSPACE)
    if (active === undefined) throw new Error('SuprSend has no active signing key')
    const byFingerprint = new Map(
      ss.signingKeys(WORKSPACE).map((k) => [fingerprint(k.private_key_pem), `${k.uid} (${k.status})`]),
    )
    print(`  SuprSend's active key: ${active.uid}, ${fingerprint(active.private_key_pem)}`)
    check(active.uid === second?.uid, `the active key is the one step 2 rolled to (${second?.uid ?? 'none'})`)
    check(first?.uid !== second?.uid, `step 2 rolled the key of step 1 (${first?.uid ?? 'none'})`)

    // Every place the key lives, step 1's repository secret included: step 2 wrote them all.
    const stored: { kind: DestinationKind; target: string }[] = [
      ...REPOSITORIES.map((repo) => ({ kind: 'repository' as const, target: repo })),
      { kind: 'environment', target: `acme/app/${ENVIRONMENT}` },
    ]
    for (const { kind, target } of stored) {
      const where = `${kind} ${target} secret ${SECRET}`
      let pem: string
      try {
        pem = await gh.readSecret(kind, target, SECRET)
      } catch (error) {
        check(false, `${where}: ${(error as Error).message}`)
        continue
      }
      let curve: string | undefined
      try {
        curve = createPrivateKey(pem).asymmetricKeyDetails?.namedCurve
      } catch {
        curve = undefined
      }
      check(curve === 'prime256v1', `${where} decrypts to a valid EC P-256 (prime256v1) private key`)
      if (curve !== 'prime256v1') continue
      const print = fingerprint(pem)
      const which = byFingerprint.get(print) ?? 'no SuprSend key'
      check(pem === active.private_key_pem, `  ... ${print}: the key SuprSend holds as active, ${which}`)
    }
    const keysOut = ss.signingKeys(WORKSPACE).length
    check(keysOut === 2, `SuprSend lists ${keysOut} signing keys: the one of step 1 (rolled) and the active one`)
    check(ss.publicKeys(WORKSPACE)[0]?.is_secure_mode_enabled === true, `secure mode is on for ${webKey.id}`)

    // Last: nothing this demo printed may contain a token or any fragment of any key SuprSend issued.
    const secrets = [SERVICE_TOKEN, GITHUB_TOKEN, NARROW_TOKEN]
    for (const key of ss.signingKeys(WORKSPACE, { includeDeleted: true })) {
      secrets.push(key.private_key_base64)
      for (const line of key.private_key_pem.split('\n'))
        if (line !== '' && !line.startsWith('-----')) secrets.push(line)
    }
    const output = printed.join('\n')
    check(
      secrets.every((secret) => !output.includes(secret)),
      `this demo printed no token and no fragment of any private key (${secrets.length} values checked)`,
    )

    print(`\n${rule('#')}`)
    if (failures.length === 0) {
      print('All proofs passed.')
    } else {
      print(`${failures.length} proof(s) FAILED:`)
      for (const failure of failures) print(`  - ${failure}`)
      process.exitCode = 1
    }
  } finally {
    await Promise.all([ss.close(), gh.close()])
  }
}

await main()
