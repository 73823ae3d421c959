// GitHub's secondary limit of 900 points a minute, kept by the action's points bucket: whatever the
// demand, no 60-second window is granted more than 850 points. A simulated clock makes it exact.
import { describe, expect, it } from 'vitest'
import { LimitWatch, PointsBucket, type Clock } from '../src/github/octokit.ts'

function simulatedClock(): Clock & { advance(ms: number): void } {
  let now = 0
  return {
    now: () => now,
    sleep: async (ms) => void (now += ms),
    advance: (ms) => void (now += ms),
  }
}

describe('the points bucket', () => {
  it('grants a burst of 250 points at once', async () => {
    const clock = simulatedClock()
    const bucket = new PointsBucket(250, 10, clock)
    for (let i = 0; i < 250; i++) await bucket.take(1)
    expect(clock.now()).toBe(0)
  })

  it('then refills at 10 points a second: a write (5 points) waits half a second', async () => {
    const clock = simulatedClock()
    const bucket = new PointsBucket(250, 10, clock)
    await bucket.take(250)
    await bucket.take(5)
    expect(clock.now()).toBe(500)
  })

  it('never grants more than 850 points in any 60-second window', async () => {
    const clock = simulatedClock()
    const bucket = new PointsBucket(250, 10, clock)
    const grants: { at: number; cost: number }[] = []
    // 1,000 reads, then 300 writes, as fast as the bucket allows.
    for (const cost of [...Array<number>(1000).fill(1), ...Array<number>(300).fill(5)]) {
      await bucket.take(cost)
      grants.push({ at: clock.now(), cost })
    }
    let worst = 0
    for (const start of grants) {
      const window = grants.filter((g) => g.at >= start.at && g.at < start.at + 60_000)
      worst = Math.max(
        worst,
        window.reduce((sum, g) => sum + g.cost, 0),
      )
    }
    expect(worst).toBeLessThanOrEqual(850)
    expect(worst).toBeGreaterThan(800)
  })
})

describe('a known limit', () => {
  const answer = (status: number, headers: Record<string, string>, body = '') => new Response(body, { status, headers })

  it('holds every request until the primary budget resets, once GitHub says none is left', async () => {
    const watch = new LimitWatch()
    const reset = Math.ceil(Date.now() / 1000) + 600
    await watch.note(
      answer(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '5000' }),
    )
    expect([watch.holdUntil, watch.budget]).toEqual([
      reset * 1000,
      { limit: 5000, remaining: 0, resetAt: reset * 1000 },
    ])
  })

  it('holds as long as a secondary limit’s retry-after asks', async () => {
    const watch = new LimitWatch()
    const before = Date.now()
    await watch.note(answer(403, { 'retry-after': '30' }, '{"message":"You have exceeded a secondary rate limit."}'))
    expect(watch.holdUntil).toBeGreaterThanOrEqual(before + 30_000)
  })

  it('holds a minute after a secondary limit that names no time, as GitHub asks', async () => {
    const watch = new LimitWatch()
    const before = Date.now()
    await watch.note(answer(403, {}, '{"message":"You have exceeded a secondary rate limit."}'))
    expect(watch.holdUntil - before).toBeGreaterThanOrEqual(60_000)
  })

  it('keeps the lowest count of one window, whatever order the answers arrive in', async () => {
    const watch = new LimitWatch()
    const reset = String(Math.ceil(Date.now() / 1000) + 600)
    await watch.note(answer(200, { 'x-ratelimit-remaining': '40', 'x-ratelimit-reset': reset }))
    await watch.note(answer(200, { 'x-ratelimit-remaining': '42', 'x-ratelimit-reset': reset }))
    expect(watch.budget?.remaining).toBe(40)
  })

  it('does not hold for a permission 403', async () => {
    const watch = new LimitWatch()
    await watch.note(answer(403, {}, '{"message":"Resource not accessible by integration"}'))
    expect(watch.holdUntil).toBe(0)
  })
})
