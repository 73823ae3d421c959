import type { Returns } from './inputs/store.ts'
import * as apiKeys from './keys/api-keys.ts'
import * as publicKeys from './keys/public-keys.ts'
import * as signingKeys from './keys/signing-keys.ts'
import type { Step } from './step.ts'

/**
 * The one table of operations. Parsing takes each operation's inputs and
 * rules from here, execution calls its handler, and the README's operations
 * table is generated from it. Adding an operation is one entry and its handler.
 */

/** The inputs that say which key an operation acts on, or describe the new one. */
export const keyInputs = [
  'signing-key-uid',
  'public-key-id',
  'api-key-id',
  'name',
  'description',
  'rotate-if-older-than',
] as const
export type KeyInput = (typeof keyInputs)[number]

export interface Operation {
  family: 'Signing keys' | 'Public keys' | 'API keys'
  /** Key inputs it accepts; any other key input is an error. */
  takes: Partial<Record<KeyInput, 'required' | 'optional'>>
  /** What it returns that can be stored in GitHub. */
  returns?: Returns
  /** Refuses to run without somewhere to store the key. */
  mustStore?: boolean
  /** A rule across inputs; returns the error sentence, or undefined when the inputs are fine. */
  rule?: (given: (input: string) => boolean, operation: string) => string | undefined
  /** For the docs: what it needs and what it sets. */
  needs: string
  sets: string
  run: (step: Step) => Promise<void>
}

const newKeyOutputs = '`key-id`, `key-uid`, `status`, `private-key`, `private-key-base64`'

export const operations = {
  'list-signing-keys': {
    family: 'Signing keys',
    takes: {},
    needs: '',
    sets: '`keys`',
    run: signingKeys.listSigningKeys,
  },
  'create-signing-key': {
    family: 'Signing keys',
    takes: {},
    returns: 'private-key',
    needs: 'no active key in the workspace',
    sets: newKeyOutputs,
    run: (step) => signingKeys.replaceSigningKey(step, 'create'),
  },
  'roll-signing-key': {
    family: 'Signing keys',
    takes: { 'signing-key-uid': 'optional' },
    returns: 'private-key',
    needs: '`signing-key-uid` (default: the active key)',
    sets: 'the same, and `previous-key-uid`',
    run: (step) => signingKeys.replaceSigningKey(step, 'roll'),
  },
  'rotate-signing-key': {
    family: 'Signing keys',
    takes: { 'rotate-if-older-than': 'optional' },
    returns: 'private-key',
    needs: 'optionally `rotate-if-older-than`',
    sets: 'the same, and `rotated`; `previous-key-uid` is empty when it created the first key',
    run: (step) => signingKeys.replaceSigningKey(step, 'rotate'),
  },
  'delete-signing-key': {
    family: 'Signing keys',
    takes: { 'signing-key-uid': 'required' },
    needs: '`signing-key-uid`',
    sets: '`key-uid`',
    run: signingKeys.deleteSigningKey,
  },
  'list-public-keys': {
    family: 'Public keys',
    takes: {},
    needs: '',
    sets: '`keys`',
    run: publicKeys.listPublicKeys,
  },
  'create-public-key': {
    family: 'Public keys',
    takes: { name: 'required', description: 'optional' },
    returns: 'public-key',
    needs: '`name` (and optionally `description`)',
    sets: '`key-id`, `public-key`, `secure-mode`',
    run: publicKeys.createPublicKey,
  },
  'rotate-public-key': {
    family: 'Public keys',
    takes: { 'public-key-id': 'required', 'rotate-if-older-than': 'optional' },
    returns: 'public-key',
    needs: '`public-key-id`, optionally `rotate-if-older-than`',
    sets: '`key-id`, `public-key` (the new value; the id stays), `secure-mode`, `rotated`',
    run: publicKeys.rotatePublicKey,
  },
  'enable-secure-mode': {
    family: 'Public keys',
    takes: { 'public-key-id': 'required' },
    needs: '`public-key-id`',
    sets: '`key-id`, `public-key`, `secure-mode`',
    run: publicKeys.enableSecureMode,
  },
  'disable-secure-mode': {
    family: 'Public keys',
    takes: { 'public-key-id': 'required' },
    needs: '`public-key-id`',
    sets: '`key-id`, `public-key`, `secure-mode`',
    run: publicKeys.disableSecureMode,
  },
  'delete-public-key': {
    family: 'Public keys',
    takes: { 'public-key-id': 'required' },
    needs: '`public-key-id`',
    sets: '`key-id`',
    run: publicKeys.deletePublicKey,
  },
  'list-api-keys': {
    family: 'API keys',
    takes: {},
    needs: '',
    sets: '`keys` (with `masked_api_key` only)',
    run: apiKeys.listApiKeys,
  },
  'create-api-key': {
    family: 'API keys',
    takes: { name: 'required', description: 'optional' },
    returns: 'api-key',
    needs: '`name` (and optionally `description`)',
    sets: '`key-id`, `api-key`',
    run: apiKeys.createApiKey,
  },
  'rotate-api-key': {
    family: 'API keys',
    takes: { 'api-key-id': 'optional', name: 'optional', description: 'optional', 'rotate-if-older-than': 'optional' },
    returns: 'api-key',
    mustStore: true,
    rule: (given, operation) =>
      !given('api-key-id') && !given('name')
        ? `Input 'name' is required for operation '${operation}' when 'api-key-id' is empty; give the old key's id (its name is reused) or a name for the new key.`
        : given('rotate-if-older-than') && !given('api-key-id')
          ? `Input 'rotate-if-older-than' needs 'api-key-id' with operation '${operation}', whose age is that of the key it replaces; set 'api-key-id'.`
          : undefined,
    needs: '`secret-name`, and `api-key-id` or `name`; optionally `rotate-if-older-than` (with `api-key-id`)',
    sets: '`key-id`, `api-key`, `previous-key-id`, `rotated`',
    run: apiKeys.rotateApiKey,
  },
  'delete-api-key': {
    family: 'API keys',
    takes: { 'api-key-id': 'required' },
    needs: '`api-key-id`',
    sets: '`key-id`',
    run: apiKeys.deleteApiKey,
  },
} satisfies Record<string, Operation>

export type OperationName = keyof typeof operations
export const operationNames = Object.keys(operations) as OperationName[]
