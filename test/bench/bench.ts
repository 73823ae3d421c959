/**
 * `npm run bench`: start-up, rotation and fan-out cost of the bundled action.
 *
 * Runs dist/index.js as a child process, exactly as the runner would, against
 * the loopback sandbox, and reports every figure in ms and as a ratio to a
 * baseline measured in the same run. Writes the results to test/bench/results.json
 * and the table into README.md between its bench markers. `--check` exits
 * non-zero when a budget is missed.
 *
 * Budgets (issue "Speed and footprint"):
 * - cold rotation into one repository secret: at most 3x bare `node -e 0`;
 * - rotation into 20 repositories at 50 ms per request: at most 1.5x the same into 1;
 * - dist/ at most 1.5 MB.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as prettier from 'prettier'
import { actionInputDefaults, inputEnvName, repoRoot, startGitHub, startSuprSend } from '../sandbox/index.ts'

const runs = Number(process.env['BENCH_RUNS'] ?? 15)
const latencyMs = 50
const fanOut = [1, 5, 20, 50]
const bundle = join(repoRoot, 'dist', 'index.js')
const resultsFile = join(repoRoot, 'test', 'bench', 'results.json')
const work = mkdtempSync(join(tmpdir(), 'action-bench-'))
const rssProbe = join(work, 'rss-probe.cjs')
// Reports the child's peak RSS on exit; used only in separate, untimed runs.
writeFileSync(
  rssProbe,
  "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)))\n",
)

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Runs a command once and resolves with its wall time; rejects if it fails. */
function timeOnce(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      const elapsed = performance.now() - started
      if (code === 0) resolve(elapsed)
      else reject(new Error(`${args.join(' ')} exited ${code}:\n${output.replace(/::add-mask::.*\n/g, '')}`))
    })
  })
}

const actionDefaults = actionInputDefaults(readFileSync(join(repoRoot, 'action.yml'), 'utf8'))

/** The environment the runner gives a step: INPUT_* from action.yml defaults and the step's inputs. */
function stepEnv(inputs: Record<string, string>, githubApiUrl: string): Record<string, string> {
  const output = join(work, `output-${Math.random().toString(36).slice(2)}`)
  const summary = join(work, `summary-${Math.random().toString(36).slice(2)}`)
  writeFileSync(output, '')
  writeFileSync(summary, '')
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_API_URL: githubApiUrl,
    GITHUB_REPOSITORY: 'acme/app',
    RUNNER_TEMP: work,
  }
  for (const [name, value] of Object.entries({ ...actionDefaults, ...inputs })) env[inputEnvName(name)] = value
  return env
}

type Command = () => { args: string[]; env: Record<string, string> }

/**
 * Times several commands round-robin, one run of each per round, so that
 * whatever else the machine does in the meantime weighs on all of them
 * alike; the ratios then compare like with like. Returns each median.
 */
async function measure(commands: Record<string, Command>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {}
  for (const [label, make] of Object.entries(commands)) {
    const { args, env } = make()
    await timeOnce(args, env) // warm the file cache, as on a runner that just downloaded the action
    times[label] = []
  }
  for (let i = 0; i < runs; i++) {
    for (const [label, make] of Object.entries(commands)) {
      const { args, env } = make()
      times[label]?.push(await timeOnce(args, env))
    }
  }
  const medians: Record<string, number> = {}
  for (const [label, values] of Object.entries(times)) {
    medians[label] = median(values)
    process.stderr.write(`  ${label}: median ${median(values).toFixed(1)} ms over ${runs} runs\n`)
  }
  return medians
}

async function peakRssKb(makeArgs: Command): Promise<number> {
  const peaks: number[] = []
  for (let i = 0; i < 3; i++) {
    const { args, env } = makeArgs()
    const file = join(work, `rss-${i}`)
    await timeOnce(['--require', rssProbe, ...args], { ...env, BENCH_RSS_FILE: file })
    peaks.push(Number(readFileSync(file, 'utf8')))
  }
  return Math.max(...peaks)
}

function distBytes(): number {
  const dir = join(repoRoot, 'dist')
  return readdirSync(dir).reduce((total, name) => total + statSync(join(dir, name)).size, 0)
}

const suprsend = await startSuprSend()
const github = await startGitHub({ tokens: ['bench-github-token'] })
suprsend.addWorkspace('bench')
suprsend.seedSigningKey('bench')
github.addRepository('acme/app')
const repositories = Array.from({ length: Math.max(...fanOut) }, (_, i) => `acme/service-${i + 1}`)
for (const name of repositories) github.addRepository(name)

const common = { 'service-token': suprsend.token, workspace: 'bench', 'api-url': suprsend.url }
const rotation = (repos: string[]) => () => ({
  args: [bundle],
  env: stepEnv(
    {
      ...common,
      operation: 'rotate-signing-key',
      'secret-name': 'SUPRSEND_SIGNING_KEY',
      'github-token': 'bench-github-token',
      repositories: repos.join('\n'),
    },
    github.url,
  ),
})

