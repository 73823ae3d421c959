import * as core from '@actions/core'
import { EnvHttpProxyAgent } from 'undici'
import { main } from './main.ts'

// Honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY, as runners behind a proxy set them.
const dispatcher = new EnvHttpProxyAgent()
try {
  await main({ core, dispatcher, env: process.env })
} catch (error) {
  // Only a defect gets here; its message, never its stack, which could quote data.
  core.setFailed(`The action failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  await dispatcher.close()
}
