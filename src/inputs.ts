import { defaultApiUrl } from './suprsend/client.ts'

/**
 * Turns the action's raw inputs into a validated plan. Every rule here runs
 * before any request is sent, and each failure is one sentence that names
 * the input, what is wrong and what is expected.
 */

export const operations = [
  'list-signing-keys',
  'create-signing-key',
  'roll-signing-key',
  'rotate-signing-key',
  'delete-signing-key',
  'list-public-keys',
  'create-public-key',
  'rotate-public-key',
  'enable-secure-mode',
  'disable-secure-mode',
  'delete-public-key',
  'list-api-keys',
  'create-api-key',
  'rotate-api-key',
  'delete-api-key',
] as const

export type Operation = (typeof operations)[number]

/** Every input the action reads, as named in action.yml. */
export const inputNames = [
  'service-token',
  'workspace',
  'operation',
  'signing-key-uid',
  'public-key-id',
  'api-key-id',
  'name',
  'description',
  'api-url',
  'request-timeout',
  'github-token',
  'secret-name',
  'secret-format',
  'variable-name',
  'repositories',
  'environment',
  'organization',
  'visibility',
  'write-concurrency',
  'dry-run',
] as const

export type InputName = (typeof inputNames)[number]
export type RawInputs = Partial<Record<InputName, string>>

export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** What the operation gives back that can be stored in GitHub. */
type Storable = 'private-key' | 'api-key' | 'public-key' | 'nothing'

interface OperationRules {
  /** Inputs this operation takes, beyond the common ones. */
  takes: readonly InputName[]
  requires: readonly InputName[]
  stores: Storable
}

const rules: Record<Operation, OperationRules> = {
  'list-signing-keys': { takes: [], requires: [], stores: 'nothing' },
  'create-signing-key': { takes: [], requires: [], stores: 'private-key' },
  'roll-signing-key': { takes: ['signing-key-uid'], requires: [], stores: 'private-key' },
  'rotate-signing-key': { takes: [], requires: [], stores: 'private-key' },
  'delete-signing-key': { takes: ['signing-key-uid'], requires: ['signing-key-uid'], stores: 'nothing' },
  'list-public-keys': { takes: [], requires: [], stores: 'nothing' },
  'create-public-key': { takes: ['name', 'description'], requires: ['name'], stores: 'public-key' },
  'rotate-public-key': { takes: ['public-key-id'], requires: ['public-key-id'], stores: 'public-key' },
  'enable-secure-mode': { takes: ['public-key-id'], requires: ['public-key-id'], stores: 'nothing' },
  'disable-secure-mode': { takes: ['public-key-id'], requires: ['public-key-id'], stores: 'nothing' },
  'delete-public-key': { takes: ['public-key-id'], requires: ['public-key-id'], stores: 'nothing' },
  'list-api-keys': { takes: [], requires: [], stores: 'nothing' },
  'create-api-key': { takes: ['name', 'description'], requires: ['name'], stores: 'api-key' },
  'rotate-api-key': {
    takes: ['api-key-id', 'name', 'description'],
    requires: ['secret-name'],
    stores: 'api-key',
  },
  'delete-api-key': { takes: ['api-key-id'], requires: ['api-key-id'], stores: 'nothing' },
}

const commonInputs: readonly InputName[] = [
  'service-token',
  'workspace',
  'operation',
  'api-url',
  'request-timeout',
  'dry-run',
]

const storeInputs: readonly InputName[] = [
  'github-token',
  'repositories',
  'environment',
  'organization',
  'visibility',
  'write-concurrency',
]

export type SecretFormat = 'pem' | 'base64'
export type Visibility = 'all' | 'private' | 'selected'

export type Destination =
  | { kind: 'repository'; owner: string; repo: string }
  | { kind: 'environment'; owner: string; repo: string; environment: string }
  | { kind: 'organization'; org: string; visibility: Visibility; selectedRepositories: string[] }

