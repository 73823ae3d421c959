// libsodium `crypto_box_seal`, which GitHub requires for Actions secrets
// (https://docs.github.com/rest/guides/encrypting-secrets-for-the-rest-api).
// Built from node:crypto X25519 plus two small audited noble primitives instead of
// a libsodium wasm build: no async init at start-up and a much smaller bundle.
//
// Layout (libsodium crypto_box_seal):
//   epk || crypto_box(m, nonce = BLAKE2b-192(epk || pk), pk, esk)
// where crypto_box = XSalsa20-Poly1305 keyed by HSalsa20(X25519(esk, pk), 0^16),
// and its output is MAC(16) || ciphertext.
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js'
import { blake2b } from '@noble/hashes/blake2.js'

const KEY_BYTES = 32
const SIGMA = new TextEncoder().encode('expand 32-byte k')

/** Byte-order word view, as noble's hsalsa expects (noble's xsalsa20poly1305 is little-endian only). */
const words = (bytes: Uint8Array): Uint32Array => new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)

/**
 * Encrypts `plaintext` (UTF-8) for GitHub's repository/environment/org secret API.
 * @param recipientPublicKeyBase64 - the `key` field from GitHub's `.../secrets/public-key` endpoint.
 * @returns the sealed box as standard base64 (the API's `encrypted_value`).
 */
export function sealedBox(recipientPublicKeyBase64: string, plaintext: string): string {
  // Strict round-trip check: Buffer's base64 decoder silently skips junk, which would
  // turn a malformed key into a wrong (undecryptable) secret instead of an error.
  const recipientPk = Buffer.from(recipientPublicKeyBase64, 'base64')
  if (recipientPk.length !== KEY_BYTES || recipientPk.toString('base64') !== recipientPublicKeyBase64) {
    throw new Error('The secret-encryption public key must be a standard base64 string encoding exactly 32 bytes.')
  }

  const ephemeral = generateKeyPairSync('x25519')
  const ephemeralPk = Buffer.from(ephemeral.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  if (ephemeralPk.length !== KEY_BYTES) throw new Error('Could not export the ephemeral X25519 public key.')

  let shared: Buffer
  try {
    shared = diffieHellman({
      privateKey: ephemeral.privateKey,
      publicKey: createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: recipientPk.toString('base64url') },
        format: 'jwk',
      }),
    })
  } catch {
    // OpenSSL refuses low-order points (all-zero shared secret), as libsodium does.
    throw new Error('The secret-encryption public key is not a usable X25519 public key.')
  }

  // crypto_box_beforenm: k = HSalsa20(shared, 0^16). Copies give hsalsa 4-byte-aligned views.
  const sharedCopy = new Uint8Array(shared)
  shared.fill(0)
  const key = new Uint8Array(KEY_BYTES)
  hsalsa(words(SIGMA), words(sharedCopy), new Uint32Array(4), words(key))
  sharedCopy.fill(0)

  const nonce = blake2b(Buffer.concat([ephemeralPk, recipientPk]), { dkLen: 24 })
  const message = new TextEncoder().encode(plaintext)
  // noble returns tag || ciphertext, the same layout as libsodium's crypto_box_easy.
  const boxed = xsalsa20poly1305(key, nonce).encrypt(message)
  key.fill(0)
  message.fill(0)

  return Buffer.concat([ephemeralPk, boxed]).toString('base64')
}
