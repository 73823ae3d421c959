// Sandbox entry point: both stand-in servers plus runAction(), which runs the action's bundle the way
// the GitHub runner runs a `node24` action, and reproduces the runner's log masking.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export * from './suprsend.ts'
export * from './github.ts'
export { htmlProxyPage } from './http.ts'

/** The repository root (two levels above this file). */
export const repoRoot: string = fileURLToPath(new URL('../../', import.meta.url))

export interface RunActionOptions {
  /** Bundle to run; relative paths resolve from the repository root. Default 'dist/index.js'. */
  bundle?: string
  /** Action inputs by their action.yml name; each becomes INPUT_<NAME> (upper-cased, spaces -> '_', hyphens kept). */
  inputs?: Record<string, string | number | boolean | undefined>
  /**
   * Apply action.yml input defaults as the runner does (every declared input is set, '' when it has
   * no default; defaults that are `${{ }}` expressions are skipped). true = <repoRoot>/action.yml if
   * it exists (default); a string = that file; false = off.
   */
  actionDefaults?: boolean | string
  /** GITHUB_API_URL; default 'http://127.0.0.1:9' (refuses connections, so nothing reaches api.github.com). */
  githubApiUrl?: string
  /** GITHUB_REPOSITORY; default 'acme/app'. */
  repository?: string
  /** Sets RUNNER_DEBUG=1 (core.isDebug()). */
  debug?: boolean
  /** Extra environment (applied last; undefined removes a variable). */
  env?: Record<string, string | undefined>
  /** Kill the child (SIGKILL) after this many ms; default 60000. */
  timeoutMs?: number
  /** Keep the temp directory (for debugging); its path is returned as `tempDir`. */
  keepTemp?: boolean
  /** Told of each line the action prints, with a way to signal the process (as the runner does on cancel). */
  onLine?: (line: string, signal: (name: NodeJS.Signals) => void) => void
}

export interface RunActionResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  durationMs: number
  stdout: string
  stderr: string
  /** From GITHUB_OUTPUT (both `name=value` and `name<<DELIM` forms; last write wins). */
  outputs: Record<string, string>
  /** From GITHUB_ENV. */
  exportedEnv: Record<string, string>
  /** From GITHUB_STATE. */
  state: Record<string, string>
  /** Content of GITHUB_STEP_SUMMARY. */
  summary: string
  /** Values registered with ::add-mask::, decoded, in order (duplicates removed). */
  masks: string[]
  /** stdout as the runner would show it (see maskRunnerLog). */
  maskedLog: string
  /** The complete environment the child got, INPUT_ variables included. */
  env: Record<string, string>
  tempDir: string
}

const ESSENTIAL_ENV = ['PATH', 'HOME', 'TZ', 'LANG', 'LC_ALL', 'TMPDIR', 'USER']

/** INPUT_ variable name exactly as the runner derives it. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Decode a workflow-command data value (%25 -> %, %0D -> CR, %0A -> LF), in one pass. */
export function decodeCommandData(data: string): string {
  return data.replace(/%(25|0D|0A)/g, (_m, code: string) => (code === '25' ? '%' : code === '0D' ? '\r' : '\n'))
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  return lines
}

function parseCommand(line: string): { command: string; data: string } | undefined {
  const message = line.trimStart()
  if (!message.startsWith('::')) return undefined
  const end = message.indexOf('::', 2)
  if (end < 0) return undefined
  const info = message.slice(2, end)
  const space = info.indexOf(' ')
  return { command: (space < 0 ? info : info.slice(0, space)).toLowerCase(), data: message.slice(end + 2) }
}

/** Replace every occurrence of every secret with ***, merging overlapping/adjacent matches (runner's SecretMasker). */
export function maskLine(line: string, secrets: Iterable<string>): string {
  const ranges: Array<[number, number]> = []
  for (const secret of secrets) {
    if (secret === '') continue
    for (let at = line.indexOf(secret); at >= 0; at = line.indexOf(secret, at + 1))
      ranges.push([at, at + secret.length])
  }
  if (ranges.length === 0) return line
  ranges.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const range of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1])
    else merged.push([range[0], range[1]])
  }
  let out = ''
  let position = 0
  for (const [start, end] of merged) {
    out += `${line.slice(position, start)}***`
    position = end
  }
  return out + line.slice(position)
}

/**
 * The runner's masking of a step's stdout, line by line in order:
 * - `::add-mask::<data>` lines are not shown; the decoded data is registered as a whole AND each of
 *   its CR/LF-separated lines, trimmed, if non-empty (a whitespace-only value registers nothing and
 *   the runner prints a warning instead).
 * - Every other line is shown with every value registered SO FAR replaced by `***` (lines printed
 *   before a registration stay visible).
 * Not reproduced: the runner's extra encoded forms (base64, JSON/URL-escaped, ...) of registered
 * values are NOT masked here, so this is stricter than the runner; other workflow commands
 * (::warning:: etc.) are shown raw, not rendered. Each line ends with '\n'.
 */
