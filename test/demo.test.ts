// `npm run demo` runs the README's recipes through dist/index.js against the sandboxes and proves
// what it claims; it must pass every proof and print nothing secret (it checks that itself).
import { spawn } from 'node:child_process'
import { expect, it } from 'vitest'
import { repoRoot } from './sandbox/index.ts'

it('npm run demo passes every proof', async () => {
  const child = spawn(process.execPath, ['test/sandbox/demo.ts'], { cwd: repoRoot })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await new Promise((resolve) => child.on('close', resolve))
  expect(output).not.toContain('FAIL')
  expect([code, output.trimEnd().split('\n').at(-1)]).toEqual([0, 'All proofs passed.'])
}, 60_000)
