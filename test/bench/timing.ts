// Timing helpers: whole-process wall time of child processes, measured round-robin so that whatever
// else the machine does weighs on every contender alike, and the peak RSS of one run.
import { spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { runAction } from '../sandbox/index.ts'
import type { RunActionOptions, RunActionResult } from '../sandbox/index.ts'
import { cacheDir } from './floors.ts'

export interface Stats {
  median: number
  min: number
  max: number
  /** Every timed run, in ms, in the order they ran. */
  runs: number[]
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: values }
}

/** Wall time of bare `node -e 0`, from spawn to exit, the same window runAction() times. */
export function timeBareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['-e', '0'], { env: { PATH: process.env['PATH'] ?? '' }, stdio: 'ignore' })
    child.on('error', reject)
    child.on('close', (code) => {
      const elapsed = performance.now() - started
      if (code === 0) resolve(elapsed)
      else reject(new Error(`node -e 0 exited ${code}`))
    })
  })
}

/** What one run should have done; throws (with a masked log) when it did not. */
export type Check = (result: RunActionResult) => void | Promise<void>

/**
 * Runs a bundle as the runner does and returns only the child's wall time (runAction() times spawn to
 * exit; its temp files are written before and read after that window).
 */
export async function timedRun(options: RunActionOptions, check: Check): Promise<number> {
  const result = await runAction(options)
  await check(result)
  return result.durationMs
}

export interface Contender {
  label: string
  /** One run: resolves with its wall time in ms, rejects when the run failed. */
  run: () => Promise<number>
}

/**
 * R rounds; each round runs every contender once, starting one further along each time, so that no
 * contender always follows the same neighbour (or always goes first after a pause). One untimed round
 * first warms the file cache, as on a runner that has just downloaded the action.
 */
export async function interleave(contenders: Contender[], rounds: number): Promise<Record<string, Stats>> {
  for (const contender of contenders) await contender.run()
  const times = new Map<string, number[]>(contenders.map((c) => [c.label, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length] as Contender
      times.get(contender.label)?.push(await contender.run())
    }
  }
  return Object.fromEntries([...times].map(([label, values]) => [label, stats(values)]))
}

/** One run to make: its options and what it must have done. */
export interface Planned {
  options: RunActionOptions
  check: Check
}

/**
 * Peak RSS (KiB) of one run, read in the child by process.resourceUsage() at exit. The probe comes in
 * through NODE_OPTIONS as a data: URL, so it needs no file, no extra install and no /usr/bin/time;
 * these runs are not timed. Returns the largest of `runs` runs.
 */
export async function peakRssKb(plan: () => Planned, runs = 3): Promise<number> {
  const probe =
    "import{writeFileSync}from'node:fs';" +
    "process.on('exit',()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))"
  const peaks: number[] = []
  for (let i = 0; i < runs; i++) {
    const file = join(cacheDir, `rss-${process.pid}-${i}`)
    const { options, check } = plan()
    const nodeOptions = `--import=data:text/javascript,${encodeURIComponent(probe)}`
    await timedRun({ ...options, env: { ...options.env, BENCH_RSS_FILE: file, NODE_OPTIONS: nodeOptions } }, check)
    peaks.push(Number(await readFile(file, 'utf8')))
    await rm(file, { force: true })
  }
  return Math.max(...peaks)
}
