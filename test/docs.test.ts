// Keeps the documentation honest: the README's inputs and outputs tables match action.yml, every
// input and output is described, and action.yml declares exactly the inputs the code reads and
// every output the code sets.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inputNames, operations } from '../src/inputs.ts'
import { actionPath, parseActionMetadata, readmePath, renderReadme, repoRoot } from './docs/generate.ts'
import { actionInputDefaults } from './sandbox/index.ts'

const actionYaml = readFileSync(actionPath, 'utf8')
const metadata = parseActionMetadata(actionYaml)

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Output names that src/ sets: `outputs['x'] = ...`, `setOutput('x', ...)` and the keys given to `onSecret({...})`. */
function outputsSetInSource(): Set<string> {
  const names = new Set<string>()
  for (const file of sourceFiles(join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/outputs\[\s*['"]([A-Za-z0-9_-]+)['"]\s*\]\s*=(?!=)/g))
      names.add(match[1] as string)
    for (const match of text.matchAll(/setOutput\(\s*['"]([A-Za-z0-9_-]+)['"]/g)) names.add(match[1] as string)
    for (const call of text.matchAll(/onSecret\(\s*\{([^}]*)\}/g)) {
      for (const key of (call[1] as string).matchAll(/['"]([A-Za-z0-9_-]+)['"]\s*:/g)) names.add(key[1] as string)
    }
  }
  return names
}

describe('action.yml', () => {
  it('is read by the docs generator the same way the sandbox reads its defaults', () => {
    const defaults = actionInputDefaults(actionYaml)
    expect(metadata.inputs.map((i) => i.name)).toEqual(Object.keys(defaults))
    for (const input of metadata.inputs)
      expect(input.properties['default'] ?? '', input.name).toBe(defaults[input.name])
  })

  it('gives every input a description, and every optional input a default', () => {
    expect(metadata.inputs.length).toBeGreaterThan(0)
    for (const input of metadata.inputs) {
      expect(input.properties['description']?.trim(), `input '${input.name}' has no description`).toBeTruthy()
      const required = input.properties['required']
      expect(['true', 'false'], `input '${input.name}' says required: ${required}`).toContain(required)
      if (required === 'false') {
        expect(input.properties, `optional input '${input.name}' has no default`).toHaveProperty('default')
      } else {
        // A default on a required input would make 'required' meaningless.
        expect(input.properties['default'] ?? '', `required input '${input.name}' has a default`).toBe('')
      }
    }
  })

  it('gives every output a description', () => {
    expect(metadata.outputs.length).toBeGreaterThan(0)
    for (const output of metadata.outputs) {
      expect(output.properties['description']?.trim(), `output '${output.name}' has no description`).toBeTruthy()
    }
  })

  it('declares exactly the inputs that src/inputs.ts reads', () => {
    expect(metadata.inputs.map((i) => i.name).sort()).toEqual([...inputNames].sort())
  })

  it('declares every output that src/ sets, and no output that src/ never sets', () => {
    const set = outputsSetInSource()
    const declared = new Set(metadata.outputs.map((o) => o.name))
    expect(set.size).toBeGreaterThan(0)
    expect(
      [...set].filter((name) => !declared.has(name)),
      'set in src/ but missing from action.yml',
    ).toEqual([])
    expect(
      [...declared].filter((name) => !set.has(name)),
      'in action.yml but never set in src/',
    ).toEqual([])
  })
})

describe('README.md', () => {
  it("has inputs and outputs tables in sync with action.yml (fix with 'npm run docs')", async () => {
    const readme = readFileSync(readmePath, 'utf8')
    expect(await renderReadme(readme, actionYaml)).toBe(readme)
  })

  it('keeps the markers the generator and the benchmark write between', () => {
    const readme = readFileSync(readmePath, 'utf8')
    for (const marker of ['inputs', 'outputs', 'bench']) {
      expect(readme).toContain(`<!-- ${marker}:start -->`)
      expect(readme).toContain(`<!-- ${marker}:end -->`)
    }
  })

  it('documents every operation', () => {
    const readme = readFileSync(readmePath, 'utf8')
    for (const name of operations)
      expect(readme, `README does not mention operation '${name}'`).toContain(`\`${name}\``)
  })
})
