/**
 * `npm run bench`: start-up, footprint and scale of the bundled action (dist/index.js), run as child
 * processes exactly as the runner runs a `node24` action, against the loopback sandboxes.
 *
 * - Start-up, one interleaved run: bare `node -e 0`, floor A (@actions/core), floor B (+ Octokit),
 *   a cold `list-signing-keys` (budget 1.5x floor A, ambition 1.2x) and a cold rotation into one
 *   repository secret (budget 2.0x floor B, ambition 1.5x); the floors are built here (floors.ts).
 * - dist/ size (budget 1.5 MiB, ambition 1 MiB) and the peak RSS of a cold rotation.
 * - Scale: rotations into 20 and 100 repositories (500 with --scale-500) against GitHub's default
 *   limits; 0 refusals, and at most 1.1x the floor those limits impose (scale.ts).
 *
 * Options: --rounds N (default 15), --skip-scale, --scale-500, --check (exit 1 when a budget is
 * missed or GitHub refused a request). Writes test/bench/results.json and results.md, and the table
 * into docs/development.md between its bench markers when they are there.
 */
import { readdirSync, statSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot } from '../sandbox/index.ts'
import { buildFloors, removeFloors, type Floors } from './floors.ts'
import { formatted, judge, markdown, writeOutputs, type Measurements } from './report.ts'
import { scaleLatencyMs, scaleRun, type ScaleRun } from './scale.ts'
import { checkExit, checkList, checkRotation, floorOptions, listOptions } from './scenarios.ts'
import { prepareRotation, rotationOptions, startSandboxes, type Sandboxes } from './scenarios.ts'
import { interleave, peakRssKb, timeBareNode, timedRun, type Planned } from './timing.ts'

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    check: { type: 'boolean', default: false },
    'skip-scale': { type: 'boolean', default: false },
    'scale-500': { type: 'boolean', default: false },
  },
})
const rounds = Number(flags.rounds)
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${flags.rounds}`)
const scaleCounts = flags['skip-scale'] ? [] : flags['scale-500'] ? [20, 100, 500] : [20, 100]

const partsMs: Record<string, number> = {}
const log = (line: string) => process.stderr.write(`${line}\n`)

/** Runs one part of the benchmark and notes how long it took. */
async function part<T>(name: string, work: () => Promise<T>): Promise<T> {
  log(`${name}...`)
  const started = performance.now()
  const value = await work()
  partsMs[name] = performance.now() - started
  log(`${name}: ${(partsMs[name] / 1000).toFixed(1)} s`)
  return value
}

/** A cold rotation of dist/index.js into acme/app, in a workspace and with a token of its own. */
function oneRepositoryRotation(sandboxes: Sandboxes): Planned {
  const rotation = prepareRotation(sandboxes, ['acme/app'])
  return { options: rotationOptions(sandboxes, rotation), check: checkRotation(sandboxes, rotation) }
}

/** A contender that makes a fresh plan for each run, runs it and checks what it did. */
const contender = (label: string, plan: () => Planned) => ({
  label,
  run: () => {
    const { options, check } = plan()
    return timedRun(options, check)
  },
})

async function measureStartup(sandboxes: Sandboxes, floors: Floors): Promise<Measurements['startup']> {
  const times = await interleave(
    [
      { label: 'bare', run: timeBareNode },
      contender('floorA', () => ({ options: floorOptions(floors.floorA), check: checkExit('floor A', sandboxes) })),
      contender('floorB', () => ({ options: floorOptions(floors.floorB), check: checkExit('floor B', sandboxes) })),
      contender('list', () => ({ options: listOptions(sandboxes), check: checkList(sandboxes) })),
      contender('rotation', () => oneRepositoryRotation(sandboxes)),
    ],
    rounds,
  )
  const { bare, floorA, floorB, list, rotation } = times
  if (!bare || !floorA || !floorB || !list || !rotation) throw new Error('a start-up figure is missing')
  return { bare, floorA, floorB, list, rotation }
}

function distBytes(): number {
  const dir = join(repoRoot, 'dist')
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
  return files.reduce((total, entry) => total + statSync(join(entry.parentPath, entry.name)).size, 0)
}

async function measure(sandboxes: Sandboxes): Promise<Measurements> {
  const floors = await part('building floors A and B', buildFloors)
  const startup = await part(`start-up, ${rounds} rounds`, () =>
    measureStartup(sandboxes, floors).finally(removeFloors),
  )
  const startupRefusals = sandboxes.github.refusals().total
  if (startupRefusals > 0) log(`!! GitHub's limits refused ${startupRefusals} requests during the start-up part`)
  const peakRss = await part('peak RSS', () => peakRssKb(() => oneRepositoryRotation(sandboxes)))
  const scale: ScaleRun[] = []
  for (const count of scaleCounts) {
    const run = await part(`scale, ${count} repositories`, () => scaleRun(sandboxes, count, startup.rotation.median))
    scale.push(run)
  }
  return {
    rounds,
    startup,
    startupRefusals,
    distBytes: distBytes(),
    peakRssKb: peakRss,
    scaleLatencyMs,
    scale,
    partsMs,
  }
}

log(`Benchmarking dist/index.js on Node ${process.version}`)
// Other work on the machine shows in the start-up figures; the load average says how much there was.
const loadAtStart = loadavg()[0] as number
const sandboxes = await startSandboxes()
const measurements = await measure(sandboxes).finally(() =>
  Promise.all([sandboxes.suprsend.close(), sandboxes.github.close()]),
)
const verdicts = judge(measurements)
const cpuList = cpus()
const cpuModel = cpuList[0]?.model.trim() ?? 'unknown'
const load = `load average ${loadAtStart.toFixed(2)} at the start, ${(loadavg()[0] as number).toFixed(2)} at the end`
const machine = `${process.platform} ${process.arch}, ${cpuList.length} CPUs (${cpuModel}), Node ${process.version}, ${load}`
const block = markdown(measurements, verdicts, machine)
const results = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { platform: process.platform, arch: process.arch, cpus: cpuList.length, model: cpuModel },
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
  command: scaleCounts.includes(500) ? 'npm run bench -- --scale-500' : 'npm run bench',
  ...measurements,
  verdicts,
}
// Two decimals are plenty for ms and ratios; integers (bytes, counts) stay exact.
const rounded = JSON.parse(
  JSON.stringify(results, (_, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value,
  ),
) as object
const written = await writeOutputs(rounded, block)
console.log(await formatted(block, join(repoRoot, 'test', 'bench', 'results.md')))
for (const v of verdicts)
  console.log(`${v.pass ? 'PASS' : 'FAIL'}  ${v.figure}: ${Number(v.value.toFixed(3))} (≤ ${v.budget})`)
log(`Written: ${written.join(', ')}`)
if (flags.check && verdicts.some((v) => !v.pass)) process.exitCode = 1