/** Where and how to store what the operation returns. */
export interface StorePlan {
  /** A secret for private keys and API keys, a variable for public keys. */
  type: 'secret' | 'variable'
  name: string
  /** Only for signing-key secrets. */
  format: SecretFormat
  githubToken: string
  githubApiUrl: URL
  destinations: Destination[]
  writeConcurrency: number
}

interface Common {
  serviceToken: string
  workspace: string
  apiUrl: URL
  timeoutMs: number
  dryRun: boolean
  store?: StorePlan
}

export type Plan = Common &
  (
    | { operation: 'list-signing-keys' | 'list-public-keys' | 'list-api-keys' }
    | { operation: 'create-signing-key' }
    | { operation: 'rotate-signing-key' }
    | { operation: 'roll-signing-key'; signingKeyUid?: string }
    | { operation: 'delete-signing-key'; signingKeyUid: string }
    | { operation: 'create-public-key'; name: string; description?: string }
    | { operation: 'create-api-key'; name: string; description?: string }
    | {
        operation: 'rotate-public-key' | 'enable-secure-mode' | 'disable-secure-mode' | 'delete-public-key'
        publicKeyId: string
      }
    | { operation: 'delete-api-key'; apiKeyId: string }
    | { operation: 'rotate-api-key'; apiKeyId?: string; name?: string; description?: string }
  )

export interface Environment {
  /** `owner/repo` of the workflow's repository, the default destination. */
  GITHUB_REPOSITORY?: string | undefined
  /** The GitHub API the token is sent to: github.com, GHES or a data-residency host. */
  GITHUB_API_URL?: string | undefined
}

const controlChar = /[\u0000-\u001f\u007f]/

function describeBadChar(value: string): string | undefined {
  if (controlChar.test(value)) return 'a control character'
  if (/\s/.test(value)) return 'whitespace'
  if (value.includes('/')) return "'/'"
  if (value.includes('\\')) return "'\\'"
  if (value.includes('..')) return "'..'"
  return undefined
}

/** Kinds of SuprSend ids, so a wrong one can be called by its name. */
const idKinds: { prefix: string; what: string; input: InputName }[] = [
  { prefix: 'signing_key_', what: "a signing key uid ('signing_key_...')", input: 'signing-key-uid' },
  { prefix: 'ws_signk_', what: "a signing key id ('ws_signk_...'), not its uid", input: 'signing-key-uid' },
  { prefix: 'ws_pubk_', what: "a public key id ('ws_pubk_...')", input: 'public-key-id' },
  { prefix: 'SS.PUBK', what: "a public key's value ('SS.PUBK...'), not its id", input: 'public-key-id' },
  { prefix: 'ws_apik_', what: "an API key id ('ws_apik_...')", input: 'api-key-id' },
]

function parseId(input: InputName, value: string, prefix: string, expected: string): string {
  const bad = describeBadChar(value)
  if (bad) throw new InputError(`Input '${input}' contains ${bad}; expected ${expected}.`)
  if (!value.startsWith(prefix)) {
    const kind = idKinds.find((k) => value.startsWith(k.prefix))
    // Never echo an unrecognised value: it might be a secret pasted into the wrong input.
    const got = kind ? `got ${kind.what}` : `does not start with '${prefix}'`
    throw new InputError(`Input '${input}' ${got}; expected ${expected}.`)
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(value) || value.length > 200 || value === prefix) {
    throw new InputError(`Input '${input}' is not a well-formed id; expected ${expected}.`)
  }
  return value
}

function parseWorkspace(value: string): string {
  const bad = describeBadChar(value)
  if (bad || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(value)) {
    throw new InputError(
      `Input 'workspace' ${bad ? `contains ${bad}` : 'is not a workspace slug'}; expected a slug such as 'staging' (letters, digits, '-', '_' or '.').`,
    )
  }
  return value
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** Parses a URL, or says which of `messages` applies. */
function parseUrl(value: string, messages: { invalid: string; cleartext: (protocol: string) => string }): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(messages.invalid)
  }
  // Credentials must never travel in clear text; a loopback address never leaves the machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new InputError(messages.cleartext(url.protocol.replace(':', '')))
  }
  return url
}

