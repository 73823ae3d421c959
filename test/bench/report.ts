// The benchmark's verdicts and its three outputs: the table on stdout, test/bench/results.json and
// results.md, and the region between the bench markers of docs/development.md when it has them.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as prettier from 'prettier'
import { repoRoot } from '../sandbox/index.ts'
import type { ScaleRun } from './scale.ts'
import type { Stats } from './timing.ts'

export const budgets = {
  listVsFloorA: { budget: 1.5, ambition: 1.2 },
  rotationVsFloorB: { budget: 2.0, ambition: 1.5 },
  distBytes: { budget: 1.5 * 1024 * 1024, ambition: 1024 * 1024 },
  scaleVsFloor: { budget: 1.1 },
}

export interface Measurements {
  rounds: number
  startup: { bare: Stats; floorA: Stats; floorB: Stats; list: Stats; rotation: Stats }
  startupRefusals: number
  distBytes: number
  peakRssKb: number
  scaleLatencyMs: number
  scale: ScaleRun[]
  /** Wall time of each part of the benchmark, ms. */
  partsMs: Record<string, number>
}

export interface Verdict {
  figure: string
  value: number
  budget: number
  ambition?: number
  pass: boolean
  ambitionMet?: boolean
}

function verdict(figure: string, value: number, limits: { budget: number; ambition?: number }): Verdict {
  const { budget, ambition } = limits
  const judged: Verdict = { figure, value, budget, pass: value <= budget }
  return ambition === undefined ? judged : { ...judged, ambition, ambitionMet: value <= ambition }
}

export function judge(m: Measurements): Verdict[] {
  const { startup } = m
  return [
    verdict('list / floor A', startup.list.median / startup.floorA.median, budgets.listVsFloorA),
    verdict('rotation / floor B', startup.rotation.median / startup.floorB.median, budgets.rotationVsFloorB),
    verdict('dist/ bytes', m.distBytes, budgets.distBytes),
    verdict('start-up refusals', m.startupRefusals, { budget: 0 }),
    ...m.scale.flatMap((run) => [
      verdict(`scale ${run.repositories}: wall / floor`, run.ratio, budgets.scaleVsFloor),
      verdict(`scale ${run.repositories}: GitHub refusals`, run.refusals, { budget: 0 }),
    ]),
  ]
}

// How figures read in the tables.
const ms = (value: number) => `${value.toFixed(1)} ms`
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`
const ratio = (value: number) => `${value.toFixed(2)}×`
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`
const spread = (stats: Stats) => `${stats.median.toFixed(1)} ms (${stats.min.toFixed(1)}–${stats.max.toFixed(1)})`
const multipleLimit = (n: number) => `${n.toFixed(1)}×`
const mibLimit = (bytes: number) => `${bytes / 1024 / 1024} MiB`
const limitText = (limits: { budget: number; ambition?: number }, unit: (n: number) => string) =>
  `≤ ${unit(limits.budget)}${limits.ambition === undefined ? '' : ` (${unit(limits.ambition)})`}`
const outcome = (v: Verdict | undefined) => {
  if (v === undefined) return ''
  const ambition = v.ambitionMet === undefined ? '' : v.ambitionMet ? ', ambition met' : ', ambition missed'
  return `${v.pass ? 'PASS' : 'FAIL'}${ambition}`
}

function startupTable(m: Measurements, verdicts: Verdict[]): string {
  const { bare, floorA, floorB, list, rotation } = m.startup
  const find = (figure: string) => outcome(verdicts.find((v) => v.figure === figure))
  const listRatio = `${ratio(list.median / floorA.median)} floor A`
  const rotationRatio = `${ratio(rotation.median / floorB.median)} floor B`
  const rotationBudget = limitText(budgets.rotationVsFloorB, multipleLimit)
  const distBudget = limitText(budgets.distBytes, mibLimit)
  return markdownTable([
    ['figure', 'median (min–max)', 'ratio', 'budget (ambition)', 'result'],
    ['bare `node -e 0` (reference)', spread(bare), '1.00× bare'],
    ['floor A: @actions/core, one input', spread(floorA), `${ratio(floorA.median / bare.median)} bare`],
    ['floor B: floor A + @actions/github, Octokit', spread(floorB), `${ratio(floorB.median / bare.median)} bare`],
    [
      'cold `list-signing-keys`',
      spread(list),
      listRatio,
      limitText(budgets.listVsFloorA, multipleLimit),
      find('list / floor A'),
    ],
    ['cold rotation, 1 repository secret', spread(rotation), rotationRatio, rotationBudget, find('rotation / floor B')],
    [
      '`dist/`, all files',
      `${m.distBytes.toLocaleString('en-US')} B`,
      mib(m.distBytes),
      distBudget,
      find('dist/ bytes'),
    ],
    ['peak RSS, cold rotation', `${(m.peakRssKb / 1024).toFixed(1)} MiB`],
    ['GitHub refusals, start-up', String(m.startupRefusals), '', '0', find('start-up refusals')],
  ])
}

