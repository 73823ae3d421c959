import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { InputError, operations, parsePlan, type Plan, type RawInputs } from '../src/inputs.ts'
import { githubToken, mockAgent, runMain, serviceToken } from './support/harness.ts'

const defaultApiUrl = 'https://management-api.suprsend.com'
const env = { GITHUB_REPOSITORY: 'acme/app' }
const base: RawInputs = { 'service-token': serviceToken, workspace: 'staging' }
const store: RawInputs = { 'github-token': githubToken }

const uid = 'signing_key_3f9c2a71b0e44d'
const pubkId = 'ws_pubk_8b1e0c55a2'
const apikId = 'ws_apik_41d7e9a0c3'

/** parsePlan's InputError message, failing the test if it does not throw one. */
function inputError(raw: RawInputs, environment: { GITHUB_REPOSITORY?: string } = env): string {
  try {
    parsePlan(raw, environment)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as InputError).message
  }
  throw new Error(`parsePlan accepted ${JSON.stringify(Object.keys(raw))}`)
}

/** The plan without its URL object, which toEqual cannot compare, plus the URL as text. */
function shape(plan: Plan): Record<string, unknown> {
  const { apiUrl, ...rest } = plan
  return { ...rest, apiUrl: apiUrl.href }
}

const common = {
  serviceToken,
  workspace: 'staging',
  apiUrl: `${defaultApiUrl}/`,
  timeoutMs: 30_000,
  dryRun: false,
}

const allOperations = operations.join(', ')

/** The defaults action.yml declares; the runner passes each as INPUT_<NAME> when a workflow gives none. */
function actionDefaults(): Record<string, string> {
  const text = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')
  const defaults: Record<string, string> = {}
  let current: string | undefined
  for (const line of text.slice(text.indexOf('\ninputs:\n'), text.indexOf('\noutputs:\n')).split('\n')) {
    const name = /^ {2}([a-z-]+):\s*$/.exec(line)
    if (name) current = name[1]
    const value = /^ {4}default:\s*(.*)$/.exec(line)
    if (value && current) defaults[current] = (value[1] as string).replace(/^'(.*)'$/, '$1')
  }
  return defaults
}

describe('parsePlan: valid minimal inputs give a typed plan for every operation', () => {
  const cases: [string, RawInputs, Record<string, unknown>][] = [
    ['list-signing-keys', {}, {}],
    ['create-signing-key', {}, {}],
    ['roll-signing-key', {}, {}],
    ['rotate-signing-key', {}, {}],
    ['delete-signing-key', { 'signing-key-uid': uid }, { signingKeyUid: uid }],
    ['list-public-keys', {}, {}],
    ['create-public-key', { name: 'web-app' }, { name: 'web-app' }],
    ['rotate-public-key', { 'public-key-id': pubkId }, { publicKeyId: pubkId }],
    ['enable-secure-mode', { 'public-key-id': pubkId }, { publicKeyId: pubkId }],
    ['disable-secure-mode', { 'public-key-id': pubkId }, { publicKeyId: pubkId }],
    ['delete-public-key', { 'public-key-id': pubkId }, { publicKeyId: pubkId }],
    ['list-api-keys', {}, {}],
    ['create-api-key', { name: 'backend-prod' }, { name: 'backend-prod' }],
    ['delete-api-key', { 'api-key-id': apikId }, { apiKeyId: apikId }],
  ]

  it('covers every operation except rotate-api-key, which needs storage and has its own tests', () => {
    expect(cases.map(([op]) => op).sort()).toEqual(operations.filter((op) => op !== 'rotate-api-key').sort())
  })

  it.each(cases)('%s', (operation, extra, fields) => {
    const plan = parsePlan({ ...base, operation, ...extra }, env)
    expect(shape(plan)).toEqual({ ...common, operation, ...fields })
    expect(plan).not.toHaveProperty('store')
  })

  it('roll-signing-key takes an optional uid', () => {
    const plan = parsePlan({ ...base, operation: 'roll-signing-key', 'signing-key-uid': uid }, env)
    expect(shape(plan)).toEqual({ ...common, operation: 'roll-signing-key', signingKeyUid: uid })
  })

  it('create-public-key and create-api-key carry an optional description', () => {
    for (const operation of ['create-public-key', 'create-api-key']) {
      const plan = parsePlan({ ...base, operation, name: 'web', description: 'Web app, EU' }, env)
      expect(shape(plan)).toEqual({ ...common, operation, name: 'web', description: 'Web app, EU' })
    }
  })

  it('rotate-api-key with the old id needs no name; with a name it needs no id', () => {
    const storage = { 'secret-name': 'SUPRSEND_API_KEY', ...store }
    const withId = parsePlan({ ...base, operation: 'rotate-api-key', 'api-key-id': apikId, ...storage }, env)
    expect(withId.operation).toBe('rotate-api-key')
    expect(withId).toMatchObject({ apiKeyId: apikId })
    expect(withId).not.toHaveProperty('name')
    const withName = parsePlan({ ...base, operation: 'rotate-api-key', name: 'backend', ...storage }, env)
    expect(withName).toMatchObject({ operation: 'rotate-api-key', name: 'backend' })
    expect(withName).not.toHaveProperty('apiKeyId')
    expect(withName.store).toEqual({
      type: 'secret',
      name: 'SUPRSEND_API_KEY',
      format: 'pem',
      githubToken,
      githubApiUrl: new URL('https://api.github.com'),
      destinations: [{ kind: 'repository', owner: 'acme', repo: 'app' }],
      writeConcurrency: 10,
    })
  })

  it('the plan is discriminated by operation, so the key fields are typed', () => {
    const plan = parsePlan({ ...base, operation: 'delete-signing-key', 'signing-key-uid': uid }, env)
    if (plan.operation !== 'delete-signing-key') throw new Error(`unexpected operation ${plan.operation}`)
    // Compiles only because the union narrows to a required string.
    const value: string = plan.signingKeyUid
    expect(value).toBe(uid)
  })

  it('reads api-url, request-timeout and dry-run', () => {
    const plan = parsePlan(
      {
        ...base,
        operation: 'list-api-keys',
        'api-url': 'http://127.0.0.1:8080',
        'request-timeout': '600',
        'dry-run': 'TRUE',
      },
      env,
    )
    expect(shape(plan)).toEqual({
      ...common,
      operation: 'list-api-keys',
      apiUrl: 'http://127.0.0.1:8080/',
      timeoutMs: 600_000,
      dryRun: true,
    })
    expect(parsePlan({ ...base, operation: 'list-api-keys', 'dry-run': 'False' }, env).dryRun).toBe(false)
    expect(parsePlan({ ...base, operation: 'list-api-keys', 'request-timeout': '1' }, env).timeoutMs).toBe(1000)
  })
})

