import { badCharacter, InputError, parseGitHubApiUrl, parseToken } from './values.ts'

/**
 * Where and how a new key is stored in GitHub: the storage inputs, checked
 * together, before any request is sent.
 */

export type SecretType = 'actions' | 'dependabot' | 'codespaces'
export type Visibility = 'all' | 'private' | 'selected'
export type Returns = 'private-key' | 'api-key' | 'public-key'

export type Destination =
  | { kind: 'repository'; owner: string; repo: string }
  | { kind: 'environment'; owner: string; repo: string; environment: string }
  | { kind: 'organization'; org: string; visibility: Visibility; selectedRepositories: string[] }

export interface StorePlan {
  /** A secret for private keys and API keys, a variable for public keys. */
  kind: 'secret' | 'variable'
  secretType: SecretType
  name: string
  format: 'pem' | 'base64'
  githubToken: string
  githubApiUrl: URL
  destinations: Destination[]
}

/** The permission each kind of secret needs, as GitHub names it for fine-grained tokens and Apps. */
export const secretPermission: Record<SecretType, string> = {
  actions: 'Secrets',
  dependabot: 'Dependabot secrets',
  codespaces: 'Codespaces secrets',
}

/** GitHub allows 500 content-creating requests an hour; one run never plans more writes than that. */
export const maxDestinations = 500

export const storeInputs = [
  'github-token',
  'secret-type',
  'secret-format',
  'repositories',
  'environment',
  'organization',
  'visibility',
  'write-concurrency',
] as const

type Raw = Partial<Record<string, string>>

export function targetOf(destination: Destination): string {
  if (destination.kind === 'organization') return destination.org
  const repository = `${destination.owner}/${destination.repo}`
  return destination.kind === 'environment' ? `${repository}/${destination.environment}` : repository
}

const organizationPattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/
/** A user or organization; an Enterprise Managed User is 'handle_shortcode'. */
const ownerPattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:_[A-Za-z0-9]{1,39})?$/
const repoPattern = /^[A-Za-z0-9_.-]{1,100}$/
const entryForms = "'owner/repo' or 'owner/repo/environment' entries"

/** Why an environment name cannot be used, or undefined when it can. */
function environmentProblem(name: string): string | undefined {
  if (name === '') return 'is empty'
  if (name === '.' || name === '..') return `is '${name}', which a URL path would swallow`
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name)) return 'contains an invisible or control character'
  if (name.trim() !== name) return 'has surrounding whitespace'
  if (name.length > 255) return `is ${name.length} characters long (at most 255)`
  return undefined
}

/** `owner/repo`, or `owner/repo/environment` where everything after the second '/' is the environment. */
function parseEntry(entry: string, source: string): Destination {
  const [owner = '', repo = ''] = entry.split('/')
  const rest = entry.split('/').slice(2).join('/')
  if (!ownerPattern.test(owner) || !repoPattern.test(repo) || /^\.+$/.test(repo)) {
    const bad = badCharacter(`${owner}${repo}`)
    throw new InputError(
      `${source} has '${entry.slice(0, 100)}'${bad ? `, which contains ${bad}` : ''}; expected ${source === 'GITHUB_REPOSITORY' ? "'owner/repo'" : entryForms}.`,
    )
  }
  if (!entry.includes('/', owner.length + 1)) return { kind: 'repository', owner, repo }
  const problem = environmentProblem(rest)
  if (problem) {
    throw new InputError(
      `Input 'repositories' has '${entry.slice(0, 100)}', whose environment name ${problem}; expected 'owner/repo/environment' with an environment name such as 'production'.`,
    )
  }
  return { kind: 'environment', owner, repo, environment: rest }
}

function parseEntries(value: string): Destination[] {
  const seen = new Set<string>()
  const list: Destination[] = []
  for (const text of value.split(/[\n,]/).map((entry) => entry.trim())) {
    if (text === '') continue
    const destination = parseEntry(text, "Input 'repositories'")
    // The full target, so 'acme/app' and 'acme/app/production' are two destinations.
    const key = targetOf(destination).toLowerCase()
    if (!seen.has(key)) list.push(destination)
    seen.add(key)
  }
  return list
}