export function maskRunnerLog(stdout: string): { log: string; masks: string[] } {
  const masks: string[] = []
  const secrets = new Set<string>()
  let log = ''
  for (const line of splitLines(stdout)) {
    const command = parseCommand(line)
    if (command?.command === 'add-mask') {
      const value = decodeCommandData(command.data)
      if (value.trim() === '') {
        log += "##[warning]Can't add secret mask for empty string in ##[add-mask] command.\n"
        continue
      }
      if (!masks.includes(value)) masks.push(value)
      secrets.add(value)
      for (const part of value.split(/[\r\n]+/)) {
        const trimmed = part.trim()
        if (trimmed !== '') secrets.add(trimmed)
      }
      continue
    }
    log += `${maskLine(line, secrets)}\n`
  }
  return { log, masks }
}

/**
 * Parse a GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE file as the runner does on Linux: lines split on
 * LF; `name=value` or `name<<DELIMITER` followed by value lines up to a line equal to DELIMITER
 * (joined with LF). Throws on a missing delimiter or an empty name, like the runner fails the step.
 */
export function parseFileCommand(content: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = content.split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? ''
    if (line === '') continue
    const eq = line.indexOf('=')
    const heredoc = line.indexOf('<<')
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq)
      if (name === '') throw new Error(`Invalid format '${line}'. Name must not be empty`)
      out[name] = line.slice(eq + 1)
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc)
      const delimiter = line.slice(heredoc + 2)
      if (name === '' || delimiter === '') throw new Error(`Invalid format '${line}'`)
      const value: string[] = []
      let closed = false
      for (i += 1; i < lines.length; i += 1) {
        if (lines[i] === delimiter) {
          closed = true
          break
        }
        value.push(lines[i] ?? '')
      }
      if (!closed) throw new Error(`Matching delimiter not found '${delimiter}'`)
      out[name] = value.join('\n')
    } else {
      throw new Error(`Invalid format '${line}'`)
    }
  }
  return out
}