function parseApiUrl(value: string): URL {
  const url = parseUrl(value, {
    invalid: `Input 'api-url' is not a valid URL; expected an https URL such as '${defaultApiUrl}'.`,
    cleartext: (protocol) =>
      `Input 'api-url' uses ${protocol}; expected https (plain http is accepted only for a loopback address such as 127.0.0.1).`,
  })
  if (url.username || url.password || url.search || url.hash || url.pathname.includes('//')) {
    throw new InputError(
      `Input 'api-url' carries credentials, a query, a fragment or an empty path segment; expected a plain base URL such as '${defaultApiUrl}'.`,
    )
  }
  return url
}

/** Where the token that writes secrets goes: github.com, GHES or a data-residency host. */
function parseGitHubApiUrl(value: string | undefined): URL {
  return parseUrl(value || 'https://api.github.com', {
    invalid: "GITHUB_API_URL is not a valid URL; expected the runner's API URL, such as 'https://api.github.com'.",
    cleartext: (protocol) =>
      `GITHUB_API_URL uses ${protocol}; the action sends 'github-token' only over https (or plain http to a loopback address).`,
  })
}

/** A token goes into an HTTP header, which takes visible ASCII only; never echoed, it is a secret. */
function parseToken(input: 'service-token' | 'github-token', value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new InputError(
      `Input '${input}' contains whitespace, a control character or a non-ASCII character; expected the token alone.`,
    )
  }
  return value
}

function parseBoolean(input: InputName, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback
  if (/^true$/i.test(value)) return true
  if (/^false$/i.test(value)) return false
  throw new InputError(`Input '${input}' is '${value.slice(0, 20)}'; expected 'true' or 'false'.`)
}

function parseInteger(input: InputName, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new InputError(`Input '${input}' is '${value.slice(0, 20)}'; expected a whole number from ${min} to ${max}.`)
  }
  return n
}

function parseName(input: InputName, value: string, maxLength: number): string {
  if (controlChar.test(value))
    throw new InputError(`Input '${input}' contains a control character; expected plain text.`)
  if (value.length > maxLength) {
    throw new InputError(`Input '${input}' is ${value.length} characters long; expected at most ${maxLength}.`)
  }
  return value
}

function parseGitHubName(input: 'secret-name' | 'variable-name', value: string): string {
  const noun = input === 'secret-name' ? 'secret' : 'variable'
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw new InputError(
      `Input '${input}' is not a valid GitHub ${noun} name; expected letters, digits and '_', not starting with a digit.`,
    )
  }
  if (/^GITHUB_/i.test(value)) {
    throw new InputError(`Input '${input}' starts with 'GITHUB_', which GitHub reserves; choose another ${noun} name.`)
  }
  // GitHub stores names upper-case; using that form keeps outputs and checks consistent.
  return value.toUpperCase()
}

const ownerPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const repoPattern = /^[A-Za-z0-9_.-]{1,100}$/

interface Repo {
  owner: string
  repo: string
}

/** `shown` is the whole entry to quote in an error, when `value` is only its repository part. */
function parseRepository(
  value: string,
  source: string,
  expected = "repositories as 'owner/repo'",
  shown = value,
): Repo {
  const [owner, repo, ...rest] = value.split('/')
  if (
    rest.length > 0 ||
    !owner ||
    !repo ||
    !ownerPattern.test(owner) ||
    !repoPattern.test(repo) ||
    /^\.+$/.test(repo)
  ) {
    const bad = describeBadChar(value.replace('/', ''))
    throw new InputError(
      `${source} has '${shown.slice(0, 100)}'${bad ? `, which contains ${bad}` : ''}; expected ${expected}.`,
    )
  }
  return { owner, repo }
}

/** One entry of `repositories`: `owner/repo`, or `owner/repo/environment` with `environment` set. */
interface RepositoryEntry extends Repo {
  environment?: string
}

const entryForms = "'owner/repo' or 'owner/repo/environment' entries"

