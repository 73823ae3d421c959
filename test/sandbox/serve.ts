// Starts both sandbox servers (SuprSend management API and GitHub API stand-ins) on 127.0.0.1,
// seeds a workspace, a repository with an environment, an organization and the tokens, says how
// to reach them, and stays up until it is killed (SIGINT or SIGTERM). Run `--help` for the flags.
// Every token is random per start and exists only in these servers, so printing them is safe.
import { appendFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { randomAlnum, startGitHub, startSuprSend } from './index.ts'

const HELP = `Usage: node test/sandbox/serve.ts [--github-env <file>] [--info <file>] [--dotenv <file>]

Starts the SuprSend and GitHub sandbox servers on 127.0.0.1 and serves until killed (Ctrl-C).

  --github-env <file>  append NAME=value lines for the variables below (default: $GITHUB_ENV
                       when set, so later workflow steps see them)
  --info <file>        write the same variables as JSON, last: its appearance means the servers
                       are ready
  --dotenv <file>      write a dotenv file for running the action from source with
                       @github/local-action (npx local-action run . src/main.ts <file>)
  --help               show this text

Variables: SUPRSEND_API_URL, SUPRSEND_SERVICE_TOKEN, SUPRSEND_WORKSPACE, SUPRSEND_SIGNING_KEY_UID
(the seeded active key), SUPRSEND_PUBLIC_KEY_ID, SUPRSEND_API_KEY_ID, SANDBOX_GITHUB_API_URL,
SANDBOX_GITHUB_TOKEN (full access), SANDBOX_GITHUB_TOKEN_NO_SECRETS (everything but Actions
secrets), SANDBOX_REPOSITORY, SANDBOX_ENVIRONMENT, SANDBOX_ORGANIZATION.

Environment: SANDBOX_REPOSITORY (default acme/app) names the seeded repository; its owner is the
organization.
`

const args = process.argv.slice(2)
function argument(name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string
    if (arg === name) return args[i + 1]
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1)
  }
  return undefined
}

if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP)
  process.exit(0)
}
const known = ['--github-env', '--info', '--dotenv']
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i] as string
  const name = arg.split('=')[0] as string
  if (!known.includes(name) || (!arg.includes('=') && args[i + 1] === undefined)) {
    process.stderr.write(`serve.ts: unexpected argument '${arg}'\n\n${HELP}`)
    process.exit(2)
  }
  if (!arg.includes('=')) i += 1
}

const envFile = argument('--github-env') ?? process.env['GITHUB_ENV']
const infoFile = argument('--info')
const dotenvFile = argument('--dotenv')
const repository = process.env['SANDBOX_REPOSITORY'] || 'acme/app'
const environment = 'production'
const organization = repository.split('/')[0] || 'acme'
const workspace = 'sandbox'

const serviceToken = `sandbox-service-${randomAlnum(24)}`
const githubToken = `ghs_sandbox${randomAlnum(28)}`
const noSecretsToken = `github_pat_sandbox_${randomAlnum(40)}`
const suprsend = await startSuprSend({ token: serviceToken })
const github = await startGitHub({ tokens: [githubToken] })
github.addToken(noSecretsToken, { secrets: false })

suprsend.addWorkspace(workspace)
const signingKey = suprsend.seedSigningKey(workspace)
const publicKey = suprsend.seedPublicKey(workspace, { name: 'web-app' })
const apiKey = suprsend.seedApiKey(workspace, { name: 'backend' })
github.addRepository(repository, { environments: [environment] })
github.addOrganization(organization)

const values: Record<string, string> = {
  SUPRSEND_API_URL: suprsend.url,
  SUPRSEND_SERVICE_TOKEN: serviceToken,
  SUPRSEND_WORKSPACE: workspace,
  SUPRSEND_SIGNING_KEY_UID: signingKey.uid,
  SUPRSEND_PUBLIC_KEY_ID: publicKey.id,
  SUPRSEND_API_KEY_ID: apiKey.id,
  SANDBOX_GITHUB_API_URL: github.url,
  SANDBOX_GITHUB_TOKEN: githubToken,
  SANDBOX_GITHUB_TOKEN_NO_SECRETS: noSecretsToken,
  SANDBOX_REPOSITORY: repository,
  SANDBOX_ENVIRONMENT: environment,
  SANDBOX_ORGANIZATION: organization,
}

// The action's own env names (INPUT_ + the action.yml input name upper-cased, hyphens kept).
const dotenv = [
  '# Sandbox-only values for @github/local-action, written by test/sandbox/serve.ts. They work only',
  '# while that process runs, and every URL and token changes at every start.',
  `INPUT_SERVICE-TOKEN=${serviceToken}`,
  `INPUT_WORKSPACE=${workspace}`,
  `INPUT_API-URL=${suprsend.url}`,
  'INPUT_OPERATION=list-signing-keys',
  'INPUT_DRY-RUN=true',
  `GITHUB_API_URL=${github.url}`,
  `GITHUB_REPOSITORY=${repository}`,
  '# To rotate the signing key into a repository secret, set INPUT_OPERATION=rotate-signing-key',
  '# and uncomment both lines (storage inputs apply only with a secret name):',
  `# INPUT_GITHUB-TOKEN=${githubToken}`,
  '# INPUT_SECRET-NAME=SUPRSEND_SIGNING_KEY',
  '# For the message of a token without the Actions secrets permission, use this token instead:',
  `# INPUT_GITHUB-TOKEN=${noSecretsToken}`,
  `# Seeded: signing key uid ${signingKey.uid} (active), public key id ${publicKey.id},`,
  `# API key id ${apiKey.id}, environment ${repository}/${environment}, organization ${organization}.`,
  '',
].join('\n')

if (envFile) {
  const lines = Object.entries(values).map(([name, value]) => `${name}=${value}\n`)
  await appendFile(resolve(envFile), lines.join(''))
}
if (dotenvFile) await writeFile(resolve(dotenvFile), dotenv)

const tryNext = dotenvFile
  ? `npm run local -- ${dotenvFile}`
  : `curl -H 'Authorization: ServiceToken ${serviceToken}' ${suprsend.url}/v1/${workspace}/ws_signing_key/`
console.log(
  [
    'Sandbox servers (loopback only; tokens are random per start and valid only here):',
    '',
    `SuprSend API   ${suprsend.url}`,
    `  workspace      ${workspace}: signing key ${signingKey.uid} (active), public key ${publicKey.id}, API key ${apiKey.id}`,
    `  service token  ${serviceToken}`,
    '',
    `GitHub API     ${github.url}`,
    `  repository     ${repository} (environment '${environment}'), organization ${organization}`,
    `  token          ${githubToken}`,
    '                 full access: Actions secrets and variables, Dependabot and Codespaces secrets, environments',
    `  token          ${noSecretsToken}`,
    '                 everything except Actions secrets: reading a secrets public key works, writing a secret is 403',
    '',
    dotenvFile
      ? `Wrote ${dotenvFile} (INPUT_* for @github/local-action).`
      : 'Add --dotenv <file> for @github/local-action.',
    'Try next:',
    `  ${tryNext}`,
    '',
    'Serving until killed (Ctrl-C).',
  ].join('\n'),
)

// Last, so its appearance means everything above is done.
if (infoFile) await writeFile(resolve(infoFile), `${JSON.stringify(values, null, 2)}\n`)

let closing = false
async function shutdown(signal: string): Promise<void> {
  if (closing) return
  closing = true
  console.log(`${signal}: closing the sandbox servers.`)
  await Promise.all([suprsend.close(), github.close()])
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