function unquoteYaml(raw: string): string | undefined {
  const text = raw.trim()
  if (text.startsWith("'")) {
    const end = text.lastIndexOf("'")
    return end > 0 ? text.slice(1, end).replace(/''/g, "'") : undefined
  }
  if (text.startsWith('"')) {
    const end = text.lastIndexOf('"')
    if (end <= 0) return undefined
    try {
      return JSON.parse(text.slice(0, end + 1)) as string
    } catch {
      return undefined
    }
  }
  return text.replace(/\s+#.*$/, '')
}

/**
 * Minimal reader of action.yml `inputs:` (names and scalar defaults; `|`/`>` block scalars supported
 * plainly). Returns input name -> default ('' when none). Expression defaults (`${{ }}`) are omitted.
 */
export function actionInputDefaults(yamlText: string): Record<string, string> {
  const lines = yamlText.split(/\r?\n/)
  const out: Record<string, string> = {}
  const start = lines.findIndex((l) => /^inputs:\s*(#.*)?$/.test(l))
  if (start < 0) return out
  const indentOf = (l: string): number => l.length - l.trimStart().length
  let inputIndent = -1
  let current: string | undefined
  for (let i = start + 1; i < lines.length; i += 1) {
    const line = lines[i] ?? ''
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const indent = indentOf(line)
    if (indent === 0) break
    if (inputIndent < 0) inputIndent = indent
    const keyMatch = /^\s*(['"]?)([^'":]+)\1:\s*(.*)$/.exec(line)
    if (indent === inputIndent && keyMatch !== null) {
      current = keyMatch[2] ?? ''
      out[current] = ''
      continue
    }
    if (current === undefined || keyMatch === null || keyMatch[2] !== 'default') continue
    const raw = keyMatch[3] ?? ''
    let value: string | undefined
    if (/^[|>][-+]?\s*$/.test(raw)) {
      const block: string[] = []
      let blockIndent = -1
      for (let j = i + 1; j < lines.length; j += 1) {
        const next = lines[j] ?? ''
        if (next.trim() !== '' && indentOf(next) <= indent) break
        if (blockIndent < 0 && next.trim() !== '') blockIndent = indentOf(next)
        block.push(next.slice(Math.max(0, blockIndent)))
        i = j
      }
      while (block.length > 0 && block[block.length - 1]?.trim() === '') block.pop()
      const folded = raw.startsWith('>') ? block.join(' ') : block.join('\n')
      value = raw.includes('-') ? folded : `${folded}\n`
    } else {
      value = unquoteYaml(raw)
    }
    if (value === undefined || value.includes('${{')) {
      delete out[current]
    } else {
      out[current] = value
    }
  }
  return out
}

/** Run the action bundle as a child process the way the runner does; see RunActionOptions. */
export async function runAction(options: RunActionOptions = {}): Promise<RunActionResult> {
  const bundle = resolve(repoRoot, options.bundle ?? 'dist/index.js')
  const tempDir = await mkdtemp(join(tmpdir(), 'sandbox-action-'))
  const files = {
    output: join(tempDir, 'github_output'),
    summary: join(tempDir, 'step_summary'),
    env: join(tempDir, 'github_env'),
    state: join(tempDir, 'github_state'),
    path: join(tempDir, 'github_path'),
    event: join(tempDir, 'event.json'),
  }
  const runnerTemp = join(tempDir, 'runner_temp')
  const workspace = join(tempDir, 'workspace')
  try {
    await Promise.all([mkdir(runnerTemp), mkdir(workspace)])
    await Promise.all([
      writeFile(files.output, ''),
      writeFile(files.summary, ''),
      writeFile(files.env, ''),
      writeFile(files.state, ''),
      writeFile(files.path, ''),
    ])
    const repository = options.repository ?? 'acme/app'
    const [owner = '', repoName = ''] = repository.split('/')
    await writeFile(
      files.event,
      JSON.stringify({
        inputs: {},
        ref: 'refs/heads/main',
        repository: { full_name: repository, name: repoName, owner: { login: owner } },
      }),
    )
    const apiUrl = options.githubApiUrl ?? 'http://127.0.0.1:9'

    const env: Record<string, string> = {}
    for (const name of ESSENTIAL_ENV) {
      const value = process.env[name]
      if (value !== undefined) env[name] = value
    }
    Object.assign(env, {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: apiUrl,
      GITHUB_GRAPHQL_URL: `${apiUrl}/graphql`,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_OWNER: owner,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_WORKSPACE: workspace,
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_WORKFLOW: 'sandbox',
      GITHUB_JOB: 'sandbox',
      GITHUB_ACTION: 'suprsend-workspace-keys',
      GITHUB_ACTOR: 'sandbox-user',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_ENV: files.env,
      GITHUB_STATE: files.state,
      GITHUB_PATH: files.path,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: 'sandbox-runner',
      RUNNER_ENVIRONMENT: 'github-hosted',
    })
    if (options.debug === true) env.RUNNER_DEBUG = '1'

    const defaultsFile =
      options.actionDefaults === false
        ? undefined
        : typeof options.actionDefaults === 'string'
          ? resolve(repoRoot, options.actionDefaults)
          : join(repoRoot, 'action.yml')
    if (defaultsFile !== undefined && existsSync(defaultsFile)) {
      for (const [name, value] of Object.entries(actionInputDefaults(readFileSync(defaultsFile, 'utf8'))))
        env[inputEnvName(name)] = value
    } else if (typeof options.actionDefaults === 'string') {
      throw new Error(`runAction: action metadata '${defaultsFile}' not found`)
    }
    for (const [name, value] of Object.entries(options.inputs ?? {})) {
      if (value !== undefined) env[inputEnvName(name)] = String(value)
    }
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name]
      else env[name] = value
    }

    const started = performance.now()
    const child = spawn(process.execPath, [bundle], { env, cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] })
    if (options.onLine) {
      let pending = ''
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) options.onLine?.(line, (name) => child.kill(name))
      })
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 60_000)
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.once('error', fail)
      child.once('close', (code, sig) => done([code, sig]))
    }).finally(() => clearTimeout(timer))
    const durationMs = performance.now() - started

    const stdout = Buffer.concat(out).toString('utf8')
    const stderr = Buffer.concat(err).toString('utf8')
    const [outputText, summary, envText, stateText] = await Promise.all([
      readFile(files.output, 'utf8'),
      readFile(files.summary, 'utf8'),
      readFile(files.env, 'utf8'),
      readFile(files.state, 'utf8'),
    ])
    const masked = maskRunnerLog(stdout)
    return {
      exitCode,
      signal,
      timedOut,
      durationMs,
      stdout,
      stderr,
      outputs: parseFileCommand(outputText),
      exportedEnv: parseFileCommand(envText),
      state: parseFileCommand(stateText),
      summary,
      masks: masked.masks,
      maskedLog: masked.log,
      env,
      tempDir,
    }
  } finally {
    if (options.keepTemp !== true) await rm(tempDir, { recursive: true, force: true })
  }
}
