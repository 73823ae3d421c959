import { createPrivateKey } from 'node:crypto'
import type { SigningKey } from './types.ts'

/**
 * A create or roll answer's private key, checked before anything stores it.
 * SuprSend sends it twice, as `private_key_pem` and as `private_key_base64`
 * (the base64 of the PEM text). The rule, also in the README: a PEM that is
 * not an EC P-256 PKCS#8 private key is never stored (the run fails with
 * the key in the masked outputs); a base64 form that is missing or does not
 * decode to the PEM is rebuilt from the PEM, with a warning.
 */
export interface NewSigningKey {
  key: SigningKey
  pem: string
  base64: string
  /** Every form of the key that arrived or was derived: all of them are masked. */
  secrets: string[]
  /** Something was off, but the key is still stored. */
  warnings: string[]
  /** Why the key must not be stored; unset when it is fine. */
  unusable?: string
}

const given = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''
const normalise = (pem: string) => pem.replace(/\r\n/g, '\n').trim()

/** The text a base64 string encodes, or undefined when it is not strict base64. */
function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '')
  const bytes = Buffer.from(compact, 'base64')
  return bytes.length > 0 && bytes.toString('base64') === compact ? bytes.toString('utf8') : undefined
}

/** Why `pem` is not an EC P-256 PKCS#8 private key, or undefined when it is one. */
export function pemProblem(pem: string): string | undefined {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1]
  if (label === undefined) return 'it is not a PEM'
  if (label === 'EC PRIVATE KEY') return "it is a SEC1 'EC PRIVATE KEY' PEM, not PKCS#8 ('PRIVATE KEY')"
  if (label !== 'PRIVATE KEY') return `it is a '${label}' PEM, not a PKCS#8 private key`
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' })
    if (key.asymmetricKeyType !== 'ec') return `it is an ${key.asymmetricKeyType ?? 'unknown'} key, not an EC key`
    const curve = key.asymmetricKeyDetails?.namedCurve
    return curve === 'prime256v1' ? undefined : `it is an EC key on curve ${curve ?? 'unknown'}, not P-256`
  } catch {
    return 'it cannot be read as a private key'
  }
}

/** Reads the key from a create or roll answer; `lost` is called when no form of it arrived. */
export function signingKeyFrom(json: unknown, lost: () => never): NewSigningKey {
  const answer = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>
  const { private_key_pem: rawPem, private_key_base64: rawBase64, ...rest } = answer
  if (!given(rawPem) && !given(rawBase64)) lost()
  const decoded = given(rawBase64) ? decodeBase64(rawBase64) : undefined
  const warnings: string[] = []
  let pem: string
  if (given(rawPem)) {
    pem = rawPem
  } else {
    pem = decoded ?? ''
    if (decoded)
      warnings.push("SuprSend's answer had no 'private_key_pem', so the PEM was rebuilt from 'private_key_base64'")
  }
  let base64 = given(rawBase64) ? rawBase64 : ''
  const problem = pemProblem(pem)
  if (!problem && (decoded === undefined || normalise(decoded) !== normalise(pem))) {
    base64 = Buffer.from(pem, 'utf8').toString('base64')
    warnings.push(
      given(rawBase64)
        ? "SuprSend's 'private_key_base64' does not decode to its 'private_key_pem'; the PEM was kept and 'private-key-base64' is the base64 of that PEM"
        : "SuprSend's answer had no 'private_key_base64', so it was rebuilt from the PEM",
    )
  }
  const secrets = [rawPem, rawBase64, pem, base64].filter(given)
  const key = {
    ...rest,
    id: given(rest['id']) ? rest['id'] : '',
    uid: given(rest['uid']) ? rest['uid'] : '',
    status: typeof rest['status'] === 'string' ? rest['status'] : '',
  } as SigningKey
  return {
    key,
    pem,
    base64,
    secrets: [...new Set(secrets)],
    warnings,
    ...(problem ? { unusable: `its private key cannot be used: ${problem}` } : {}),
  }
}