describe('parsePlan: the defaults in action.yml, which the runner always passes, are accepted', () => {
  // The runner sets INPUT_<NAME> for every declared input, using its default when the workflow
  // gives none, so every default must be a value that parsePlan treats as "not given".
  const defaults: RawInputs = actionDefaults()

  it('finds the defaults of the optional inputs', () => {
    expect(defaults).toMatchObject({ 'api-url': defaultApiUrl, 'request-timeout': '30', 'dry-run': 'false' })
    expect(Object.keys(defaults).length).toBeGreaterThanOrEqual(15)
  })

  const minimal: Record<string, RawInputs> = {
    'delete-signing-key': { 'signing-key-uid': uid },
    'create-public-key': { name: 'web' },
    'rotate-public-key': { 'public-key-id': pubkId },
    'enable-secure-mode': { 'public-key-id': pubkId },
    'disable-secure-mode': { 'public-key-id': pubkId },
    'delete-public-key': { 'public-key-id': pubkId },
    'create-api-key': { name: 'backend' },
    'delete-api-key': { 'api-key-id': apikId },
    'rotate-api-key': { 'api-key-id': apikId, 'secret-name': 'K', ...store },
  }

  it.each(operations)('%s', (operation) => {
    const raw = { ...base, operation, ...minimal[operation] }
    expect(shape(parsePlan({ ...defaults, ...raw }, env))).toEqual(shape(parsePlan(raw, env)))
  })

  it('with storage in a repository secret, an environment and an organization', () => {
    for (const where of [{}, { environment: 'production' }, { organization: 'acme' }]) {
      const raw = { ...base, operation: 'rotate-signing-key', 'secret-name': 'K', ...store, ...where }
      const plan = parsePlan({ ...defaults, ...raw }, env)
      expect(shape(plan)).toEqual(shape(parsePlan(raw, env)))
      expect(plan.store?.format).toBe('pem')
      expect(plan.store?.writeConcurrency).toBe(10)
    }
  })
})

describe('parsePlan: missing required inputs', () => {
  it.each(['service-token', 'workspace', 'operation'] as const)('%s', (input) => {
    const raw: RawInputs = { ...base, operation: 'list-signing-keys' }
    delete raw[input]
    expect(inputError(raw)).toBe(`Input '${input}' is required and was empty.`)
    expect(inputError({ ...raw, [input]: '' })).toBe(`Input '${input}' is required and was empty.`)
  })

  it.each([
    ['delete-signing-key', 'signing-key-uid'],
    ['rotate-public-key', 'public-key-id'],
    ['enable-secure-mode', 'public-key-id'],
    ['disable-secure-mode', 'public-key-id'],
    ['delete-public-key', 'public-key-id'],
    ['delete-api-key', 'api-key-id'],
    ['create-public-key', 'name'],
    ['create-api-key', 'name'],
    ['rotate-api-key', 'secret-name'],
  ])('%s needs %s', (operation, input) => {
    expect(inputError({ ...base, operation })).toBe(
      `Input '${input}' is required for operation '${operation}' and was empty.`,
    )
  })

  it('rotate-api-key needs a name when no api-key-id is given', () => {
    expect(inputError({ ...base, operation: 'rotate-api-key', 'secret-name': 'K', ...store })).toBe(
      "Input 'name' is required for operation 'rotate-api-key' when 'api-key-id' is empty; give the old key's id (its name is reused) or a name for the new key.",
    )
  })
})

describe('parsePlan: unknown operation', () => {
  it('names the misspelt operation and lists every valid one', () => {
    const message = inputError({ ...base, operation: 'rotate-signing-keys' })
    expect(message).toBe(`Input 'operation' is 'rotate-signing-keys'; expected one of: ${allOperations}.`)
    for (const op of operations) expect(message).toContain(op)
    expect(operations).toHaveLength(15)
  })

  it('operation names are exact: no other case', () => {
    expect(inputError({ ...base, operation: 'List-Signing-Keys' })).toBe(
      `Input 'operation' is 'List-Signing-Keys'; expected one of: ${allOperations}.`,
    )
  })

  it('does not echo a value that is not shaped like an operation name (it may be a pasted secret)', () => {
    const message = inputError({ ...base, operation: serviceToken })
    expect(message).toBe(`Input 'operation' is not an operation name; expected one of: ${allOperations}.`)
    expect(message).not.toContain(serviceToken)
  })
})

describe('parsePlan: ids of the wrong kind', () => {
  const uidExpected =
    "expected a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id)."

  it("a 'ws_signk_' id given as signing-key-uid says it is the id, not the uid", () => {
    for (const operation of ['delete-signing-key', 'roll-signing-key']) {
      expect(inputError({ ...base, operation, 'signing-key-uid': 'ws_signk_5e2a9c' })).toBe(
        `Input 'signing-key-uid' got a signing key id ('ws_signk_...'), not its uid; ${uidExpected}`,
      )
    }
  })

  it("an 'SS.PUBK' value given as public-key-id says it is the key's value, not its id", () => {
    expect(inputError({ ...base, operation: 'rotate-public-key', 'public-key-id': 'SS.PUBK.q1w2e3r4t5-y6_u7' })).toBe(
      "Input 'public-key-id' got a public key's value ('SS.PUBK...'), not its id; expected a public key id starting with 'ws_pubk_'.",
    )
  })

  it('other known kinds in the wrong input are named', () => {
    expect(inputError({ ...base, operation: 'delete-public-key', 'public-key-id': uid })).toBe(
      "Input 'public-key-id' got a signing key uid ('signing_key_...'); expected a public key id starting with 'ws_pubk_'.",
    )
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': pubkId })).toBe(
      "Input 'api-key-id' got a public key id ('ws_pubk_...'); expected an API key id starting with 'ws_apik_'.",
    )
    expect(inputError({ ...base, operation: 'delete-signing-key', 'signing-key-uid': apikId })).toBe(
      `Input 'signing-key-uid' got an API key id ('ws_apik_...'); ${uidExpected}`,
    )
  })

  it('an unrecognised value is not echoed back, since it might be a pasted secret', () => {
    const pasted = 'a8F3kq0ZpL2mX7vN4tR9wY1c'
    for (const [operation, input, prefix] of [
      ['delete-api-key', 'api-key-id', 'ws_apik_'],
      ['enable-secure-mode', 'public-key-id', 'ws_pubk_'],
      ['delete-signing-key', 'signing-key-uid', 'signing_key_'],
    ] as const) {
      const message = inputError({ ...base, operation, [input]: pasted })
      expect(message).toMatch(new RegExp(`^Input '${input}' does not start with '${prefix}'; expected `))
      expect(message).not.toContain(pasted)
    }
  })

  it('a bare prefix or characters outside ids are not well-formed', () => {
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': 'ws_apik_' })).toBe(
      "Input 'api-key-id' is not a well-formed id; expected an API key id starting with 'ws_apik_'.",
    )
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': 'ws_apik_%2e%2e' })).toBe(
      "Input 'api-key-id' is not a well-formed id; expected an API key id starting with 'ws_apik_'.",
    )
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': `ws_apik_${'a'.repeat(200)}` })).toBe(
      "Input 'api-key-id' is not a well-formed id; expected an API key id starting with 'ws_apik_'.",
    )
  })
})

