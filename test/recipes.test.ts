// The README's recipes are what the action accepts: each recipe's step, its expressions filled in,
// parses into a plan. The demo runs the same steps.
import { describe, expect, it } from 'vitest'
import { parsePlan } from '../src/inputs/plan.ts'
import { fill, recipe, recipeHeadings } from './sandbox/recipes.ts'

/** What a workflow's expressions stand for, as a user's run would have them. */
const expressions = {
  'secrets.SUPRSEND_SERVICE_TOKEN': 'sst_example_token',
  'steps.app-token.outputs.token': 'ghs_example_token',
  'vars.SUPRSEND_PUBLIC_KEY_ID': 'ws_pubk_example',
  'vars.SUPRSEND_API_KEY_ID': 'ws_apik_example',
  'inputs.dry-run || false': 'false',
}
const env = { GITHUB_REPOSITORY: 'acme/app', GITHUB_API_URL: 'https://api.github.com' }

describe("the README's recipes", () => {
  it('include the quick start and a step for every use', () => {
    expect(recipeHeadings()).toEqual([
      'Several repositories and environments in one run',
      'Organization secret',
      'Dependabot secrets',
      'Public key into a variable',
      'Secure mode',
      'Rotating an API key',
      'Listing keys into a report',
      'A dry run',
    ])
  })

  it.each(['Quick start', ...recipeHeadings()])('%s: the step parses', (heading) => {
    const { inputs } = recipe(heading)
    expect(parsePlan(fill(inputs, expressions), env).operation).toBe(inputs['operation'])
  })
})
