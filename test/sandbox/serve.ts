// Starts both sandbox servers (SuprSend management API and GitHub API stand-ins) on 127.0.0.1,
// seeds a workspace, a repository with an environment, an organization and the tokens, writes how
// to reach them, and stays up until it is killed (SIGINT or SIGTERM).
//
//   node test/sandbox/serve.ts [--github-env <file>] [--info <file>]
//
// --github-env  append NAME=value lines for the variables below (default: $GITHUB_ENV when set, so
//               later workflow steps see them)
// --info        write the same values as JSON, last: its appearance means the servers are ready
//
// Variables: SUPRSEND_API_URL, SUPRSEND_SERVICE_TOKEN, SUPRSEND_WORKSPACE, SUPRSEND_SIGNING_KEY_UID
// (the seeded active key), SUPRSEND_PUBLIC_KEY_ID, SUPRSEND_API_KEY_ID, SANDBOX_GITHUB_API_URL,
// SANDBOX_GITHUB_TOKEN, SANDBOX_REPOSITORY, SANDBOX_ENVIRONMENT, SANDBOX_ORGANIZATION.
import { appendFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { randomAlnum, startGitHub, startSuprSend } from './index.ts'

function argument(name: string): string | undefined {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string
    if (arg === name) return args[i + 1]
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1)
  }
  return undefined
}

const envFile = argument('--github-env') ?? process.env['GITHUB_ENV']
const infoFile = argument('--info')
const repository = process.env['SANDBOX_REPOSITORY'] || 'acme/app'
const environment = 'production'
const organization = repository.split('/')[0] || 'acme'
const workspace = 'sandbox'

const serviceToken = `sandbox-service-${randomAlnum(24)}`
const githubToken = `ghs_sandbox${randomAlnum(28)}`
const suprsend = await startSuprSend({ token: serviceToken })
const github = await startGitHub({ tokens: [githubToken] })

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
  SANDBOX_REPOSITORY: repository,
  SANDBOX_ENVIRONMENT: environment,
  SANDBOX_ORGANIZATION: organization,
}

if (envFile) {
  await appendFile(
    resolve(envFile),
    Object.entries(values)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  )
}
if (infoFile) await writeFile(resolve(infoFile), `${JSON.stringify(values, null, 2)}\n`)

console.log(`SuprSend sandbox: ${suprsend.url} (workspace '${workspace}')`)
console.log(`GitHub sandbox:   ${github.url} (repository ${repository}, environment ${environment})`)
console.log('Serving until killed.')

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
