import type { Transport } from './http.ts'
import { main } from './main.ts'
import { runner } from './runner.ts'
import { createTransport, EnvironmentError } from './transport.ts'

let transport: Transport | undefined
try {
  transport = await createTransport(process.env)
  await main({ core: runner, dispatcher: transport, env: process.env })
} catch (error) {
  // Only a bad environment or a defect gets here: its message, never its stack, which could quote data.
  const message = error instanceof Error ? error.message : String(error)
  runner.setFailed(error instanceof EnvironmentError ? message : `The action failed unexpectedly: ${message}`)
} finally {
  await transport?.close?.()
}
