import { keyInputs, operationNames, operations, type KeyInput, type Operation } from '../operations.ts'
import type { Plan } from '../step.ts'
import { defaultApiUrl } from '../suprsend/client.ts'
import { parseStore, storeInputs } from './store.ts'
import {
  InputError,
  parseAge,
  parseApiUrl,
  parseBoolean,
  parseId,
  parseInteger,
  parseText,
  parseToken,
  parseWorkspace,
} from './values.ts'

/**
 * Turns the raw inputs into a validated plan. Pure: every rule runs before
 * any request is sent, and each failure is one sentence that names the
 * input, says what is wrong and what is expected.
 */

/** Every input the action reads, as named in action.yml. */
export const inputNames = [
  'service-token',
  'workspace',
  'operation',
  ...keyInputs,
  'api-url',
  'request-timeout',
  'secret-name',
  'variable-name',
  ...storeInputs,
  'dry-run',
] as const

export type InputName = (typeof inputNames)[number]
export type RawInputs = Partial<Record<InputName, string>>

const ids: Record<'signing-key-uid' | 'public-key-id' | 'api-key-id', [prefix: string, expected: string]> = {
  'signing-key-uid': [
    'signing_key_',
    "a signing key uid starting with 'signing_key_' (the 'uid' field, not the 'ws_signk_' id)",
  ],
  'public-key-id': ['ws_pubk_', "a public key id starting with 'ws_pubk_'"],
  'api-key-id': ['ws_apik_', "an API key id starting with 'ws_apik_'"],
}

function parseOperation(raw: RawInputs): [string, Operation] {
  for (const name of ['service-token', 'workspace', 'operation'] as const) {
    if (!raw[name]) throw new InputError(`Input '${name}' is required and was empty.`)
  }
  const name = raw.operation as string
  if (!(operationNames as string[]).includes(name)) {
    // Echo only what looks like a misspelt operation name, never a value that might be a pasted secret.
    const shown = /^[A-Za-z]+(?:-[A-Za-z]+)*$/.test(name) && name.length <= 40
    throw new InputError(
      `Input 'operation' ${shown ? `is '${name}'` : 'is not an operation name'}; expected one of: ${operationNames.join(', ')}.`,
    )
  }
  return [name, operations[name as keyof typeof operations]]
}

/** Required key inputs are present and no key input is given that the operation does not take. */
function checkKeyInputs(raw: RawInputs, name: string, operation: Operation): void {
  const takes = operation.takes as Partial<Record<KeyInput, string>>
  for (const input of keyInputs) {
    if (takes[input] === 'required' && !raw[input]) {
      throw new InputError(`Input '${input}' is required for operation '${name}' and was empty.`)
    }
  }
  for (const input of keyInputs) {
    if (!raw[input] || takes[input]) continue
    const accepted = Object.keys(takes)
    const list = accepted.length > 0 ? accepted.map((t) => `'${t}'`).join(', ') : 'no key inputs'
    throw new InputError(`Input '${input}' does not apply to operation '${name}', which takes ${list}; remove it.`)
  }
  const broken = operation.rule?.((input) => Boolean(raw[input as InputName]), name)
  if (broken) throw new InputError(broken)
}

/** The key inputs, each parsed by its own rule. */
function keyValues(raw: RawInputs): Partial<Plan> {
  const values: Partial<Plan> = {}
  const id = (input: keyof typeof ids) => parseId(input, raw[input] as string, ...ids[input])
  if (raw['signing-key-uid']) values.signingKeyUid = id('signing-key-uid')
  if (raw['public-key-id']) values.publicKeyId = id('public-key-id')
  if (raw['api-key-id']) values.apiKeyId = id('api-key-id')
  if (raw.name) values.name = parseText('name', raw.name, 100)
  if (raw.description) values.description = parseText('description', raw.description, 500)
  if (raw['rotate-if-older-than']) values.rotateIfOlderThan = parseAge(raw['rotate-if-older-than'])
  return values
}

/** Builds the plan, or throws an InputError before anything is sent. */
export function parsePlan(raw: RawInputs, env: Record<string, string | undefined> = {}): Plan {
  const [operation, spec] = parseOperation(raw)
  checkKeyInputs(raw, operation, spec)
  const plan: Plan = {
    operation,
    serviceToken: parseToken('service-token', raw['service-token'] as string),
    workspace: parseWorkspace(raw.workspace as string),
    apiUrl: parseApiUrl(raw['api-url'] || defaultApiUrl, defaultApiUrl),
    timeoutMs: parseInteger('request-timeout', raw['request-timeout'], 30, 1, 600) * 1000,
    dryRun: parseBoolean('dry-run', raw['dry-run'], false),
    ...keyValues(raw),
    ...(spec.returns ? { returns: spec.returns } : {}),
    warnings: [],
  }
  const store = parseStore(raw, spec.returns, operation, env)
  if (spec.mustStore && !store) {
    throw new InputError(`Input 'secret-name' is required for operation '${operation}' and was empty.`)
  }
  if (store) plan.store = store
  if (raw['write-concurrency']) {
    parseInteger('write-concurrency', raw['write-concurrency'], 1, 1, 20)
    plan.warnings.push(
      "Input 'write-concurrency' is deprecated and has no effect: GitHub asks for writes one at a time, at least a second apart, so the action always writes that way. Remove it.",
    )
  }
  return plan
}