describe('parsePlan: path tricks in workspace and ids', () => {
  const slug = "expected a slug such as 'staging' (letters, digits, '-', '_' or '.')."
  it.each([
    ['acme/staging', "'/'"],
    ['..', "'..'"],
    ['stag..ing', "'..'"],
    ['stag ing', 'whitespace'],
    [' staging', 'whitespace'],
    ['stag\ning', 'a control character'],
    ['stag\u0000ing', 'a control character'],
    ['stag\u007fing', 'a control character'],
    ['stag\\ing', "'\\'"],
  ])('workspace %j contains %s', (workspace, what) => {
    expect(inputError({ ...base, workspace, operation: 'list-api-keys' })).toBe(
      `Input 'workspace' contains ${what}; ${slug}`,
    )
  })

  it.each(['-staging', '.hidden', '%2e%2e', 'st@ging', 'a'.repeat(101)])('workspace %j is not a slug', (workspace) => {
    expect(inputError({ ...base, workspace, operation: 'list-api-keys' })).toBe(
      `Input 'workspace' is not a workspace slug; ${slug}`,
    )
  })

  it('accepts slugs with letters, digits, -, _ and .', () => {
    expect(parsePlan({ ...base, workspace: 'Prod-2_eu.v1', operation: 'list-api-keys' }, env).workspace).toBe(
      'Prod-2_eu.v1',
    )
  })

  it.each([
    ['signing_key_abc/../x', "'/'"],
    ['signing_key_abc/x', "'/'"],
    ['signing_key_..', "'..'"],
    ['signing_key_a b', 'whitespace'],
    ['signing_key_ab\t', 'a control character'],
    ['signing_key_ab\r', 'a control character'],
    ['signing_key_a\\b', "'\\'"],
  ])('signing-key-uid %j contains %s', (value, what) => {
    expect(inputError({ ...base, operation: 'delete-signing-key', 'signing-key-uid': value })).toBe(
      `Input 'signing-key-uid' contains ${what}; expected a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id).`,
    )
  })

  it('public-key-id and api-key-id get the same checks', () => {
    expect(inputError({ ...base, operation: 'delete-public-key', 'public-key-id': 'ws_pubk_../../x' })).toBe(
      "Input 'public-key-id' contains '/'; expected a public key id starting with 'ws_pubk_'.",
    )
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': 'ws_apik_\u0000' })).toBe(
      "Input 'api-key-id' contains a control character; expected an API key id starting with 'ws_apik_'.",
    )
    expect(inputError({ ...base, operation: 'delete-api-key', 'api-key-id': 'ws_apik_a\\..' })).toBe(
      "Input 'api-key-id' contains '\\'; expected an API key id starting with 'ws_apik_'.",
    )
  })
})

