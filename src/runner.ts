import { randomUUID } from 'node:crypto'
import { appendFileSync, existsSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { EOL } from 'node:os'

/**
 * The runner's protocol, as much of it as this action uses: inputs from
 * INPUT_* variables, workflow commands on stdout, outputs and the job
 * summary in the files the runner names.
 *
 * It writes exactly what @actions/core writes (test/runner.test.ts runs both
 * side by side). The action does not load @actions/core itself because that
 * package's entry point also loads its OIDC client, an HTTP client with
 * undici and @actions/exec: about 40 ms of start-up on every run for code
 * this action never calls.
 */
export interface Core {
  getInput(name: string): string
  setOutput(name: string, value: string): void
  setSecret(secret: string): void
  setFailed(message: string): void
  info(message: string): void
  warning(message: string): void
  summary: { addRaw(text: string): { write(): Promise<unknown> } }
}

/** Workflow-command data escaping: the runner decodes %25, %0D and %0A. */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

function command(name: string, message: string, properties: Record<string, string> = {}): void {
  const props = Object.entries(properties)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',')
  process.stdout.write(`::${name}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`)
}

function fileCommand(variable: 'GITHUB_OUTPUT', message: string): void {
  const path = process.env[variable]
  if (!path || !existsSync(path)) throw new Error(`Missing file at path: ${path ?? ''} (${variable})`)
  appendFileSync(path, `${message}${EOL}`, { encoding: 'utf8' })
}

let summaryBuffer = ''

export const runner: Core = {
  getInput(name) {
    return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
  },

  setOutput(name, value) {
    if (!process.env['GITHUB_OUTPUT']) {
      process.stdout.write(EOL)
      command('set-output', value, { name })
      return
    }
    // A random delimiter, refused if the value contains it, so a value can never end its own heredoc.
    const delimiter = `ghadelimiter_${randomUUID()}`
    if (name.includes(delimiter) || value.includes(delimiter)) {
      throw new Error(`Unexpected input: output ${name} contains the delimiter`)
    }
    fileCommand('GITHUB_OUTPUT', `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`)
  },

  setSecret(secret) {
    command('add-mask', secret)
  },

  setFailed(message) {
    process.exitCode = 1
    command('error', message)
  },

  info(message) {
    process.stdout.write(`${message}${EOL}`)
  },

  warning(message) {
    command('warning', message)
  },

  summary: {
    addRaw(text) {
      summaryBuffer += text
      return {
        async write() {
          const path = process.env['GITHUB_STEP_SUMMARY']
          if (!path) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY.')
          const text = summaryBuffer
          summaryBuffer = ''
          await appendFile(path, text, { encoding: 'utf8' })
        },
      }
    },
  },
}