/** Why an environment name cannot be used, or undefined when it can. */
function environmentProblem(name: string): string | undefined {
  if (name === '') return 'is empty'
  if (name === '.' || name === '..') return `is '${name}', which a URL path would swallow`
  if (controlChar.test(name)) return 'contains a control character'
  if (name.trim() !== name) return 'has surrounding whitespace'
  if (name.length > 255) return `is ${name.length} characters long (at most 255)`
  return undefined
}

/** `owner/repo`, or `owner/repo/environment` where everything after the second '/' is the environment name. */
function parseRepositoryEntry(value: string): RepositoryEntry {
  const first = value.indexOf('/')
  const second = first === -1 ? -1 : value.indexOf('/', first + 1)
  if (second === -1) return parseRepository(value, "Input 'repositories'", entryForms)
  const repository = parseRepository(value.slice(0, second), "Input 'repositories'", entryForms, value)
  const environment = value.slice(second + 1)
  const problem = environmentProblem(environment)
  if (problem) {
    throw new InputError(
      `Input 'repositories' has '${value.slice(0, 100)}', whose environment name ${problem}; expected 'owner/repo/environment' with an environment name such as 'production'.`,
    )
  }
  return { ...repository, environment }
}

function targetOfEntry(entry: RepositoryEntry): string {
  return entry.environment === undefined
    ? `${entry.owner}/${entry.repo}`
    : `${entry.owner}/${entry.repo}/${entry.environment}`
}

function parseRepositoryList(value: string): RepositoryEntry[] {
  const seen = new Set<string>()
  const list: RepositoryEntry[] = []
  for (const entry of value.split(/[\n,]/)) {
    const trimmed = entry.trim()
    if (trimmed === '') continue
    const parsed = parseRepositoryEntry(trimmed)
    // The full target, so 'acme/app' and 'acme/app/production' are two destinations.
    const key = targetOfEntry(parsed).toLowerCase()
    if (!seen.has(key)) {
      seen.add(key)
      list.push(parsed)
    }
  }
  return list
}