function organizationDestination(raw: Raw, org: string, noun: string): Destination {
  if (!organizationPattern.test(org)) {
    throw new InputError("Input 'organization' is not a GitHub organization name; expected letters, digits and '-'.")
  }
  const visibility = raw['visibility'] || 'private'
  if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
    throw new InputError(`Input 'visibility' is '${visibility.slice(0, 20)}'; expected 'all', 'private' or 'selected'.`)
  }
  const selected = raw['repositories'] ? parseEntries(raw['repositories']) : []
  if (visibility !== 'selected' && selected.length > 0) {
    throw new InputError(
      `Input 'repositories' applies to an organization ${noun} only with visibility 'selected' (it is '${visibility}').`,
    )
  }
  if (visibility === 'selected' && selected.length === 0) {
    throw new InputError(
      "Input 'repositories' is required with visibility 'selected'; list the repositories that get access.",
    )
  }
  for (const entry of selected) {
    if (entry.kind === 'environment') {
      throw new InputError(
        `Input 'repositories' has '${targetOf(entry).slice(0, 100)}', an environment; with an organization ${noun} of visibility 'selected' it lists the repositories that get access, as 'owner/repo'.`,
      )
    }
    if (entry.kind === 'repository' && entry.owner.toLowerCase() !== org.toLowerCase()) {
      throw new InputError(
        `Input 'repositories' has '${targetOf(entry).slice(0, 100)}', which organization '${org}' does not own; an organization ${noun} can only be shared with its own repositories.`,
      )
    }
  }
  const selectedRepositories = selected.map((entry) => targetOf(entry))
  return { kind: 'organization', org, visibility, selectedRepositories }
}

function repositoryDestinations(raw: Raw, env: { GITHUB_REPOSITORY?: string | undefined }): Destination[] {
  let entries: Destination[]
  if (raw['repositories']) {
    entries = parseEntries(raw['repositories'])
    if (entries.length === 0) {
      throw new InputError(
        `Input 'repositories' lists no repository; expected ${entryForms} separated by commas or newlines.`,
      )
    }
  } else if (env.GITHUB_REPOSITORY) {
    entries = [parseEntry(env.GITHUB_REPOSITORY, 'GITHUB_REPOSITORY')]
  } else {
    throw new InputError(
      "Input 'repositories' is empty and GITHUB_REPOSITORY is not set; expected 'owner/repo' entries.",
    )
  }
  const environment = raw['environment']
  if (!environment) return entries
  const named = entries.find((entry) => entry.kind === 'environment')
  if (named) {
    throw new InputError(
      `Inputs 'environment' and 'repositories' cannot be combined when an entry names its own environment ('${targetOf(named).slice(0, 100)}'); write every entry as 'owner/repo/environment', or use 'environment' with plain 'owner/repo' entries.`,
    )
  }
  const problem = environmentProblem(environment)
  if (problem)
    throw new InputError(`Input 'environment' ${problem}; expected an environment name such as 'production'.`)
  return entries.map((entry) => ({ ...(entry as { owner: string; repo: string }), kind: 'environment', environment }))
}

function parseSecretType(raw: Raw, given: 'secret-name' | 'variable-name'): SecretType {
  const type = raw['secret-type'] || 'actions'
  if (type !== 'actions' && type !== 'dependabot' && type !== 'codespaces') {
    throw new InputError(
      `Input 'secret-type' is '${type.slice(0, 20)}'; expected 'actions', 'dependabot' or 'codespaces'.`,
    )
  }
  if (given === 'variable-name' && type !== 'actions') {
    throw new InputError(
      `Input 'variable-name' cannot be used with secret-type '${type}'; GitHub has variables for Actions only, so remove 'secret-type' or store into 'secret-name'.`,
    )
  }
  return type
}