describe('parsePlan: api-url', () => {
  const apiUrl = (value: string) =>
    parsePlan({ ...base, operation: 'list-api-keys', 'api-url': value }, env).apiUrl.href

  it('accepts https anywhere and plain http only on loopback', () => {
    expect(apiUrl('https://management-api.eu.example')).toBe('https://management-api.eu.example/')
    expect(apiUrl('https://proxy.example/suprsend')).toBe('https://proxy.example/suprsend')
    expect(apiUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/')
    expect(apiUrl('http://127.0.0.2')).toBe('http://127.0.0.2/')
    expect(apiUrl('http://localhost')).toBe('http://localhost/')
    expect(apiUrl('http://LOCALHOST:3000')).toBe('http://localhost:3000/')
    expect(apiUrl('http://[::1]')).toBe('http://[::1]/')
    expect(apiUrl('http://[::1]:9000')).toBe('http://[::1]:9000/')
  })

  it.each([
    ['http://example.com', 'http'],
    ['http://management-api.suprsend.com', 'http'],
    ['http://localhost.example.com', 'http'],
    ['http://127.0.0.1.nip.io', 'http'],
    ['http://10.0.0.1', 'http'],
    ['http://[::2]', 'http'],
    ['ftp://127.0.0.1', 'ftp'],
    ['file:///etc/passwd', 'file'],
  ])('rejects %s', (value, scheme) => {
    expect(inputError({ ...base, operation: 'list-api-keys', 'api-url': value })).toBe(
      `Input 'api-url' uses ${scheme}; expected https (plain http is accepted only for a loopback address such as 127.0.0.1).`,
    )
  })

  it.each([
    'https://user:hunter2@management-api.suprsend.com',
    'https://user@management-api.suprsend.com',
    'http://me:pw@127.0.0.1:8080',
    'https://management-api.suprsend.com/?token=abc',
    'https://management-api.suprsend.com/#frag',
    'http://127.0.0.1:8080//127.0.0.2:9090/',
  ])('rejects credentials, a query, a fragment or an empty path segment: %s', (value) => {
    const message = inputError({ ...base, operation: 'list-api-keys', 'api-url': value })
    expect(message).toBe(
      `Input 'api-url' carries credentials, a query, a fragment or an empty path segment; expected a plain base URL such as '${defaultApiUrl}'.`,
    )
    expect(message).not.toContain('hunter2')
  })

  it.each(['not a url', 'management-api.suprsend.com', 'https://', '://x'])('rejects garbage %j', (value) => {
    expect(inputError({ ...base, operation: 'list-api-keys', 'api-url': value })).toBe(
      `Input 'api-url' is not a valid URL; expected an https URL such as '${defaultApiUrl}'.`,
    )
  })
})

describe('parsePlan: inputs that do not apply to the operation', () => {
  it.each([
    ['list-signing-keys', 'public-key-id', pubkId, 'no key inputs'],
    ['create-signing-key', 'signing-key-uid', uid, 'no key inputs'],
    ['rotate-signing-key', 'name', 'x', 'no key inputs'],
    ['roll-signing-key', 'api-key-id', apikId, "'signing-key-uid'"],
    ['delete-public-key', 'name', 'x', "'public-key-id'"],
    ['enable-secure-mode', 'description', 'x', "'public-key-id'"],
    ['create-api-key', 'api-key-id', apikId, "'name', 'description'"],
    ['create-public-key', 'public-key-id', pubkId, "'name', 'description'"],
    ['delete-api-key', 'signing-key-uid', uid, "'api-key-id'"],
    ['rotate-api-key', 'public-key-id', pubkId, "'api-key-id', 'name', 'description'"],
  ])('%s with %s', (operation, input, value, takes) => {
    const required: Record<string, RawInputs> = {
      'roll-signing-key': {},
      'delete-public-key': { 'public-key-id': pubkId },
      'enable-secure-mode': { 'public-key-id': pubkId },
      'create-api-key': { name: 'n' },
      'create-public-key': { name: 'n' },
      'delete-api-key': { 'api-key-id': apikId },
      'rotate-api-key': { 'secret-name': 'K', name: 'n', ...store },
    }
    expect(inputError({ ...base, operation, ...required[operation], [input]: value })).toBe(
      `Input '${input}' does not apply to operation '${operation}', which takes ${takes}; remove it.`,
    )
  })
})

describe('parsePlan: dry-run, request-timeout and write-concurrency', () => {
  it.each(['yes', '1', 'on', 'truee'])('dry-run %j', (value) => {
    expect(inputError({ ...base, operation: 'list-api-keys', 'dry-run': value })).toBe(
      `Input 'dry-run' is '${value}'; expected 'true' or 'false'.`,
    )
  })

  it.each(['0', '601', '1.5', '-1', 'abc', '1e3', ' 5'])('request-timeout %j', (value) => {
    expect(inputError({ ...base, operation: 'list-api-keys', 'request-timeout': value })).toBe(
      `Input 'request-timeout' is '${value}'; expected a whole number from 1 to 600.`,
    )
  })

  it.each(['0', '21', 'many', '2.5'])('write-concurrency %j', (value) => {
    const raw = { ...base, operation: 'create-signing-key', 'secret-name': 'K', ...store, 'write-concurrency': value }
    expect(inputError(raw)).toBe(`Input 'write-concurrency' is '${value}'; expected a whole number from 1 to 20.`)
  })

  it('write-concurrency from 1 to 20 is accepted', () => {
    for (const n of [1, 20]) {
      const raw = {
        ...base,
        operation: 'create-signing-key',
        'secret-name': 'K',
        ...store,
        'write-concurrency': `${n}`,
      }
      expect(parsePlan(raw, env).store?.writeConcurrency).toBe(n)
    }
  })
})

describe('parsePlan: GitHub storage (issue 3)', () => {
  const signing = { ...base, operation: 'rotate-signing-key' }
  const secret = { ...signing, 'secret-name': 'SUPRSEND_SIGNING_KEY', ...store }

  it('a full signing-key storage plan', () => {
    const plan = parsePlan(
      {
        ...signing,
        'secret-name': 'suprsend_signing_key',
        'secret-format': 'base64',
        ...store,
        repositories: 'acme/app, acme/web',
        environment: 'production',
        'write-concurrency': '5',
      },
      env,
    )
    expect(plan.store).toEqual({
      type: 'secret',
      name: 'SUPRSEND_SIGNING_KEY',
      format: 'base64',
      githubToken,
      githubApiUrl: new URL('https://api.github.com'),
      destinations: [
        { kind: 'environment', owner: 'acme', repo: 'app', environment: 'production' },
        { kind: 'environment', owner: 'acme', repo: 'web', environment: 'production' },
      ],
      writeConcurrency: 5,
    })
  })

  it('sends the GitHub token to GITHUB_API_URL only over https, or http to loopback', () => {
    const storing = { ...signing, 'secret-name': 'k', ...store }
    const ghes = parsePlan(storing, { ...env, GITHUB_API_URL: 'https://ghe.example.com/api/v3' })
    expect(ghes.store?.githubApiUrl.href).toBe('https://ghe.example.com/api/v3')
    expect(parsePlan(storing, { ...env, GITHUB_API_URL: 'http://127.0.0.1:8080' }).store?.githubApiUrl.host).toBe(
      '127.0.0.1:8080',
    )
    expect(() => parsePlan(storing, { ...env, GITHUB_API_URL: 'http://ghe.example.com/api/v3' })).toThrow(
      "GITHUB_API_URL uses http; the action sends 'github-token' only over https (or plain http to a loopback address).",
    )
    expect(() => parsePlan(storing, { ...env, GITHUB_API_URL: 'not a url' })).toThrow(
      "GITHUB_API_URL is not a valid URL; expected the runner's API URL, such as 'https://api.github.com'.",
    )
    // Without storage, GITHUB_API_URL is never used and never checked.
    expect(parsePlan(signing, { ...env, GITHUB_API_URL: 'http://ghe.example.com' }).store).toBeUndefined()
  })

  it('a public key goes to a variable; an API key to a secret', () => {
    const pub = parsePlan(
      {
        ...base,
        operation: 'rotate-public-key',
        'public-key-id': pubkId,
        'variable-name': 'suprsend_public_key',
        ...store,
      },
      env,
    )
    expect(pub.store).toMatchObject({ type: 'variable', name: 'SUPRSEND_PUBLIC_KEY' })
    const api = parsePlan({ ...base, operation: 'create-api-key', name: 'n', 'secret-name': 'api_key', ...store }, env)
    expect(api.store).toMatchObject({ type: 'secret', name: 'API_KEY' })
  })

  it.each([
    ['list-signing-keys', 'secret-name', {}],
    ['delete-signing-key', 'secret-name', { 'signing-key-uid': uid }],
    ['list-public-keys', 'variable-name', {}],
    ['enable-secure-mode', 'variable-name', { 'public-key-id': pubkId }],
    ['disable-secure-mode', 'secret-name', { 'public-key-id': pubkId }],
    ['delete-public-key', 'variable-name', { 'public-key-id': pubkId }],
    ['list-api-keys', 'secret-name', {}],
    ['delete-api-key', 'secret-name', { 'api-key-id': apikId }],
  ])('%s stores nothing, so %s does not apply', (operation, input, extra) => {
    expect(inputError({ ...base, operation, ...extra, [input]: 'K', ...store })).toBe(
      `Input '${input}' does not apply to operation '${operation}', which returns no key to store.`,
    )
  })

  it('both storage names on an operation that stores nothing say that storage does not apply', () => {
    expect(
      inputError({ ...base, operation: 'list-api-keys', 'secret-name': 'A', 'variable-name': 'B', ...store }),
    ).toBe("Input 'secret-name' does not apply to operation 'list-api-keys', which returns no key to store.")
  })

  it.each(['create-signing-key', 'roll-signing-key', 'rotate-signing-key'])(
    'variable-name on %s: a private key is secret',
    (operation) => {
      expect(inputError({ ...base, operation, 'variable-name': 'K', ...store })).toBe(
        `Input 'variable-name' does not apply to operation '${operation}', which returns a secret; use 'secret-name'.`,
      )
    },
  )

  it('variable-name on create-api-key: an API key is secret', () => {
    expect(inputError({ ...base, operation: 'create-api-key', name: 'n', 'variable-name': 'K', ...store })).toBe(
      "Input 'variable-name' does not apply to operation 'create-api-key', which returns a secret; use 'secret-name'.",
    )
  })

  it('secret-name on a public-key operation: the value is not secret', () => {
    expect(inputError({ ...base, operation: 'create-public-key', name: 'web', 'secret-name': 'K', ...store })).toBe(
      "Input 'secret-name' does not apply to operation 'create-public-key', which returns a public key, which is not secret; use 'variable-name'.",
    )
  })

  it('both secret-name and variable-name', () => {
    expect(inputError({ ...secret, 'variable-name': 'V' })).toBe(
      "Inputs 'secret-name' and 'variable-name' were both given; operation 'rotate-signing-key' stores into 'secret-name' only.",
    )
    expect(
      inputError({
        ...base,
        operation: 'rotate-public-key',
        'public-key-id': pubkId,
        'secret-name': 'S',
        'variable-name': 'V',
        ...store,
      }),
    ).toBe(
      "Inputs 'secret-name' and 'variable-name' were both given; operation 'rotate-public-key' stores into 'variable-name' only.",
    )
  })

  it.each([
    ['github-token', githubToken],
    ['repositories', 'acme/app'],
    ['environment', 'production'],
    ['organization', 'acme'],
    ['visibility', 'all'],
    ['write-concurrency', '3'],
    ['secret-format', 'base64'],
  ])('%s without secret-name or variable-name', (input, value) => {
    expect(inputError({ ...signing, [input]: value })).toBe(
      `Input '${input}' was given without 'secret-name' or 'variable-name'; it only applies when storing a key in GitHub.`,
    )
  })

  it('github-token is required, with the permission it needs', () => {
    expect(inputError({ ...signing, 'secret-name': 'K' })).toBe(
      "Input 'github-token' is required to store into a secret; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the 'Secrets' permission (read and write).",
    )
    expect(inputError({ ...base, operation: 'create-public-key', name: 'web', 'variable-name': 'K' })).toBe(
      "Input 'github-token' is required to store into a variable; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the 'Variables' permission (read and write).",
    )
  })

  it('visibility without organization', () => {
    for (const visibility of ['all', 'private', 'selected']) {
      expect(inputError({ ...secret, visibility })).toBe(
        "Input 'visibility' applies only to an organization secret or variable; set 'organization' or remove it.",
      )
    }
  })

  it('organization with environment', () => {
    expect(inputError({ ...secret, organization: 'acme', environment: 'production' })).toBe(
      "Inputs 'organization' and 'environment' cannot be combined; an environment belongs to a repository.",
    )
  })

  it('organization destinations with each visibility', () => {
    expect(parsePlan({ ...secret, organization: 'acme' }, env).store?.destinations).toEqual([
      { kind: 'organization', org: 'acme', visibility: 'private', selectedRepositories: [] },
    ])
    expect(parsePlan({ ...secret, organization: 'acme', visibility: 'all' }, env).store?.destinations).toEqual([
      { kind: 'organization', org: 'acme', visibility: 'all', selectedRepositories: [] },
    ])
    const selected = {
      ...secret,
      organization: 'acme',
      visibility: 'selected',
      repositories: 'acme/app\nacme/web,ACME/APP',
    }
    expect(parsePlan(selected, env).store?.destinations).toEqual([
      { kind: 'organization', org: 'acme', visibility: 'selected', selectedRepositories: ['acme/app', 'acme/web'] },
    ])
  })

  it("repositories with an organization whose visibility is not 'selected'", () => {
    expect(inputError({ ...secret, organization: 'acme', repositories: 'acme/app' })).toBe(
      "Input 'repositories' applies to an organization secret only with visibility 'selected' (it is 'private').",
    )
    const variable = {
      ...base,
      operation: 'create-public-key',
      name: 'web',
      'variable-name': 'V',
      ...store,
      organization: 'acme',
      visibility: 'all',
      repositories: 'acme/app',
    }
    expect(inputError(variable)).toBe(
      "Input 'repositories' applies to an organization variable only with visibility 'selected' (it is 'all').",
    )
  })

  it("'selected' without repositories", () => {
    for (const repositories of [undefined, ' , \n ']) {
      const raw = { ...secret, organization: 'acme', visibility: 'selected', ...(repositories ? { repositories } : {}) }
      expect(inputError(raw)).toBe(
        "Input 'repositories' is required with visibility 'selected'; list the repositories that get access.",
      )
    }
  })

  it('bad visibility and organization values', () => {
    expect(inputError({ ...secret, organization: 'acme', visibility: 'public' })).toBe(
      "Input 'visibility' is 'public'; expected 'all', 'private' or 'selected'.",
    )
    for (const organization of ['acme/app', '-acme', 'ac me', 'a'.repeat(40), 'acme_corp']) {
      expect(inputError({ ...secret, organization })).toBe(
        "Input 'organization' is not a GitHub organization name; expected letters, digits and '-'.",
      )
    }
  })

  it.each([
    ['acme', ''],
    ['/app', ''],
    ['acme/', ''],
    ['-acme/app', ''],
    ['acme/..', ", which contains '..'"],
    ['acme/.', ''],
    ['ac me/app', ', which contains whitespace'],
    ['acme\\app', ", which contains '\\'"],
    ['acme/app\u0007', ', which contains a control character'],
    ['acme/a%2fb', ''],
    // With an environment, the repository part is checked the same way and the whole entry is quoted.
    ['acme//production', ''],
    ['ac me/app/production', ', which contains whitespace'],
    ['acme/../production', ", which contains '..'"],
  ])('bad repositories entry %j', (entry, why) => {
    expect(inputError({ ...secret, repositories: `acme/ok, ${entry}` })).toBe(
      `Input 'repositories' has '${entry}'${why}; expected 'owner/repo' or 'owner/repo/environment' entries.`,
    )
  })

  it.each([
    ['acme/app/', 'is empty'],
    ['acme/app/prod\u0000', 'contains a control character'],
    ['acme/app/prod\tx', 'contains a control character'],
    ['acme/app/ production', 'has surrounding whitespace'],
    [`acme/app/${'e'.repeat(256)}`, 'is 256 characters long (at most 255)'],
  ])('bad environment in repositories entry %j', (entry, why) => {
    expect(inputError({ ...secret, repositories: `acme/ok\n${entry}` })).toBe(
      `Input 'repositories' has '${entry.slice(0, 100)}', whose environment name ${why}; expected 'owner/repo/environment' with an environment name such as 'production'.`,
    )
  })

  it('a repositories value with no entries', () => {
    expect(inputError({ ...secret, repositories: ' ,\n, ' })).toBe(
      "Input 'repositories' lists no repository; expected 'owner/repo' or 'owner/repo/environment' entries separated by commas or newlines.",
    )
  })

  it('the default destination is GITHUB_REPOSITORY', () => {
    expect(parsePlan(secret, { GITHUB_REPOSITORY: 'octo-org/octo_repo.js' }).store?.destinations).toEqual([
      { kind: 'repository', owner: 'octo-org', repo: 'octo_repo.js' },
    ])
    expect(inputError(secret, {})).toBe(
      "Input 'repositories' is empty and GITHUB_REPOSITORY is not set; expected 'owner/repo' entries.",
    )
    expect(inputError(secret, { GITHUB_REPOSITORY: 'not-a-repo' })).toBe(
      "GITHUB_REPOSITORY has 'not-a-repo'; expected repositories as 'owner/repo'.",
    )
  })

  it('repositories are split on commas and newlines, trimmed and deduplicated case-insensitively', () => {
    const plan = parsePlan({ ...secret, repositories: 'acme/app,acme/web\r\n  Acme/App \n\nacme/api,' }, {})
    expect(plan.store?.destinations).toEqual([
      { kind: 'repository', owner: 'acme', repo: 'app' },
      { kind: 'repository', owner: 'acme', repo: 'web' },
      { kind: 'repository', owner: 'acme', repo: 'api' },
    ])
  })

  it('repository and environment entries can be mixed; everything after the second / is the environment', () => {
    const plan = parsePlan(
      {
        ...secret,
        repositories: 'acme/app\nacme/worker, acme/app/production\nacme/app/Production EU (blue)\nacme/web/prod/eu',
      },
      {},
    )
    expect(plan.store?.destinations).toEqual([
      { kind: 'repository', owner: 'acme', repo: 'app' },
      { kind: 'repository', owner: 'acme', repo: 'worker' },
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'production' },
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'Production EU (blue)' },
      { kind: 'environment', owner: 'acme', repo: 'web', environment: 'prod/eu' },
    ])
    const variable = {
      ...base,
      operation: 'create-public-key',
      name: 'web',
      'variable-name': 'V',
      ...store,
      repositories: 'acme/app/staging, acme/web',
    }
    expect(parsePlan(variable, env).store?.destinations).toEqual([
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'staging' },
      { kind: 'repository', owner: 'acme', repo: 'web' },
    ])
  })

  it('mixed entries are deduplicated case-insensitively on the full target, keeping the first spelling', () => {
    const plan = parsePlan(
      {
        ...secret,
        repositories: 'acme/app/production, ACME/App/PRODUCTION\nacme/app\nAcme/App, acme/app/staging',
      },
      {},
    )
    expect(plan.store?.destinations).toEqual([
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'production' },
      { kind: 'repository', owner: 'acme', repo: 'app' },
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'staging' },
    ])
    expect(parsePlan({ ...secret, repositories: `acme/app/${'e'.repeat(255)}` }, {}).store?.destinations).toHaveLength(
      1,
    )
  })

  it("'environment' cannot be combined with an 'owner/repo/environment' entry", () => {
    for (const [repositories, named] of [
      ['acme/app/production', 'acme/app/production'],
      ['acme/web, acme/app/production', 'acme/app/production'],
      ['acme/app/staging\nacme/web', 'acme/app/staging'],
    ]) {
      expect(inputError({ ...secret, repositories, environment: 'production' })).toBe(
        `Inputs 'environment' and 'repositories' cannot be combined when an entry names its own environment ('${named}'); write every entry as 'owner/repo/environment', or use 'environment' with plain 'owner/repo' entries.`,
      )
    }
    // With plain entries, 'environment' still applies to each of them.
    expect(
      parsePlan({ ...secret, repositories: 'acme/app, acme/web', environment: 'production' }, env).store?.destinations,
    ).toEqual([
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'production' },
      { kind: 'environment', owner: 'acme', repo: 'web', environment: 'production' },
    ])
  })

  it("an organization with visibility 'selected' takes plain 'owner/repo' entries only", () => {
    expect(
      inputError({
        ...secret,
        organization: 'acme',
        visibility: 'selected',
        repositories: 'acme/app, acme/worker/production',
      }),
    ).toBe(
      "Input 'repositories' has 'acme/worker/production', an environment; with an organization secret of visibility 'selected' it lists the repositories that get access, as 'owner/repo'.",
    )
    const variable = {
      ...base,
      operation: 'create-public-key',
      name: 'web',
      'variable-name': 'V',
      ...store,
      organization: 'acme',
      visibility: 'selected',
      repositories: 'acme/app/staging',
    }
    expect(inputError(variable)).toBe(
      "Input 'repositories' has 'acme/app/staging', an environment; with an organization variable of visibility 'selected' it lists the repositories that get access, as 'owner/repo'.",
    )
  })

  it.each([
    ['1KEY', "is not a valid GitHub secret name; expected letters, digits and '_', not starting with a digit."],
    ['MY-KEY', "is not a valid GitHub secret name; expected letters, digits and '_', not starting with a digit."],
    ['MY KEY', "is not a valid GitHub secret name; expected letters, digits and '_', not starting with a digit."],
    ['MY.KEY', "is not a valid GitHub secret name; expected letters, digits and '_', not starting with a digit."],
    ['KÉY', "is not a valid GitHub secret name; expected letters, digits and '_', not starting with a digit."],
    ['GITHUB_KEY', "starts with 'GITHUB_', which GitHub reserves; choose another secret name."],
    ['github_key', "starts with 'GITHUB_', which GitHub reserves; choose another secret name."],
  ])('secret-name %j', (name, why) => {
    expect(inputError({ ...secret, 'secret-name': name })).toBe(`Input 'secret-name' ${why}`)
  })

  it('variable names follow the same rules', () => {
    const raw = { ...base, operation: 'create-public-key', name: 'web', ...store }
    expect(inputError({ ...raw, 'variable-name': '9LIVES' })).toBe(
      "Input 'variable-name' is not a valid GitHub variable name; expected letters, digits and '_', not starting with a digit.",
    )
    expect(inputError({ ...raw, 'variable-name': 'Github_Pub' })).toBe(
      "Input 'variable-name' starts with 'GITHUB_', which GitHub reserves; choose another variable name.",
    )
  })

  it('secret names are upper-cased; underscores and digits after the first character are fine', () => {
    expect(parsePlan({ ...secret, 'secret-name': 'suprsend_Key_2' }, env).store?.name).toBe('SUPRSEND_KEY_2')
    expect(parsePlan({ ...secret, 'secret-name': '_private' }, env).store?.name).toBe('_PRIVATE')
    expect(parsePlan({ ...secret, 'secret-name': 'GITHUBKEY' }, env).store?.name).toBe('GITHUBKEY')
  })

  it('environment names with spaces are accepted; control characters and surrounding whitespace are not', () => {
    expect(parsePlan({ ...secret, environment: 'Production EU (blue)' }, env).store?.destinations).toEqual([
      { kind: 'environment', owner: 'acme', repo: 'app', environment: 'Production EU (blue)' },
    ])
    const rejected = (problem: string) =>
      `Input 'environment' ${problem}; expected an environment name such as 'production'.`
    for (const environment of ['prod\nx', 'prod\u0000', '\tprod']) {
      expect(inputError({ ...secret, environment })).toBe(rejected('contains a control character'))
    }
    for (const environment of [' prod', 'prod ']) {
      expect(inputError({ ...secret, environment })).toBe(rejected('has surrounding whitespace'))
    }
    expect(inputError({ ...secret, environment: 'e'.repeat(256) })).toBe(
      rejected('is 256 characters long (at most 255)'),
    )
    expect(inputError({ ...secret, environment: '..' })).toBe(rejected("is '..', which a URL path would swallow"))
    expect(inputError({ ...secret, repositories: 'acme/app/.' })).toContain("whose environment name is '.'")
    expect(parsePlan({ ...secret, environment: 'e'.repeat(255) }, env).store?.destinations).toHaveLength(1)
  })

  it('secret-format applies only to signing keys', () => {
    expect(parsePlan({ ...secret, 'secret-format': 'pem' }, env).store?.format).toBe('pem')
    expect(parsePlan({ ...secret, 'secret-format': 'base64' }, env).store?.format).toBe('base64')
    expect(inputError({ ...secret, 'secret-format': 'PEM' })).toBe(
      "Input 'secret-format' is 'PEM'; expected 'pem' or 'base64'.",
    )
    expect(
      inputError({
        ...base,
        operation: 'create-api-key',
        name: 'n',
        'secret-name': 'K',
        'secret-format': 'base64',
        ...store,
      }),
    ).toBe(
      "Input 'secret-format' does not apply to operation 'create-api-key'; it chooses how a signing key is stored.",
    )
    expect(
      inputError({
        ...base,
        operation: 'rotate-public-key',
        'public-key-id': pubkId,
        'variable-name': 'V',
        'secret-format': 'pem',
        ...store,
      }),
    ).toBe(
      "Input 'secret-format' does not apply to operation 'rotate-public-key'; it chooses how a signing key is stored.",
    )
  })
})