process.stderr.write(`Benchmarking ${bundle} on Node ${process.version}\n`)
const cold = await measure({
  'bare node -e 0': () => ({ args: ['-e', '0'], env: { PATH: process.env['PATH'] ?? '' } }),
  'cold run: list-signing-keys': () => ({
    args: [bundle],
    env: stepEnv({ ...common, operation: 'list-signing-keys' }, github.url),
  }),
  'cold rotation: 1 repository secret': rotation(['acme/app']),
})
const bare = cold['bare node -e 0'] as number
const coldRun = cold['cold run: list-signing-keys'] as number
const coldRotation = cold['cold rotation: 1 repository secret'] as number
const rss = await peakRssKb(rotation(['acme/app']))

suprsend.latencyMs = latencyMs
github.latencyMs = latencyMs
const fanTimes = await measure(
  Object.fromEntries(
    fanOut.map((n) => [
      `fan-out: ${n} repositories at ${latencyMs} ms per request`,
      rotation(repositories.slice(0, n)),
    ]),
  ),
)
const fan: Record<number, number> = Object.fromEntries(
  fanOut.map((n) => [n, fanTimes[`fan-out: ${n} repositories at ${latencyMs} ms per request`] as number]),
)
await suprsend.close()
await github.close()
rmSync(work, { recursive: true, force: true })

const lowerBound = coldRotation + 3 * latencyMs
const size = distBytes()
const one = fan[1] as number
const twenty = fan[20] as number
const budgets = [
  { name: 'cold rotation <= 3x bare node', ok: coldRotation / bare <= 3 },
  { name: 'fan-out 20 <= 1.5x fan-out 1', ok: twenty / one <= 1.5 },
  { name: 'dist/ <= 1.5 MB', ok: size <= 1.5 * 1024 * 1024 },
]
const rows = [
  { figure: 'bare `node -e 0` (baseline)', ms: bare, ratio: '1.00x bare' },
  { figure: 'cold run: `list-signing-keys`', ms: coldRun, ratio: `${(coldRun / bare).toFixed(2)}x bare` },
  {
    figure: 'cold rotation: 1 repository secret',
    ms: coldRotation,
    ratio: `${(coldRotation / bare).toFixed(2)}x bare`,
  },
  ...fanOut.map((n) => ({
    figure: `fan-out: ${n} repositor${n === 1 ? 'y' : 'ies'}, ${latencyMs} ms per request`,
    ms: fan[n] as number,
    ratio: `${((fan[n] as number) / one).toFixed(2)}x N=1, ${((fan[n] as number) / lowerBound).toFixed(2)}x lower bound`,
  })),
]
const results = {
  node: process.version,
  runsPerFigure: runs,
  latencyMs,
  lowerBoundMs: Number(lowerBound.toFixed(1)),
  figures: rows.map((r) => ({ figure: r.figure, medianMs: Number(r.ms.toFixed(1)), ratio: r.ratio })),
  distBytes: size,
  peakRssKb: rss,
  budgets,
}
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`)

const table = [
  '| figure | median | ratio |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${r.figure} | ${r.ms.toFixed(1)} ms | ${r.ratio} |`),
  `| round-trip lower bound (cold rotation + 3 x ${latencyMs} ms) | ${lowerBound.toFixed(1)} ms | |`,
  `| total size of dist/ | ${size.toLocaleString('en-US')} bytes | ${(size / 1024 / 1024).toFixed(2)} MB of 1.5 MB |`,
  `| peak RSS, cold rotation | ${(rss / 1024).toFixed(1)} MB | |`,
].join('\n')
const verdicts = budgets.map((b) => `${b.ok ? 'PASS' : 'MISS'}  ${b.name}`).join('\n')
console.log(`${table}\n\n${verdicts}`)

const readmeFile = join(repoRoot, 'README.md')
const readme = readFileSync(readmeFile, 'utf8')
const marked = /(<!-- bench:start -->\n)[\s\S]*?(<!-- bench:end -->)/
if (marked.test(readme)) {
  const block = `Measured with Node ${process.version}, median of ${runs} runs each, on a 2-core Linux x64 machine:\n\n${table}\n\n\`\`\`text\n${verdicts}\n\`\`\`\n`
  const updated = readme.replace(marked, (_, start: string, end: string) => `${start}${block}${end}`)
  const options = (await prettier.resolveConfig(readmeFile)) ?? {}
  writeFileSync(readmeFile, await prettier.format(updated, { ...options, filepath: readmeFile }))
}
console.log(`\nWritten to ${resultsFile.slice(repoRoot.length)} and README.md`)
if (process.argv.includes('--check') && budgets.some((b) => !b.ok)) process.exitCode = 1
