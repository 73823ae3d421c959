// A create or roll answer's private key is checked before anything stores it.
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { pemProblem, signingKeyFrom } from '../src/suprsend/key-material.ts'

const pkcs8 = (curve: string) =>
  generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
const base64 = (text: string) => Buffer.from(text).toString('base64')
const lost = (): never => {
  throw new Error('lost')
}

describe('the PEM rule', () => {
  it('accepts an EC P-256 PKCS#8 private key', () => {
    expect(pemProblem(pkcs8('P-256'))).toBeUndefined()
  })

  it('accepts one with CRLF line ends', () => {
    expect(pemProblem(pkcs8('P-256').replace(/\n/g, '\r\n'))).toBeUndefined()
  })

  it.each<[string, string, string]>([
    ['another curve', pkcs8('P-384'), 'it is an EC key on curve secp384r1, not P-256'],
    [
      'SEC1',
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }).toString(),
      "it is a SEC1 'EC PRIVATE KEY' PEM, not PKCS#8 ('PRIVATE KEY')",
    ],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
      'it is an rsa key, not an EC key',
    ],
    ['not a PEM', 'hello', 'it is not a PEM'],
    [
      'a broken PEM',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      'it cannot be read as a private key',
    ],
  ])('refuses %s', (_title, pem, problem) => {
    expect(pemProblem(pem)).toBe(problem)
  })
})

describe('reading an answer', () => {
  it('takes a matching pair as it is, with no warning', () => {
    const pem = pkcs8('P-256')
    const key = signingKeyFrom({ uid: 'signing_key_1', private_key_pem: pem, private_key_base64: base64(pem) }, lost)
    expect([key.pem, key.base64, key.warnings, key.unusable]).toEqual([pem, base64(pem), [], undefined])
  })

  it('keeps the PEM and rebuilds the base64 form when they do not match, with a warning', () => {
    const pem = pkcs8('P-256')
    const key = signingKeyFrom({ private_key_pem: pem, private_key_base64: base64(pkcs8('P-256')) }, lost)
    expect(key.base64).toBe(base64(pem))
    expect(key.warnings).toEqual([
      "SuprSend's 'private_key_base64' does not decode to its 'private_key_pem'; the PEM was kept and 'private-key-base64' is the base64 of that PEM",
    ])
    expect(key.secrets).toHaveLength(3)
  })

  it('rebuilds the PEM from the base64 form when only that arrived', () => {
    const pem = pkcs8('P-256')
    const key = signingKeyFrom({ private_key_base64: base64(pem) }, lost)
    expect([key.pem, key.unusable]).toEqual([pem, undefined])
  })

  it('marks a key on the wrong curve as unusable, keeping both forms for the masked outputs', () => {
    const pem = pkcs8('P-384')
    const key = signingKeyFrom({ private_key_pem: pem, private_key_base64: base64(pem) }, lost)
    expect(key.unusable).toBe('its private key cannot be used: it is an EC key on curve secp384r1, not P-256')
    expect(key.secrets).toEqual([pem, base64(pem)])
  })

  it('calls the key lost when neither form arrived', () => {
    expect(() => signingKeyFrom({ uid: 'signing_key_1' }, lost)).toThrow('lost')
  })
})
