import { main } from './main.ts'
import { runner } from './runner.ts'
import { createTransport } from './transport.ts'

const transport = await createTransport(process.env)
try {
  await main({ core: runner, dispatcher: transport, env: process.env })
} catch (error) {
  // Only a defect gets here; its message, never its stack, which could quote data.
  runner.setFailed(`The action failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  await transport.close?.()
}