describe('parsePlan: names, descriptions and the service token', () => {
  it('name and description reject control characters and overlong text', () => {
    const raw = { ...base, operation: 'create-api-key' }
    expect(inputError({ ...raw, name: 'back\u0000end' })).toBe(
      "Input 'name' contains a control character; expected plain text.",
    )
    expect(inputError({ ...raw, name: 'n'.repeat(101) })).toBe(
      "Input 'name' is 101 characters long; expected at most 100.",
    )
    expect(inputError({ ...raw, name: 'n', description: 'd'.repeat(501) })).toBe(
      "Input 'description' is 501 characters long; expected at most 500.",
    )
    expect(inputError({ ...raw, name: 'n', description: 'line\nbreak' })).toBe(
      "Input 'description' contains a control character; expected plain text.",
    )
  })

  it('a token that cannot go into an HTTP header is rejected without echoing it', () => {
    const expected = (input: string) =>
      `Input '${input}' contains whitespace, a control character or a non-ASCII character; expected the token alone.`
    for (const bad of [
      `${serviceToken}\nextra`,
      `${serviceToken} extra`,
      `${serviceToken}\u20ac`,
      `${serviceToken}\u200b`,
    ]) {
      const message = inputError({ ...base, 'service-token': bad, operation: 'list-api-keys' })
      expect(message).toBe(expected('service-token'))
      expect(message).not.toContain(serviceToken)
    }
    const storing = { ...base, operation: 'rotate-signing-key', 'secret-name': 'k' }
    const github = inputError({ ...storing, 'github-token': 'ghs_abc\u20acdef' })
    expect(github).toBe(expected('github-token'))
    expect(github).not.toContain('ghs_abc')
  })
})