function scaleTable(m: Measurements, verdicts: Verdict[]): string {
  const rows = [['repositories', 'GitHub reads / writes', 'refusals', 'wall', 'floor', 'wall / floor', 'result']]
  for (const run of m.scale) {
    const slow = verdicts.find((v) => v.figure === `scale ${run.repositories}: wall / floor`)
    const refused = verdicts.find((v) => v.figure === `scale ${run.repositories}: GitHub refusals`)
    const pass = slow?.pass === true && refused?.pass === true
    const floor = `${seconds(run.floorMs)} (${ms(run.floorMs - run.limitsMs)} + ${seconds(run.limitsMs)})`
    const cells = [`${run.reads} / ${run.writes}`, String(run.refusals), seconds(run.wallMs), floor, ratio(run.ratio)]
    rows.push([String(run.repositories), ...cells, pass ? 'PASS' : 'FAIL'])
  }
  return markdownTable(rows)
}

function markdownTable(rows: string[][]): string {
  const [head = [], ...body] = rows
  const line = (cells: string[]) => `| ${head.map((_, i) => cells[i] ?? '').join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n')
}

/** How the figures are taken and what the floors are, under the tables. */
const notes = [
  '- Times are whole-process wall times of `node <bundle>`, spawn to exit, as the runner starts a `node24` action.',
  '  Each round runs all five in a rotating order, after one untimed warm-up round.',
  '- Floor A is an ncc bundle (`--minify`, as `dist/` is built) that imports @actions/core and reads one input;',
  '  floor B adds @actions/github and an Octokit with the throttling and retry plugins the action uses.',
  '- Each start-up rotation rolls the one active key of its own workspace into `acme/app` with a token of its own,',
  "  so every round does the same work within GitHub's limits.",
  "- Scale floor = the cold one-repository rotation (median above) + what GitHub's limits force. Reads: the",
  "  preflight's 2 GETs per repository cost P = 2N points; 900 fit in the first minute and each further 900 waits",
  '  a minute: `max(0, ceil(P / 900) - 1) × 60 s`. Writes: N writes one a second take `(N - 1) s`. The SuprSend',
  '  calls and the network latency are not in the limits part, and reads and writes are not assumed to overlap.',
]

/** The Markdown block: command, machine, tables, and how the floors are defined. */
export function markdown(m: Measurements, verdicts: Verdict[], machine: string): string {
  const scale =
    m.scale.length === 0
      ? ['Scale runs were skipped (`--skip-scale`).']
      : [scaleTable(m, verdicts), '', 'Target for wall / floor: at most 1.1×; refusals must be 0.']
  const took = Object.entries(m.partsMs).map(([name, took]) => `${name} ${seconds(took)}`)
  return [
    'Reproduce with `npm run bench` (`npm run bench -- --scale-500` adds the 500-repository run; `-- --check`',
    `exits 1 when a budget is missed). Measured on ${machine}.`,
    '',
    `**Start-up**: ${m.rounds} interleaved rounds, no added latency (loopback sandboxes).`,
    '',
    startupTable(m, verdicts),
    '',
    `**Scale**: rotations into N repository secrets, ${m.scaleLatencyMs} ms added to every request by both`,
    "sandboxes, GitHub's default limits.",
    '',
    ...scale,
    '',
    'Notes:',
    '',
    ...notes,
    `- This run took: ${took.join('; ')}.`,
    '',
  ].join('\n')
}

export async function formatted(text: string, filepath: string): Promise<string> {
  const options = (await prettier.resolveConfig(filepath)) ?? {}
  return prettier.format(text, { ...options, filepath, parser: 'markdown' })
}

const markers = /(<!-- bench:start -->)[\s\S]*?(<!-- bench:end -->)/

/**
 * Fills the markers of docs/development.md, if it has them. Another engineer owns the rest of that
 * file: when it was prettier-clean before, the whole file is formatted (which then changes only this
 * block); when it was not, only the block is formatted, and their work in progress is left as it is.
 */
async function fillDocs(block: string): Promise<string | undefined> {
  const file = join(repoRoot, 'docs', 'development.md')
  if (!existsSync(file)) return undefined
  const before = await readFile(file, 'utf8')
  if (!markers.test(before)) return undefined
  const options = { ...((await prettier.resolveConfig(file)) ?? {}), filepath: file }
  const wasClean = await prettier.check(before, options)
  const inner = (await formatted(block, file)).trimEnd()
  let after = before.replace(markers, (_, start: string, end: string) => `${start}\n\n${inner}\n\n${end}`)
  if (wasClean) after = await prettier.format(after, options)
  await writeFile(file, after)
  return file
}

/** Writes results.json, results.md and the docs block; returns the files written. */
export async function writeOutputs(results: object, block: string): Promise<string[]> {
  const dir = join(repoRoot, 'test', 'bench')
  const json = join(dir, 'results.json')
  const md = join(dir, 'results.md')
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`)
  await writeFile(md, await formatted(`# Benchmark results\n\n${block}`, md))
  const docs = await fillDocs(block)
  return [json, md, ...(docs === undefined ? [] : [docs])].map((file) => file.slice(repoRoot.length))
}
