// Scale: one rotation into N repository secrets against a GitHub sandbox that enforces GitHub's
// documented limits, judged against the least time those limits allow.
import { runAction } from '../sandbox/index.ts'
import { checkRotation, prepareRotation, requestsOf, rotationOptions } from './scenarios.ts'
import type { Sandboxes } from './scenarios.ts'

/** Per-request latency both sandboxes add during the scale runs: a plausible round trip to an API. */
export const scaleLatencyMs = 30

export interface ScaleRun {
  repositories: number
  /** GitHub requests the run sent (reads: GET; writes: PUT). */
  reads: number
  writes: number
  /** Requests GitHub's limits refused (must be 0). */
  refusals: number
  wallMs: number
  /** What GitHub's limits alone force on top of a cold one-repository rotation. */
  limitsMs: number
  floorMs: number
  ratio: number
}

/**
 * The time GitHub's documented limits force on a rotation into `repositories` repository secrets.
 * - Reads: the preflight sends 2 GETs per repository (the secret and its public key); the SuprSend
 *   list goes elsewhere. GETs cost 1 point and any trailing minute allows 900, so P points can go
 *   out in the first minute's burst up to 900, and each further 900 (or part) must wait another
 *   minute: max(0, ceil(P / 900) - 1) * 60 s.
 * - Writes: GitHub asks for mutating requests one at a time, at least a second apart, so N writes
 *   span at least (N - 1) s after the first.
 * Everything else (start-up, the roll, the first read and write) is in the cold one-repository
 * rotation, which the floor adds to this.
 */
export function limitsFloorMs(repositories: number): number {
  const readPoints = 2 * repositories
  const readsMs = Math.max(0, Math.ceil(readPoints / 900) - 1) * 60_000
  const writesMs = Math.max(0, repositories - 1) * 1000
  return readsMs + writesMs
}

/**
 * One rotation into `count` repositories. The sandboxes' logs and limiter are reset first and the
 * run gets a fresh token, so nothing spent earlier counts against it.
 */
export async function scaleRun(sandboxes: Sandboxes, count: number, coldRotationMs: number): Promise<ScaleRun> {
  const { github, suprsend } = sandboxes
  github.reset()
  suprsend.reset()
  github.latencyMs = scaleLatencyMs
  suprsend.latencyMs = scaleLatencyMs
  const repositories = Array.from({ length: count }, (_, i) => `acme/service-${i + 1}`)
  const rotation = prepareRotation(sandboxes, repositories)
  const limitsMs = limitsFloorMs(count)
  const floorMs = coldRotationMs + limitsMs
  // Generous: a run that is slow is reported as slow; only one that hangs is cut off.
  const result = await runAction(rotationOptions(sandboxes, rotation, 3 * floorMs + 120_000))
  const refusals = github.refusals(rotation.token).total
  if (refusals > 0) process.stderr.write(`!! GitHub's limits refused ${refusals} requests of the ${count} run\n`)
  await checkRotation(sandboxes, rotation)(result)
  github.latencyMs = 0
  suprsend.latencyMs = 0
  return {
    repositories: count,
    ...requestsOf(github, rotation.token),
    refusals,
    wallMs: result.durationMs,
    limitsMs,
    floorMs,
    ratio: result.durationMs / floorMs,
  }
}
