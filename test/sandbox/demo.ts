// `npm run demo`: the action's main job, end to end, on this machine. It starts the SuprSend and
// GitHub sandboxes on loopback (the GitHub one enforces GitHub's rate limits) and runs the bundled
// dist/index.js as the runner does, step by step, with the steps of the README's recipes, printed
// as the README shows them. It ends by proving that every stored secret opens to the key SuprSend
// holds as active, and that nothing it printed holds a token or a piece of a key.
import { createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { maskLine, randomAlnum, repoRoot, runAction, startGitHub, startSuprSend } from './index.ts'
import type { GitHubSandbox, RunActionResult, SuprSendSandbox } from './index.ts'
import { fill, recipe } from './recipes.ts'

const bundle = join(repoRoot, 'dist', 'index.js')
const workspace = 'production'
const secret = 'SUPRSEND_SIGNING_KEY'
// Random per run, so nothing printed can be mistaken for a real credential.
const tokens = {
  service: `ss_svc_${randomAlnum(32)}`,
  github: `ghs_${randomAlnum(36)}`,
  narrow: `github_pat_${randomAlnum(40)}`,
}

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

const indent = (text: string, prefix: string) =>
  text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n')

interface Step {
  title: string
  story: string
  /** The README heading whose action step this is. */
  heading: string
  /** What the recipe's expressions stand for in this run. */
  values?: Record<string, string>
  expectFailure?: boolean
}

async function runStep(ss: SuprSendSandbox, gh: GitHubSandbox, step: Step): Promise<RunActionResult> {
  const { step: yaml, inputs } = recipe(step.heading)
  print(`\n${'='.repeat(100)}\n${step.title}\n${'='.repeat(100)}`)
  print(indent(step.story, '  '))
  print(`\n  The README's "${step.heading}" step (api-url points it at the sandbox):\n`)
  print(indent(yaml, '    '))
  const values = {
    'secrets.SUPRSEND_SERVICE_TOKEN': tokens.service,
    'steps.app-token.outputs.token': tokens.github,
    'inputs.dry-run || false': 'false',
    ...step.values,
  }
  const result = await runAction({
    bundle,
    inputs: { ...fill(inputs, values), 'api-url': ss.url },
    githubApiUrl: gh.url,
    repository: 'acme/app',
  })
  print(`\n  Log, as the runner shows it (exit code ${result.exitCode ?? result.signal}):`)
  print(indent(result.maskedLog || '(nothing)\n', '    | '))
  const masks = result.masks.flatMap((mask) => [mask, ...mask.split('\n').map((line) => line.trim())]).filter(Boolean)
  print('\n  Outputs, as the runner masks them:')
  for (const [name, value] of Object.entries(result.outputs))
    print(`    ${name} = ${maskLine(value.replace(/\n/g, '\\n'), masks)}`)
  check(
    step.expectFailure ? result.exitCode === 1 : result.exitCode === 0,
    `${step.title.split(':')[0]} ${step.expectFailure ? 'failed, as it should' : 'succeeded'}`,
  )
  return result
}

async function story(ss: SuprSendSandbox, gh: GitHubSandbox): Promise<void> {
  const webKey = ss.seedPublicKey(workspace, { name: 'web-app' })
  await runStep(ss, gh, {
    title: 'Step 1: a dry run',
    story: 'The workspace has one signing key, 120 days old. First, see what a rotation would do.',
    heading: 'A dry run',
  })
  check(ss.signingKeys(workspace).length === 1, 'the dry run changed nothing in SuprSend')
  await runStep(ss, gh, {
    title: 'Step 2: rotate into two repositories and an environment, in one run',
    story: 'The key is older than 90 days, so this run rolls it once and writes every place it lives.',
    heading: 'Several repositories and environments in one run',
  })
  await runStep(ss, gh, {
    title: "Step 3: the next day's scheduled run",
    story:
      "The quick start's daily check: the key is a day old, so nothing is rolled, but every destination is checked.",
    heading: 'Quick start',
  })
  check(ss.signingKeys(workspace).length === 2, 'the daily check rolled nothing')
  await runStep(ss, gh, {
    title: 'Step 4: secure mode',
    story: `With the signing key stored, require signed user tokens from client SDKs using ${webKey.id}.`,
    heading: 'Secure mode',
    values: { 'vars.SUPRSEND_PUBLIC_KEY_ID': webKey.id },
  })
  ss.reset()
  await runStep(ss, gh, {
    title: 'Step 5: a token that lost its access',
    story:
      "The daily check with a token whose access to acme/app's secrets was revoked: the run fails, weeks before the key is due.",
    heading: 'Quick start',
    values: { 'steps.app-token.outputs.token': tokens.narrow },
    expectFailure: true,
  })
  check(
    ss.requests.every((r) => r.method === 'GET'),
    'SuprSend received only reads during step 5',
  )
}

async function proofs(ss: SuprSendSandbox, gh: GitHubSandbox): Promise<void> {
  print(`\n${'='.repeat(100)}\nProofs\n${'='.repeat(100)}`)
  const active = ss.activeSigningKey(workspace)
  for (const [kind, target] of [
    ['repository', 'acme/api'],
    ['repository', 'acme/worker'],
    ['environment', 'acme/app/production'],
  ] as const) {
    const pem = await gh.readSecret(kind, target, secret).catch(() => '')
    const curve = pem ? createPrivateKey(pem).asymmetricKeyDetails?.namedCurve : undefined
    check(
      curve === 'prime256v1' && pem === active?.private_key_pem,
      `${kind} ${target} opens to SuprSend's active P-256 key ${active?.uid}`,
    )
  }
  check(ss.publicKeys(workspace)[0]?.is_secure_mode_enabled === true, 'secure mode is on')
  check(gh.refusals().total === 0, "GitHub's rate limits refused nothing")
  const secrets = [tokens.service, tokens.github, tokens.narrow]
  for (const key of ss.signingKeys(workspace, { includeDeleted: true })) {
    secrets.push(
      key.private_key_base64,
      ...key.private_key_pem.split('\n').filter((line) => line && !line.startsWith('-----')),
    )
  }
  const output = printed.join('\n')
  check(
    secrets.every((value) => !output.includes(value)),
    `nothing printed holds a token or a piece of a key (${secrets.length} values checked)`,
  )
}

async function main(): Promise<void> {
  if (!existsSync(bundle)) {
    console.log(`${bundle} is missing. Run 'npm run build' first.`)
    process.exit(2)
  }
  const ss = await startSuprSend({ token: tokens.service })
  const gh = await startGitHub()
  try {
    ss.addWorkspace(workspace)
    ss.seedSigningKey(workspace, { created_at: new Date(Date.now() - 120 * 86_400_000).toISOString() })
    for (const repository of ['acme/api', 'acme/worker']) gh.addRepository(repository)
    gh.addRepository('acme/app', { environments: ['production'] })
    gh.addToken(tokens.github)
    gh.addToken(tokens.narrow)
    gh.refuseToken(tokens.narrow, { kind: 'repository', target: 'acme/app' })
    print('SuprSend workspace keys: the main job on this machine, with the steps of the README')
    print(`  dist/index.js on node ${process.version}; SuprSend and GitHub stand-ins at ${ss.url} and ${gh.url}`)
    print('  Tokens are random per run and never printed; the runner shows them as ***.')
    await story(ss, gh)
    await proofs(ss, gh)
    print(
      failures.length === 0
        ? '\nAll proofs passed.'
        : `\n${failures.length} proof(s) FAILED:\n  - ${failures.join('\n  - ')}`,
    )
    if (failures.length > 0) process.exitCode = 1
  } finally {
    await Promise.all([ss.close(), gh.close()])
  }
}

await main()
