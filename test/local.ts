// `npm run local`: runs the action from source (src/index.ts, which Node 24 runs directly by
// stripping its types) against your real SuprSend workspace, with inputs from a git-ignored .env
// file, the way the runner would run it: INPUT_* variables with action.yml's defaults applied, and
// temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. Prints the log as the runner would show it
// (registered masks applied), the outputs (secret ones masked) and the job summary.
//
//   npm run local                              inputs from .env
//   npm run local -- --dotenv staging.env     inputs from another file
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { inputNames, type InputName } from '../src/inputs.ts'
import {
  actionInputDefaults,
  inputEnvName,
  maskLine,
  maskRunnerLog,
  parseFileCommand,
  repoRoot,
} from './sandbox/index.ts'

/** Keys that .env may set besides inputs: the runner's variables the action reads, and proxies. */
const passThrough = new Set([
  'GITHUB_REPOSITORY',
  'GITHUB_API_URL',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'RUNNER_DEBUG',
])

/** Operations that return a secret that exists nowhere else once the run ends. */
const returnsSecret = new Set([
  'create-signing-key',
  'roll-signing-key',
  'rotate-signing-key',
  'create-api-key',
  'rotate-api-key',
])

const usage = `Usage: npm run local [-- --dotenv <file>]

Runs the action from src/ with inputs from a .env file (default: .env in the repository root).
Keys may be written as the input name (service-token), in upper case with underscores
(SERVICE_TOKEN) or as the runner's variable (INPUT_SERVICE_TOKEN or INPUT_SERVICE-TOKEN).
Also accepted: ${[...passThrough].join(', ')}. See .env.example.

An operation that creates or rolls a key must store it in GitHub (SECRET_NAME): the key is shown
only once and this tool never writes it to disk.`

class UsageError extends Error {}

interface Options {
  dotenv: string
}

function parseArgs(args: string[]): Options | undefined {
  const options: Options = { dotenv: join(repoRoot, '.env') }
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg]
    const value = (): string => {
      const next = inline ?? args[++i]
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a file name.`)
      return next
    }
    if (flag === '--help' || flag === '-h') return undefined
    else if (flag === '--dotenv') options.dotenv = resolve(value())
    else throw new UsageError(`Unknown argument '${arg}'.`)
  }
  return options
}

/** The input a .env key names: `service-token`, `SERVICE_TOKEN`, `INPUT_SERVICE_TOKEN`, `INPUT_SERVICE-TOKEN`. */
export function inputForKey(key: string): InputName | undefined {
  const name = key
    .replace(/^INPUT_/i, '')
    .toLowerCase()
    .replace(/_/g, '-')
  return (inputNames as readonly string[]).includes(name) ? (name as InputName) : undefined
}

/** Splits a parsed .env file into action inputs and environment variables; unknown keys are an error. */
export function readDotEnv(values: Record<string, string | undefined>): {
  inputs: Partial<Record<InputName, string>>
  env: Record<string, string>
} {
  const inputs: Partial<Record<InputName, string>> = {}
  const env: Record<string, string> = {}
  const keyFor = new Map<InputName, string>()
  const unknown: string[] = []
  for (const [key, value = ''] of Object.entries(values)) {
    if (passThrough.has(key)) {
      // Empty means unset, as for inputs, so a blank line in .env does not override the shell.
      if (value !== '') env[key] = value
      continue
    }
    const input = inputForKey(key)
    if (input === undefined) {
      unknown.push(key)
      continue
    }
    const earlier = keyFor.get(input)
    if (earlier !== undefined) throw new UsageError(`Keys '${earlier}' and '${key}' both set input '${input}'.`)
    keyFor.set(input, key)
    inputs[input] = value
  }
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `'${k}'`).join(', ')}: expected an input of action.yml (see .env.example) or one of ${[...passThrough].join(', ')}.`,
    )
  }
  return { inputs, env }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