function parseStore(raw: RawInputs, operation: Operation, env: Environment): StorePlan | undefined {
  const secretName = raw['secret-name']
  const variableName = raw['variable-name']
  const stores = rules[operation].stores
  // With an operation that stores nothing, the clearer error is that storage does not apply at all.
  if (secretName && variableName && stores !== 'nothing') {
    throw new InputError(
      `Inputs 'secret-name' and 'variable-name' were both given; operation '${operation}' stores into ${stores === 'public-key' ? "'variable-name'" : "'secret-name'"} only.`,
    )
  }
  const given = secretName ? 'secret-name' : variableName ? 'variable-name' : undefined
  if (given === undefined) {
    for (const input of [...storeInputs, 'secret-format'] as const) {
      if (raw[input]) {
        throw new InputError(
          `Input '${input}' was given without 'secret-name' or 'variable-name'; it only applies when storing a key in GitHub.`,
        )
      }
    }
    return undefined
  }
  if (stores === 'nothing') {
    throw new InputError(`Input '${given}' does not apply to operation '${operation}', which returns no key to store.`)
  }
  const wanted = stores === 'public-key' ? 'variable-name' : 'secret-name'
  if (given !== wanted) {
    const what = stores === 'public-key' ? 'a public key, which is not secret' : 'a secret'
    throw new InputError(
      `Input '${given}' does not apply to operation '${operation}', which returns ${what}; use '${wanted}'.`,
    )
  }
  const format = raw['secret-format'] || 'pem'
  if (raw['secret-format'] && stores !== 'private-key') {
    throw new InputError(
      `Input 'secret-format' does not apply to operation '${operation}'; it chooses how a signing key is stored.`,
    )
  }
  if (format !== 'pem' && format !== 'base64') {
    throw new InputError(`Input 'secret-format' is '${format.slice(0, 20)}'; expected 'pem' or 'base64'.`)
  }
  const githubToken = raw['github-token'] ?? ''
  if (githubToken === '') {
    throw new InputError(
      `Input 'github-token' is required to store into ${given === 'secret-name' ? 'a secret' : 'a variable'}; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the ${given === 'secret-name' ? "'Secrets'" : "'Variables'"} permission (read and write).`,
    )
  }
  parseToken('github-token', githubToken)
  const organization = raw.organization
  const environment = raw.environment
  const visibilityRaw = raw.visibility
  const repositoriesRaw = raw.repositories
  if (visibilityRaw && !organization) {
    throw new InputError(
      "Input 'visibility' applies only to an organization secret or variable; set 'organization' or remove it.",
    )
  }
  if (organization && environment) {
    throw new InputError(
      "Inputs 'organization' and 'environment' cannot be combined; an environment belongs to a repository.",
    )
  }
  let destinations: Destination[]
  if (organization) {
    if (!ownerPattern.test(organization)) {
      throw new InputError(`Input 'organization' is not a GitHub organization name; expected letters, digits and '-'.`)
    }
    const visibility = visibilityRaw || 'private'
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
      throw new InputError(
        `Input 'visibility' is '${visibility.slice(0, 20)}'; expected 'all', 'private' or 'selected'.`,
      )
    }
    const selected = repositoriesRaw ? parseRepositoryList(repositoriesRaw) : []
    if (visibility !== 'selected' && selected.length > 0) {
      throw new InputError(
        `Input 'repositories' applies to an organization ${given === 'secret-name' ? 'secret' : 'variable'} only with visibility 'selected' (it is '${visibility}').`,
      )
    }
    if (visibility === 'selected' && selected.length === 0) {
      throw new InputError(
        "Input 'repositories' is required with visibility 'selected'; list the repositories that get access.",
      )
    }
    const withEnvironment = selected.find((r) => r.environment !== undefined)
    if (withEnvironment) {
      throw new InputError(
        `Input 'repositories' has '${targetOfEntry(withEnvironment).slice(0, 100)}', an environment; with an organization ${given === 'secret-name' ? 'secret' : 'variable'} of visibility 'selected' it lists the repositories that get access, as 'owner/repo'.`,
      )
    }
    destinations = [
      {
        kind: 'organization',
        org: organization,
        visibility,
        selectedRepositories: selected.map((r) => `${r.owner}/${r.repo}`),
      },
    ]
  } else {
    let repositories: RepositoryEntry[]
    if (repositoriesRaw) {
      repositories = parseRepositoryList(repositoriesRaw)
      if (repositories.length === 0) {
        throw new InputError(
          `Input 'repositories' lists no repository; expected ${entryForms} separated by commas or newlines.`,
        )
      }
    } else if (env.GITHUB_REPOSITORY) {
      repositories = [parseRepository(env.GITHUB_REPOSITORY, 'GITHUB_REPOSITORY')]
    } else {
      throw new InputError(
        "Input 'repositories' is empty and GITHUB_REPOSITORY is not set; expected 'owner/repo' entries.",
      )
    }
    if (environment !== undefined && environment !== '') {
      const named = repositories.find((r) => r.environment !== undefined)
      if (named) {
        throw new InputError(
          `Inputs 'environment' and 'repositories' cannot be combined when an entry names its own environment ('${targetOfEntry(named).slice(0, 100)}'); write every entry as 'owner/repo/environment', or use 'environment' with plain 'owner/repo' entries.`,
        )
      }
      const problem = environmentProblem(environment)
      if (problem) {
        throw new InputError(`Input 'environment' ${problem}; expected an environment name such as 'production'.`)
      }
      destinations = repositories.map(({ owner, repo }) => ({ kind: 'environment', owner, repo, environment }))
    } else {
      destinations = repositories.map(({ owner, repo, environment: named }) =>
        named === undefined
          ? { kind: 'repository', owner, repo }
          : { kind: 'environment', owner, repo, environment: named },
      )
    }
  }
  return {
    githubApiUrl: parseGitHubApiUrl(env.GITHUB_API_URL),
    type: given === 'secret-name' ? 'secret' : 'variable',
    name: parseGitHubName(given, (secretName || variableName) as string),
    format,
    githubToken,
    destinations,
    writeConcurrency: parseInteger('write-concurrency', raw['write-concurrency'], 10, 1, 20),
  }
}