function parseSecretName(input: 'secret-name' | 'variable-name', value: string): string {
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

/** Which of 'secret-name' and 'variable-name' stores this operation's key, or undefined for none. */
function storingInput(raw: Raw, returns: Returns | undefined, operation: string) {
  const given = raw['secret-name'] ? 'secret-name' : raw['variable-name'] ? 'variable-name' : undefined
  if (given === undefined) {
    // write-concurrency no longer does anything anywhere, so it only warns (see parsePlan).
    const stray = storeInputs.find((input) => raw[input] && input !== 'write-concurrency')
    if (stray) {
      throw new InputError(
        `Input '${stray}' was given without 'secret-name' or 'variable-name'; it only applies when storing a key in GitHub.`,
      )
    }
    return undefined
  }
  if (!returns)
    throw new InputError(`Input '${given}' does not apply to operation '${operation}', which returns no key to store.`)
  const wanted = returns === 'public-key' ? 'variable-name' : 'secret-name'
  if (raw['secret-name'] && raw['variable-name']) {
    throw new InputError(
      `Inputs 'secret-name' and 'variable-name' were both given; operation '${operation}' stores into '${wanted}' only.`,
    )
  }
  if (given !== wanted) {
    const what = returns === 'public-key' ? 'a public key, which is not secret' : 'a secret'
    throw new InputError(
      `Input '${given}' does not apply to operation '${operation}', which returns ${what}; use '${wanted}'.`,
    )
  }
  if (raw['secret-format'] && returns !== 'private-key') {
    throw new InputError(
      `Input 'secret-format' does not apply to operation '${operation}'; it chooses how a signing key is stored.`,
    )
  }
  return given
}

export function parseStore(
  raw: Raw,
  returns: Returns | undefined,
  operation: string,
  env: Record<string, string | undefined>,
): StorePlan | undefined {
  const given = storingInput(raw, returns, operation)
  if (!given) return undefined
  const noun = given === 'secret-name' ? 'secret' : 'variable'
  const format = raw['secret-format'] || 'pem'
  if (format !== 'pem' && format !== 'base64') {
    throw new InputError(`Input 'secret-format' is '${format.slice(0, 20)}'; expected 'pem' or 'base64'.`)
  }
  const secretType = parseSecretType(raw, given)
  if (!raw['github-token']) {
    throw new InputError(
      `Input 'github-token' is required to store into a ${noun}; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the '${noun === 'secret' ? secretPermission[secretType] : 'Variables'}' permission (read and write).`,
    )
  }
  const githubToken = parseToken('github-token', raw['github-token'])
  const organization = raw['organization']
  if (raw['visibility'] && !organization) {
    throw new InputError(
      "Input 'visibility' applies only to an organization secret or variable; set 'organization' or remove it.",
    )
  }
  if (organization && raw['environment']) {
    throw new InputError(
      "Inputs 'organization' and 'environment' cannot be combined; an environment belongs to a repository.",
    )
  }
  const destinations = organization
    ? [organizationDestination(raw, organization, noun)]
    : repositoryDestinations(raw, env)
  const environment = destinations.find((destination) => destination.kind === 'environment')
  if (secretType !== 'actions' && environment) {
    throw new InputError(
      raw['environment']
        ? `Input 'environment' does not apply to secret-type '${secretType}', which has no environment secrets; remove it.`
        : `Input 'repositories' has '${targetOf(environment).slice(0, 100)}', an environment, but secret-type '${secretType}' has no environment secrets; expected 'owner/repo' entries.`,
    )
  }
  if (destinations.length > maxDestinations) {
    throw new InputError(
      `Input 'repositories' lists ${destinations.length} destinations, but GitHub allows ${maxDestinations} content-creating requests an hour; store the key once in an organization ${noun} with visibility 'selected', or split the destinations across runs of at most ${maxDestinations}.`,
    )
  }
  return {
    kind: noun,
    secretType,
    name: parseSecretName(given, (raw['secret-name'] || raw['variable-name']) as string),
    format,
    githubToken,
    githubApiUrl: parseGitHubApiUrl(env['GITHUB_API_URL']),
    destinations,
  }
}