async function run(options: Options): Promise<number> {
  if (!existsSync(options.dotenv)) {
    throw new UsageError(`${options.dotenv} does not exist: copy .env.example to .env and fill it in.`)
  }
  const { inputs, env: extraEnv } = readDotEnv(parseEnv(await readFile(options.dotenv, 'utf8')))

  const operation = inputs.operation ?? ''
  const dryRun = /^true$/i.test(inputs['dry-run'] ?? '')
  if (returnsSecret.has(operation) && !dryRun && !inputs['secret-name']) {
    throw new UsageError(
      `Operation '${operation}' returns a secret that SuprSend shows only once, and this run would print it masked and then delete it. ` +
        `Set SECRET_NAME (and GITHUB_TOKEN) to store it in GitHub, or set DRY_RUN=true.`,
    )
  }

  const tempDir = await mkdtemp(join(tmpdir(), 'suprsend-keys-local-'))
  try {
    const files = { output: join(tempDir, 'github_output'), summary: join(tempDir, 'step_summary') }
    await Promise.all([writeFile(files.output, '', { mode: 0o600 }), writeFile(files.summary, '')])

    const env: Record<string, string> = {}
    for (const [name, value] of Object.entries(process.env)) {
      // Stray INPUT_ variables or another step's files must not leak into this run.
      if (value === undefined || /^INPUT_/i.test(name) || /^GITHUB_(OUTPUT|STEP_SUMMARY|STATE|ENV|PATH)$/.test(name))
        continue
      env[name] = value
    }
    // The runner passes every declared input, with action.yml's default when the workflow sets none.
    const defaults = actionInputDefaults(await readFile(join(repoRoot, 'action.yml'), 'utf8'))
    for (const [name, value] of Object.entries(defaults)) env[inputEnvName(name)] = value
    for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value
    Object.assign(env, extraEnv, { GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary })

    console.log(
      `Running ${operation || '(no operation)'} on workspace '${inputs.workspace ?? ''}' from src/index.ts${dryRun ? ' (dry run)' : ''}...\n`,
    )
    const child = spawn(process.execPath, [join(repoRoot, 'src/index.ts')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const exitCode = await new Promise<number>((done, fail) => {
      child.once('error', fail)
      child.once('close', (code, signal) => done(code ?? (signal ? 1 : 0)))
    })

    // Nothing the child printed is shown before the runner's masking has been applied to it.
    const { log, masks } = maskRunnerLog(Buffer.concat(out).toString('utf8'))
    const secrets = new Set<string>()
    for (const mask of masks) {
      secrets.add(mask)
      for (const line of mask.split(/[\r\n]+/)) if (line.trim() !== '') secrets.add(line.trim())
    }
    const hide = (text: string): string =>
      text
        .split('\n')
        .map((line) => maskLine(line, secrets))
        .join('\n')

    console.log('--- log (as the runner shows it) ---')
    process.stdout.write(log)
    const stderr = Buffer.concat(err).toString('utf8')
    if (stderr.trim() !== '') {
      console.log('--- stderr ---')
      process.stdout.write(hide(stderr.endsWith('\n') ? stderr : `${stderr}\n`))
    }

    const outputs = parseFileCommand(await readFile(files.output, 'utf8'))
    console.log('\n--- outputs ---')
    for (const [name, value] of Object.entries(outputs)) {
      const shown = hide(value)
      const label = shown === value ? name : `${name} (masked)`
      console.log(value.includes('\n') ? `${label}:\n${indent(shown)}` : `${label}: ${shown}`)
    }
    if (Object.keys(outputs).length === 0) console.log('(none)')

    const summary = await readFile(files.summary, 'utf8')
    console.log('\n--- job summary ---')
    process.stdout.write(summary.trim() === '' ? '(empty)\n' : hide(summary))

    console.log(`\nThe action exited with code ${exitCode}.`)
    return exitCode
  } finally {
    // The output file held any new key in plain text, as the runner's own file does; remove it.
    await rm(tempDir, { recursive: true, force: true })
  }
}

async function mainCli(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < 24) {
    console.error(
      `npm run local needs Node 24 (found ${process.version}); run it through npm, which uses the Node 24 from node_modules.`,
    )
    process.exitCode = 1
    return
  }
  try {
    const options = parseArgs(process.argv.slice(2))
    if (options === undefined) {
      console.log(usage)
      return
    }
    process.exitCode = await run(options)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`${error.message}\n\n${usage}`)
    process.exitCode = 2
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(repoRoot, 'test/local.ts')) await mainCli()
