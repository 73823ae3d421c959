// The pure input parser: each bad input is one sentence that names the input, says what is wrong
// and what is expected. The end-to-end tests prove no request follows such an error.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { inputNames, parsePlan, type RawInputs } from '../src/inputs/plan.ts'
import { operationNames } from '../src/operations.ts'

const base = { 'service-token': 'sst_test_token', workspace: 'staging' }
const env = { GITHUB_REPOSITORY: 'acme/app', GITHUB_API_URL: 'https://api.github.com' }
const storing = { 'github-token': 'ghs_test', 'secret-name': 'SUPRSEND_KEY' }
const rotate = { ...base, operation: 'rotate-signing-key', ...storing }

function errorOf(inputs: RawInputs, environment: Record<string, string> = env): string {
  try {
    parsePlan(inputs, environment)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('parsePlan accepted the inputs')
}

/** Every input action.yml declares, with its default, as the runner passes them. */
function actionDefaults(): RawInputs {
  const text = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')
  const defaults: Record<string, string> = {}
  let current = ''
  for (const line of text.slice(text.indexOf('\ninputs:\n'), text.indexOf('\noutputs:\n')).split('\n')) {
    const name = /^ {2}([a-z-]+):$/.exec(line)?.[1]
    if (name) defaults[(current = name)] = ''
    const value = /^ {4}default: '?([^']*)'?$/.exec(line)?.[1]
    if (value !== undefined && current) defaults[current] = value
  }
  return defaults
}

describe('valid inputs', () => {
  it.each(operationNames.filter((name) => name !== 'rotate-api-key'))('%s with action.yml defaults', (operation) => {
    const keys: Record<string, RawInputs> = {
      'delete-signing-key': { 'signing-key-uid': 'signing_key_1' },
      'create-public-key': { name: 'web' },
      'create-api-key': { name: 'backend' },
      'delete-api-key': { 'api-key-id': 'ws_apik_1' },
    }
    const needsPublicKey = /public-key$|secure-mode$/.test(operation) && operation !== 'create-public-key'
    const inputs = {
      ...actionDefaults(),
      ...base,
      operation,
      ...keys[operation],
      ...(needsPublicKey ? { 'public-key-id': 'ws_pubk_1' } : {}),
    }
    expect(parsePlan(inputs, env).operation).toBe(operation)
  })

  it('reads every input action.yml declares, and no other', () => {
    expect([...inputNames].sort()).toEqual(Object.keys(actionDefaults()).sort())
  })

  it('a rotation into mixed destinations, with a due rule', () => {
    const plan = parsePlan(
      { ...rotate, 'rotate-if-older-than': '90d', repositories: 'acme/app, octo_emu/tools\nacme/app/production' },
      env,
    )
    expect(plan.rotateIfOlderThan).toEqual({ ms: 90 * 86_400_000, text: '90d' })
    expect(plan.store?.destinations).toEqual([
      { kind: 'repository', owner: 'acme', repo: 'app' },
      { kind: 'repository', owner: 'octo_emu', repo: 'tools' },
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'production' },
    ])
  })

  it('a Dependabot organization secret shared with selected repositories', () => {
    const plan = parsePlan(
      {
        ...rotate,
        'secret-type': 'dependabot',
        organization: 'acme',
        visibility: 'selected',
        repositories: 'acme/app',
      },
      env,
    )
    expect(plan.store).toMatchObject({
      secretType: 'dependabot',
      destinations: [{ kind: 'organization', org: 'acme', visibility: 'selected', selectedRepositories: ['acme/app'] }],
    })
  })

  it('write-concurrency is still accepted, with a deprecation warning', () => {
    expect(parsePlan({ ...rotate, 'write-concurrency': '5' }, env).warnings).toEqual([
      "Input 'write-concurrency' is deprecated and has no effect: GitHub asks for writes one at a time, at least a second apart, so the action always writes that way. Remove it.",
    ])
  })
})

const many = Array.from({ length: 501 }, (_, i) => `acme/repo-${i}`).join(',')