describe('runMain: bad input fails before any request, with the same sentence', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['missing workspace', { operation: 'list-api-keys' }, "Input 'workspace' is required and was empty."],
    [
      'missing per-operation input',
      { workspace: 'staging', operation: 'delete-signing-key' },
      "Input 'signing-key-uid' is required for operation 'delete-signing-key' and was empty.",
    ],
    [
      'unknown operation',
      { workspace: 'staging', operation: 'rotate-keys' },
      `Input 'operation' is 'rotate-keys'; expected one of: ${allOperations}.`,
    ],
    [
      'the service token pasted as the operation',
      { workspace: 'staging', operation: serviceToken },
      `Input 'operation' is not an operation name; expected one of: ${allOperations}.`,
    ],
    [
      'id of the wrong kind',
      { workspace: 'staging', operation: 'delete-signing-key', 'signing-key-uid': 'ws_signk_5e2a9c' },
      "Input 'signing-key-uid' got a signing key id ('ws_signk_...'), not its uid; expected a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id).",
    ],
    [
      'the service token pasted as an id',
      { workspace: 'staging', operation: 'delete-api-key', 'api-key-id': serviceToken },
      "Input 'api-key-id' does not start with 'ws_apik_'; expected an API key id starting with 'ws_apik_'.",
    ],
    [
      'path trick in the workspace',
      { workspace: 'staging/../prod', operation: 'list-api-keys' },
      "Input 'workspace' contains '/'; expected a slug such as 'staging' (letters, digits, '-', '_' or '.').",
    ],
    [
      'control character in an id',
      { workspace: 'staging', operation: 'delete-public-key', 'public-key-id': 'ws_pubk_a\nb' },
      "Input 'public-key-id' contains a control character; expected a public key id starting with 'ws_pubk_'.",
    ],
    [
      'non-https api-url',
      { workspace: 'staging', operation: 'list-api-keys', 'api-url': 'http://example.com' },
      "Input 'api-url' uses http; expected https (plain http is accepted only for a loopback address such as 127.0.0.1).",
    ],
    [
      'input that does not apply',
      { workspace: 'staging', operation: 'list-signing-keys', 'public-key-id': pubkId },
      "Input 'public-key-id' does not apply to operation 'list-signing-keys', which takes no key inputs; remove it.",
    ],
    [
      'bad request-timeout',
      { workspace: 'staging', operation: 'list-api-keys', 'request-timeout': '0' },
      "Input 'request-timeout' is '0'; expected a whole number from 1 to 600.",
    ],
    [
      'storage on an operation that stores nothing',
      { workspace: 'staging', operation: 'list-signing-keys', 'secret-name': 'K', 'github-token': githubToken },
      "Input 'secret-name' does not apply to operation 'list-signing-keys', which returns no key to store.",
    ],
    [
      'missing github-token',
      { workspace: 'staging', operation: 'rotate-signing-key', 'secret-name': 'K' },
      "Input 'github-token' is required to store into a secret; the workflow's GITHUB_TOKEN cannot write them, so pass a GitHub App token or a PAT with the 'Secrets' permission (read and write).",
    ],
    [
      'visibility without organization',
      {
        workspace: 'staging',
        operation: 'rotate-signing-key',
        'secret-name': 'K',
        'github-token': githubToken,
        visibility: 'all',
      },
      "Input 'visibility' applies only to an organization secret or variable; set 'organization' or remove it.",
    ],
    [
      'bad repositories entry',
      {
        workspace: 'staging',
        operation: 'rotate-signing-key',
        'secret-name': 'K',
        'github-token': githubToken,
        repositories: 'acme/app\nacme',
      },
      "Input 'repositories' has 'acme'; expected 'owner/repo' or 'owner/repo/environment' entries.",
    ],
    [
      "'environment' with an 'owner/repo/environment' entry",
      {
        workspace: 'staging',
        operation: 'rotate-signing-key',
        'secret-name': 'K',
        'github-token': githubToken,
        repositories: 'acme/app\nacme/app/production',
        environment: 'staging',
      },
      "Inputs 'environment' and 'repositories' cannot be combined when an entry names its own environment ('acme/app/production'); write every entry as 'owner/repo/environment', or use 'environment' with plain 'owner/repo' entries.",
    ],
    [
      'reserved secret name',
      {
        workspace: 'staging',
        operation: 'rotate-signing-key',
        'secret-name': 'GITHUB_KEY',
        'github-token': githubToken,
      },
      "Input 'secret-name' starts with 'GITHUB_', which GitHub reserves; choose another secret name.",
    ],
  ]

  it.each(cases)('%s', async (_title, inputs, message) => {
    const raw = { 'service-token': serviceToken, ...inputs }
    // The same sentence that parsePlan gives (the harness sets GITHUB_REPOSITORY=acme/app).
    expect(inputError(raw, { GITHUB_REPOSITORY: 'acme/app' })).toBe(message)

    const agent = mockAgent()
    const result = await runMain(raw, { agent })
    expect(result.error).toBe(message)
    expect(result.stdout.match(/^::error::/gm)).toHaveLength(1)
    expect(result.calls).toEqual([])
    expect(result.outputOrder).toEqual([])
    expect(result.masks).toContain(serviceToken)
    const tokenLines = result.stdout.split('\n').filter((line) => line.includes(serviceToken))
    expect(tokenLines).toEqual([`::add-mask::${serviceToken}`])
    if (inputs['github-token']) expect(result.masks).toContain(githubToken)
    await agent.close()
  })

  it('with every action.yml default set, as the runner passes them, a bad input still fails the same way', async () => {
    const defaults = actionDefaults()
    const agent = mockAgent()
    const result = await runMain(
      {
        ...defaults,
        'service-token': serviceToken,
        workspace: 'staging',
        operation: 'delete-api-key',
        'api-key-id': pubkId,
      },
      { agent },
    )
    expect(result.error).toBe(
      "Input 'api-key-id' got a public key id ('ws_pubk_...'); expected an API key id starting with 'ws_apik_'.",
    )
    expect(result.calls).toEqual([])
    await agent.close()
  })
})
