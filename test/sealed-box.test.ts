import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import sodium from 'libsodium-wrappers'
import { describe, it, expect } from 'vitest'
import { sealedBox } from '../src/github/sealed-box.ts'

// A realistic secret: multi-line PEM with its trailing newline.
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString()

// Independent oracle: real (C) libsodium through Debian's python3-nacl.
// Keys and ciphertexts travel over stdin/stdout only, never argv or temp files.
const PY_PRELUDE = `
import sys, json, base64
try:
    from nacl.public import PrivateKey, SealedBox
except ImportError:
    sys.exit("python3-nacl is required for this test (apt-get install python3-nacl); it is not importable by /usr/bin/python3")
`
const PY_KEYGEN = `${PY_PRELUDE}
sk = PrivateKey.generate()
print(json.dumps({"pk": base64.b64encode(bytes(sk.public_key)).decode(), "sk": base64.b64encode(bytes(sk)).decode()}))
`
const PY_OPEN = `${PY_PRELUDE}
req = json.load(sys.stdin)
box = SealedBox(PrivateKey(base64.b64decode(req["sk"])))
print(json.dumps([base64.b64encode(box.decrypt(base64.b64decode(c))).decode() for c in req["cts"]]))
`

function python(script: string, input = ''): string {
  // Throws (failing the test) if python3 or nacl is missing; stderr is in the message.
  return execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' })
}

// CI (and .ci/run, which installs it) always runs the python3-nacl check; elsewhere it runs when
// python3-nacl is installed. libsodium-wrappers, below, checks every run either way.
const pynaclMissing = spawnSync('/usr/bin/python3', ['-c', 'import nacl.public']).status !== 0
const skipPynacl = pynaclMissing && !process.env['CI']

function pynaclOpen(sk: string, cts: string[]): Buffer[] {
  const out = JSON.parse(python(PY_OPEN, JSON.stringify({ sk, cts }))) as string[]
  return out.map((b) => Buffer.from(b, 'base64'))
}

async function sodiumKeypair(): Promise<{ pk: string; open: (ct: string) => Buffer }> {
  await sodium.ready
  const kp = sodium.crypto_box_keypair()
  return {
    pk: Buffer.from(kp.publicKey).toString('base64'),
    open: (ct) => Buffer.from(sodium.crypto_box_seal_open(Buffer.from(ct, 'base64'), kp.publicKey, kp.privateKey)),
  }
}

describe('sealedBox', () => {
  it.skipIf(skipPynacl)('is opened byte-for-byte by real libsodium (python3-nacl)', () => {
    const { pk, sk } = JSON.parse(python(PY_KEYGEN)) as { pk: string; sk: string }
    const samples = [PEM, '', 'héllo wörld ✓ 🔑 日本語\r\n\ttab', 'x'.repeat(10_000)]
    const opened = pynaclOpen(
      sk,
      samples.map((s) => sealedBox(pk, s)),
    )
    expect(PEM).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/)
    opened.forEach((plain, i) => expect(plain.equals(Buffer.from(samples[i]!, 'utf8'))).toBe(true))
  })

  it('is opened byte-for-byte by libsodium-wrappers (libsodium wasm)', async () => {
    const { pk, open } = await sodiumKeypair()
    for (const s of [PEM, '', 'ünïcødé ✓ 🔑 日本語']) {
      expect(open(sealedBox(pk, s)).equals(Buffer.from(s, 'utf8'))).toBe(true)
    }
    expect(open(sealedBox(pk, PEM)).toString('utf8')).toBe(PEM)
  })

  it('has the libsodium layout: 32-byte ephemeral key + 16-byte MAC + ciphertext', async () => {
    const { pk, open } = await sodiumKeypair()
    const sealed = Buffer.from(sealedBox(pk, 'abc'), 'base64')
    expect(sealed.length).toBe(32 + 16 + 3)
    // Flipping any byte must break authentication in libsodium.
    for (const i of [0, 32, 48]) {
      const bad = Buffer.from(sealed)
      bad[i]! ^= 1
      expect(() => open(bad.toString('base64'))).toThrow()
    }
  })

  it('uses a fresh ephemeral key per call', async () => {
    const { pk, open } = await sodiumKeypair()
    const a = sealedBox(pk, 'same value')
    const b = sealedBox(pk, 'same value')
    expect(a).not.toBe(b)
    expect(Buffer.from(a, 'base64').subarray(0, 32).equals(Buffer.from(b, 'base64').subarray(0, 32))).toBe(false)
    expect(open(a).toString()).toBe('same value')
    expect(open(b).toString()).toBe('same value')
  })

  it('rejects malformed public keys with a clear error that does not echo the key', async () => {
    const { pk } = await sodiumKeypair()
    const bad = [
      '',
      Buffer.alloc(31, 7).toString('base64'),
      Buffer.alloc(33, 7).toString('base64'),
      'not a base64 key at all!!!!!!!!!!!!!!!!!!!!',
      Buffer.from(pk, 'base64').toString('base64url'), // base64url instead of standard base64
      ` ${pk}`,
      pk.slice(0, -1), // missing padding
    ]
    for (const key of bad) {
      expect(() => sealedBox(key, 'secret')).toThrow(/must be a standard base64 string encoding exactly 32 bytes/)
    }
    // The right shape but a low-order point (all-zero shared secret): libsodium refuses it too.
    expect(() => sealedBox(Buffer.alloc(32).toString('base64'), 'secret')).toThrow(/not a usable X25519 public key/)
    try {
      sealedBox(Buffer.alloc(31, 7).toString('base64'), 'top-secret-value')
    } catch (e) {
      expect((e as Error).message).not.toContain('top-secret-value')
      expect((e as Error).message).not.toContain(Buffer.alloc(31, 7).toString('base64'))
    }
  })
})