describe('every bad input is one sentence', () => {
  it.each<[string, RawInputs, string, Record<string, string>?]>([
    [
      'missing token',
      { workspace: 'staging', operation: 'list-signing-keys' },
      "Input 'service-token' is required and was empty.",
    ],
    [
      'unknown operation',
      { ...base, operation: 'rotate-keys' },
      `Input 'operation' is 'rotate-keys'; expected one of: ${operationNames.join(', ')}.`,
    ],
    [
      'a secret pasted as the operation',
      { ...base, operation: 'sk_live_9f8e7d' },
      `Input 'operation' is not an operation name; expected one of: ${operationNames.join(', ')}.`,
    ],
    [
      'missing uid',
      { ...base, operation: 'delete-signing-key' },
      "Input 'signing-key-uid' is required for operation 'delete-signing-key' and was empty.",
    ],
    [
      'uid that is an id',
      { ...base, operation: 'delete-signing-key', 'signing-key-uid': 'ws_signk_1' },
      "Input 'signing-key-uid' got a signing key id ('ws_signk_...'), not its uid; expected a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id).",
    ],
    [
      'a public key value as its id',
      { ...base, operation: 'delete-public-key', 'public-key-id': 'SS.PUBK.abc' },
      "Input 'public-key-id' got a public key's value ('SS.PUBK...'), not its id; expected a public key id starting with 'ws_pubk_'.",
    ],
    [
      'an unknown id is not echoed',
      { ...base, operation: 'delete-api-key', 'api-key-id': 'hunter2secret' },
      "Input 'api-key-id' does not start with 'ws_apik_'; expected an API key id starting with 'ws_apik_'.",
    ],
    [
      'path trick in an id',
      { ...base, operation: 'delete-api-key', 'api-key-id': 'ws_apik_1/../x' },
      "Input 'api-key-id' contains '/'; expected an API key id starting with 'ws_apik_'.",
    ],
    [
      'key input the operation does not take',
      { ...base, operation: 'list-api-keys', name: 'x' },
      "Input 'name' does not apply to operation 'list-api-keys', which takes no key inputs; remove it.",
    ],
    [
      'workspace with a path',
      { ...base, workspace: '../admin', operation: 'list-api-keys' },
      "Input 'workspace' contains '/'; expected a slug such as 'staging' (letters, digits, '-', '_' or '.').",
    ],
    [
      'plain http api-url',
      { ...base, operation: 'list-api-keys', 'api-url': 'http://suprsend.example' },
      "Input 'api-url' uses http; expected https (plain http is accepted only for a loopback address such as 127.0.0.1).",
    ],
    [
      'api-url with credentials',
      { ...base, operation: 'list-api-keys', 'api-url': 'https://u:p@x.example' },
      "Input 'api-url' carries credentials, a query, a fragment or an empty path segment; expected a plain base URL such as 'https://management-api.suprsend.com'.",
    ],
    [
      'a token with a newline',
      { ...base, 'service-token': 'a\nb', operation: 'list-api-keys' },
      "Input 'service-token' contains whitespace, a control character or a non-ASCII character; expected the token alone.",
    ],
    [
      'dry-run not a boolean',
      { ...base, operation: 'list-api-keys', 'dry-run': 'yes' },
      "Input 'dry-run' is 'yes'; expected 'true' or 'false'.",
    ],
    [
      'request-timeout out of range',
      { ...base, operation: 'list-api-keys', 'request-timeout': '601' },
      "Input 'request-timeout' is '601'; expected a whole number from 1 to 600.",
    ],
    [
      'a name with a bidirectional override',
      { ...base, operation: 'create-api-key', name: 'ab\u202Ecd' },
      "Input 'name' contains an invisible or control character; expected plain text.",
    ],
    [
      'rotate-if-older-than without unit',
      { ...base, operation: 'rotate-signing-key', 'rotate-if-older-than': '30' },
      "Input 'rotate-if-older-than' is '30'; expected a whole number of days or hours such as '90d' or '36h' (at most 3650 days).",
    ],
    [
      'rotate-if-older-than in weeks',
      { ...base, operation: 'rotate-signing-key', 'rotate-if-older-than': '1w' },
      "Input 'rotate-if-older-than' is '1w'; expected a whole number of days or hours such as '90d' or '36h' (at most 3650 days).",
    ],
    [
      'rotate-if-older-than negative',
      { ...base, operation: 'rotate-signing-key', 'rotate-if-older-than': '-5d' },
      "Input 'rotate-if-older-than' is '-5d'; expected a whole number of days or hours such as '90d' or '36h' (at most 3650 days).",
    ],
    [
      'rotate-if-older-than zero',
      { ...base, operation: 'rotate-signing-key', 'rotate-if-older-than': '0d' },
      "Input 'rotate-if-older-than' is '0d'; expected a whole number of days or hours such as '90d' or '36h' (at most 3650 days).",
    ],
    [
      'rotate-if-older-than on another operation',
      { ...base, operation: 'roll-signing-key', 'rotate-if-older-than': '30d' },
      "Input 'rotate-if-older-than' does not apply to operation 'roll-signing-key', which takes 'signing-key-uid'; remove it.",
    ],
    [
      'rotate-if-older-than on rotate-api-key without its id',
      { ...base, operation: 'rotate-api-key', name: 'b', 'rotate-if-older-than': '30d', ...storing },
      "Input 'rotate-if-older-than' needs 'api-key-id' with operation 'rotate-api-key', whose age is that of the key it replaces; set 'api-key-id'.",
    ],
    [
      'rotate-api-key with neither id nor name',
      { ...base, operation: 'rotate-api-key', ...storing },
      "Input 'name' is required for operation 'rotate-api-key' when 'api-key-id' is empty; give the old key's id (its name is reused) or a name for the new key.",
    ],
    [
      'rotate-api-key without a secret',
      { ...base, operation: 'rotate-api-key', 'api-key-id': 'ws_apik_1' },
      "Input 'secret-name' is required for operation 'rotate-api-key' and was empty.",
    ],
    [
      'storage input without a name',
      { ...base, operation: 'rotate-signing-key', repositories: 'acme/app' },
      "Input 'repositories' was given without 'secret-name' or 'variable-name'; it only applies when storing a key in GitHub.",
    ],
    [
      'storing what is not returned',
      { ...base, operation: 'list-api-keys', ...storing },
      "Input 'secret-name' does not apply to operation 'list-api-keys', which returns no key to store.",
    ],
    [
      'a public key into a secret',
      { ...base, operation: 'create-public-key', name: 'web', ...storing },
      "Input 'secret-name' does not apply to operation 'create-public-key', which returns a public key, which is not secret; use 'variable-name'.",
    ],
    [
      'no github-token',
      { ...base, operation: 'rotate-signing-key', 'secret-name': 'K' },
      "Input 'github-token' is required to store into a secret; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the 'Secrets' permission (read and write).",
    ],
    [
      'a reserved secret name',
      { ...rotate, 'secret-name': 'GITHUB_KEY' },
      "Input 'secret-name' starts with 'GITHUB_', which GitHub reserves; choose another secret name.",
    ],
    [
      'an unknown secret type',
      { ...rotate, 'secret-type': 'npm' },
      "Input 'secret-type' is 'npm'; expected 'actions', 'dependabot' or 'codespaces'.",
    ],
    [
      'a variable of another secret type',
      {
        ...base,
        operation: 'rotate-public-key',
        'public-key-id': 'ws_pubk_1',
        'github-token': 't',
        'variable-name': 'PK',
        'secret-type': 'dependabot',
      },
      "Input 'variable-name' cannot be used with secret-type 'dependabot'; GitHub has variables for Actions only, so remove 'secret-type' or store into 'secret-name'.",
    ],
    [
      'environment with dependabot',
      { ...rotate, 'secret-type': 'dependabot', environment: 'production' },
      "Input 'environment' does not apply to secret-type 'dependabot', which has no environment secrets; remove it.",
    ],
    [
      'an environment entry with codespaces',
      { ...rotate, 'secret-type': 'codespaces', repositories: 'acme/app/production' },
      "Input 'repositories' has 'acme/app/production', an environment, but secret-type 'codespaces' has no environment secrets; expected 'owner/repo' entries.",
    ],
    [
      'selected repositories of another owner',
      { ...rotate, organization: 'acme', visibility: 'selected', repositories: 'evil/app' },
      "Input 'repositories' has 'evil/app', which organization 'acme' does not own; an organization secret can only be shared with its own repositories.",
    ],
    [
      'an environment name with a zero-width space',
      { ...rotate, environment: 'prod\u200Buction' },
      "Input 'environment' contains an invisible or control character; expected an environment name such as 'production'.",
    ],
    [
      'an environment entry with a control character',
      { ...rotate, repositories: 'acme/app/pro\u0007d' },
      "Input 'repositories' has 'acme/app/pro\u0007d', whose environment name contains an invisible or control character; expected 'owner/repo/environment' with an environment name such as 'production'.",
    ],
    [
      'a malformed repository',
      { ...rotate, repositories: 'acme' },
      "Input 'repositories' has 'acme'; expected 'owner/repo' or 'owner/repo/environment' entries.",
    ],
    [
      'visibility without organization',
      { ...rotate, visibility: 'all' },
      "Input 'visibility' applies only to an organization secret or variable; set 'organization' or remove it.",
    ],
    [
      'organization with environment',
      { ...rotate, organization: 'acme', environment: 'production' },
      "Inputs 'organization' and 'environment' cannot be combined; an environment belongs to a repository.",
    ],
    [
      'more destinations than GitHub allows an hour',
      { ...rotate, repositories: many },
      "Input 'repositories' lists 501 destinations, but GitHub allows 500 content-creating requests an hour; store the key once in an organization secret with visibility 'selected', or split the destinations across runs of at most 500.",
    ],
    [
      'write-concurrency out of range',
      { ...rotate, 'write-concurrency': '50' },
      "Input 'write-concurrency' is '50'; expected a whole number from 1 to 20.",
    ],
    [
      'GITHUB_API_URL in clear text',
      { ...rotate, 'github-token': 'ghs_x' },
      "GITHUB_API_URL uses http; the action sends 'github-token' only over https (or plain http to a loopback address).",
      { GITHUB_API_URL: 'http://ghes.example' },
    ],
  ])('%s', (_title, inputs, message, environment = {}) => {
    expect(errorOf(inputs, { ...env, ...environment })).toBe(message)
  })
})