/** Builds the plan, or throws an InputError before anything is sent. */
export function parsePlan(raw: RawInputs, env: Environment = {}): Plan {
  for (const name of ['service-token', 'workspace', 'operation'] as const) {
    if (!raw[name]) throw new InputError(`Input '${name}' is required and was empty.`)
  }
  const operationText = raw.operation as string
  if (!(operations as readonly string[]).includes(operationText)) {
    // Echo only what looks like a misspelt operation name, never a value that might be a pasted secret.
    const got = /^[A-Za-z]+(?:-[A-Za-z]+)*$/.test(operationText) && operationText.length <= 40
    throw new InputError(
      `Input 'operation' ${got ? `is '${operationText}'` : 'is not an operation name'}; expected one of: ${operations.join(', ')}.`,
    )
  }
  const operation = operationText as Operation
  const rule = rules[operation]
  for (const name of rule.requires) {
    if (!raw[name]) throw new InputError(`Input '${name}' is required for operation '${operation}' and was empty.`)
  }
  for (const name of inputNames) {
    if (!raw[name] || commonInputs.includes(name) || rule.takes.includes(name)) continue
    // Storage inputs are checked by parseStore, which can say more precisely what is wrong.
    if (storeInputs.includes(name) || name === 'secret-name' || name === 'variable-name' || name === 'secret-format')
      continue
    const takes = rule.takes.length > 0 ? rule.takes.map((t) => `'${t}'`).join(', ') : 'no key inputs'
    throw new InputError(`Input '${name}' does not apply to operation '${operation}', which takes ${takes}; remove it.`)
  }

  const serviceToken = parseToken('service-token', raw['service-token'] as string)
  const common: Common = {
    serviceToken,
    workspace: parseWorkspace(raw.workspace as string),
    apiUrl: parseApiUrl(raw['api-url'] || defaultApiUrl),
    timeoutMs: parseInteger('request-timeout', raw['request-timeout'], 30, 1, 600) * 1000,
    dryRun: parseBoolean('dry-run', raw['dry-run'], false),
  }
  const store = parseStore(raw, operation, env)
  if (store) common.store = store

  const signingKeyUid = () =>
    parseId(
      'signing-key-uid',
      raw['signing-key-uid'] as string,
      'signing_key_',
      "a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id)",
    )
  const publicKeyId = () =>
    parseId('public-key-id', raw['public-key-id'] as string, 'ws_pubk_', "a public key id starting with 'ws_pubk_'")
  const apiKeyId = () =>
    parseId('api-key-id', raw['api-key-id'] as string, 'ws_apik_', "an API key id starting with 'ws_apik_'")
  const name = () => parseName('name', raw.name as string, 100)
  const description = () => (raw.description ? { description: parseName('description', raw.description, 500) } : {})
  switch (operation) {
    case 'list-signing-keys':
    case 'list-public-keys':
    case 'list-api-keys':
    case 'create-signing-key':
    case 'rotate-signing-key':
      return { ...common, operation }
    case 'roll-signing-key':
      return { ...common, operation, ...(raw['signing-key-uid'] ? { signingKeyUid: signingKeyUid() } : {}) }
    case 'delete-signing-key':
      return { ...common, operation, signingKeyUid: signingKeyUid() }
    case 'create-public-key':
    case 'create-api-key':
      return { ...common, operation, name: name(), ...description() }
    case 'rotate-public-key':
    case 'enable-secure-mode':
    case 'disable-secure-mode':
    case 'delete-public-key':
      return { ...common, operation, publicKeyId: publicKeyId() }
    case 'delete-api-key':
      return { ...common, operation, apiKeyId: apiKeyId() }
    case 'rotate-api-key':
      if (!raw['api-key-id'] && !raw.name) {
        throw new InputError(
          "Input 'name' is required for operation 'rotate-api-key' when 'api-key-id' is empty; give the old key's id (its name is reused) or a name for the new key.",
        )
      }
      return {
        ...common,
        operation,
        ...(raw['api-key-id'] ? { apiKeyId: apiKeyId() } : {}),
        ...(raw.name ? { name: name() } : {}),
        ...description(),
      }
  }
}
