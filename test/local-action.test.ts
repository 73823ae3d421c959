// `npm run local`: GitHub's @github/local-action runs the action from source (src/main.ts's run())
// with its own @actions/core, which redacts every registered secret from what it prints.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect } from 'vitest'
import { repoRoot } from './sandbox/index.ts'
import { it, storing, tokens, workspace, type World } from './support/world.ts'

function local(world: World, inputs: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'local-action-')), '.env')
  const lines = { 'service-token': tokens.service, workspace, 'api-url': world.suprsend.url, ...inputs }
  const dotenv = Object.entries(lines).map(([name, value]) => `INPUT_${name.toUpperCase()}=${value}`)
  writeFileSync(file, [...dotenv, `GITHUB_API_URL=${world.github.url}`, 'GITHUB_REPOSITORY=acme/app', ''].join('\n'))
  const child = spawn('npm', ['run', '--silent', 'local', '--', file], {
    cwd: repoRoot,
    env: { ...process.env, FORCE_COLOR: '0' },
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })))
}

describe('@github/local-action', () => {
  it('runs list-signing-keys from source', async ({ world }) => {
    const { code, output } = await local(world, { operation: 'list-signing-keys' })
    expect(code).toBe(0)
    expect(output).toContain('::info::Listed 1 signing key')
    expect(output).not.toContain(tokens.service)
  }, 30_000)

  it('rotates into a repository secret from source, masking the key and the tokens', async ({ world }) => {
    const { code, output } = await local(world, { operation: 'rotate-signing-key', ...storing })
    const key = world.suprsend.activeSigningKey(workspace)
    expect(code).toBe(0)
    expect(await world.github.readSecret('repository', 'acme/app', 'SUPRSEND_SIGNING_KEY')).toBe(key?.private_key_pem)
    const body = key?.private_key_pem.split('\n').filter((line) => line && !line.startsWith('-----')) ?? []
    for (const secret of [tokens.service, tokens.github, key?.private_key_base64 ?? '', ...body])
      expect(output).not.toContain(secret)
  }, 30_000)
})
