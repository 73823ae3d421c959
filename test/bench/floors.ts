// The start-up floors: the least any action built on our libraries can cost, bundled exactly as
// dist/ is (ncc --minify, then terser over any chunks, as package.json's build script does), so the
// action's own start-up is judged against its libraries rather than against bare Node.
import { spawn } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../sandbox/index.ts'

/** Inside the repository (git-ignored) so that ncc resolves packages from its node_modules. */
export const cacheDir = join(repoRoot, '.cache', 'bench')

/** Floor A: the runner's toolkit alone, reading one input. */
const floorASource = `import * as core from '@actions/core'
core.getInput('operation')
`

/** Floor B: floor A plus an Octokit with the throttling and retry plugins the action uses. */
const floorBSource = `import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import { throttling } from '@octokit/plugin-throttling'
import { retry } from '@octokit/plugin-retry'
core.getInput('operation')
getOctokit('token', { throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false } }, throttling, retry)
`

export interface Floors {
  floorA: string
  floorB: string
}

/** The JavaScript file a package's `bin` names, so it runs under this Node, not whatever `node` PATH finds. */
async function binScript(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
    bin: string | Record<string, string>
  }
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin)[0]
  if (bin === undefined) throw new Error(`${name} declares no bin`)
  return join(repoRoot, 'node_modules', name, bin)
}

function run(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${output}`)),
    )
  })
}

/** Builds one floor as dist/ is built and returns the path of its entry bundle. */
async function buildFloor(name: string, source: string): Promise<string> {
  const sourceFile = join(cacheDir, `${name}.js`)
  const outDir = join(cacheDir, name)
  await rm(outDir, { recursive: true, force: true })
  await writeFile(sourceFile, source)
  await run(await binScript('@vercel/ncc'), ['build', sourceFile, '-o', outDir, '--minify'])
  const terser = await binScript('terser')
  for (const chunk of (await readdir(outDir)).filter((file) => /^\d+\.index\.js$/.test(file))) {
    const path = join(outDir, chunk)
    await run(terser, [path, '--module', '--compress', '--mangle', '--comments', 'false', '--output', path])
  }
  return join(outDir, 'index.js')
}

const floorNames = ['floor-a', 'floor-b']

/**
 * Removes the floors once measured: `eslint .` does not read .gitignore, so bundles left in .cache/
 * would be linted by `npm run lint`.
 */
export async function removeFloors(): Promise<void> {
  for (const name of floorNames) {
    await rm(join(cacheDir, name), { recursive: true, force: true })
    await rm(join(cacheDir, `${name}.js`), { force: true })
  }
}

export async function buildFloors(): Promise<Floors> {
  await mkdir(cacheDir, { recursive: true })
  const [floorA, floorB] = await Promise.all([buildFloor('floor-a', floorASource), buildFloor('floor-b', floorBSource)])
  return { floorA, floorB }
}
