// Keeps the documentation honest: the README's generated tables match action.yml and
// src/operations.ts, every input and output is described, action.yml declares exactly the inputs
// the code reads and every output the code sets, the README stays within its size budget, and
// every relative link in the README and in docs/ leads to a file and, with an #anchor, a heading.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inputNames } from '../src/inputs/plan.ts'
import { operationNames, operations } from '../src/operations.ts'
import {
  actionPath,
  between,
  generated,
  operationsTable,
  parseActionMetadata,
  readmePath,
  renderReadme,
  repoRoot,
} from './docs/generate.ts'
import { actionInputDefaults } from './sandbox/index.ts'

const actionYaml = readFileSync(actionPath, 'utf8')
const metadata = parseActionMetadata(actionYaml)
const readme = readFileSync(readmePath, 'utf8')
const docsDir = join(repoRoot, 'docs')
const docsPages = readdirSync(docsDir)
  .filter((name) => name.endsWith('.md'))
  .map((name) => join(docsDir, name))
const developmentPath = join(docsDir, 'development.md')

/** GitHub's limit is far larger; this one keeps the README a page for users, with the long material in docs/. */
const maxReadmeBytes = 30_000

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/**
 * Output names that src/ sets: `outputs['x'] = ...` (also `report.outputs['x'] = ...`),
 * `output('x', ...)`, and the keys of the object given to `keyArrived({...}, ...)`.
 */
function outputsSetInSource(): Set<string> {
  const names = new Set<string>()
  for (const file of sourceFiles(join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/outputs\[\s*['"]([A-Za-z0-9_-]+)['"]\s*\]\s*=(?!=)/g))
      names.add(match[1] as string)
    for (const match of text.matchAll(/\boutput\(\s*['"]([A-Za-z0-9_-]+)['"]/g)) names.add(match[1] as string)
    for (const call of text.matchAll(/keyArrived\(\s*\{([^}]*)\}/g)) {
      for (const key of (call[1] as string).matchAll(/['"]([A-Za-z0-9_-]+)['"]\s*:/g)) names.add(key[1] as string)
    }
  }
  return names
}

const fencedBlocks = /^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm

/** Markdown without its fenced code blocks, code spans and comments, where a `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown
    .replace(fencedBlocks, '')
    .replace(/(`+)[\s\S]*?\1/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
}

/** GitHub's heading anchors: lower-case, spaces to '-', punctuation other than '-' and '_' dropped; repeats get -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const match of markdown.replace(fencedBlocks, '').matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const heading = (match[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .trim()
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}

/** Every relative link target in Markdown: `[text](path)`, `[text](path#anchor)` and `[text](#anchor)`. */
function relativeLinks(markdown: string): string[] {
  const links = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g
  const targets = Array.from(prose(markdown).matchAll(links), (match) => match[1] as string)
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
}

/** Why a link from `file` to `target` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#', 2)
  const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
  if (!existsSync(destination)) return `${target}: no such file`
  if (anchor === undefined) return undefined
  if (!destination.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`
  const anchors = anchorsOf(readFileSync(destination, 'utf8'))
  return anchors.has(decodeURIComponent(anchor)) ? undefined : `${target}: no heading for #${anchor}`
}

function brokenLinksIn(file: string): string[] {
  const markdown = readFileSync(file, 'utf8')
  return relativeLinks(markdown).flatMap((target) => {
    const problem = brokenLink(file, target)
    return problem ? [`${relative(repoRoot, file)}: ${problem}`] : []
  })
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

  it('declares exactly the inputs that src/inputs/plan.ts reads (inputNames)', () => {
    expect(metadata.inputs.map((i) => i.name).sort()).toEqual([...inputNames].sort())
  })

  it('declares every output that src/ sets', () => {
    const declared = new Set(metadata.outputs.map((o) => o.name))
    const missing = [...outputsSetInSource()].filter((name) => !declared.has(name))
    expect(missing, 'set in src/ but missing from action.yml').toEqual([])
  })

  it('declares no output that src/ never sets', () => {
    const set = outputsSetInSource()
    expect(set.size).toBeGreaterThan(0)
    const unset = metadata.outputs.map((o) => o.name).filter((name) => !set.has(name))
    expect(unset, 'in action.yml but never set in src/').toEqual([])
  })
})

describe('README.md', () => {
  it(`is at most ${maxReadmeBytes} bytes (move long material to docs/)`, () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(maxReadmeBytes)
  })

  it("has the operations, inputs and outputs tables that 'npm run docs' generates", async () => {
    expect(await renderReadme(readme, actionYaml)).toBe(readme)
  })

  it("has an operations table in sync with src/operations.ts (fix with 'npm run docs')", () => {
    expect(between(readme, 'operations')).toBe(generated(operationsTable(operations)))
  })

  it("names every operation in its operations table (fix with 'npm run docs')", () => {
    const table = between(readme, 'operations')
    const missing = operationNames.filter((name) => !table.includes(`| \`${name}\` |`))
    expect(missing, 'operations missing from the README table').toEqual([])
  })

  it('keeps the markers the generator writes between', () => {
    for (const marker of ['operations', 'inputs', 'outputs']) {
      expect(readme).toContain(`<!-- ${marker}:start -->`)
      expect(readme).toContain(`<!-- ${marker}:end -->`)
    }
  })

  it('has only relative links that resolve to a file, and anchors that resolve to a heading', () => {
    expect(relativeLinks(readme).length).toBeGreaterThan(0)
    expect(brokenLinksIn(readmePath)).toEqual([])
  })
})

describe('docs/', () => {
  it('has the pages the README links to', () => {
    for (const page of ['troubleshooting.md', 'security.md', 'development.md', 'releases.md']) {
      expect(docsPages, `docs/${page} is missing`).toContain(join(docsDir, page))
    }
  })

  it.each(docsPages.map((path) => [relative(repoRoot, path), path]))(
    '%s has only relative links that resolve to a file, and anchors that resolve to a heading',
    (_name, path) => {
      expect(brokenLinksIn(path as string)).toEqual([])
    },
  )

  it('keeps the markers the benchmark writes its table between in development.md', () => {
    const development = readFileSync(developmentPath, 'utf8')
    expect(development).toContain('<!-- bench:start -->')
    expect(development).toContain('<!-- bench:end -->')
  })

  it('describes every module of src/ in development.md', () => {
    const development = readFileSync(developmentPath, 'utf8')
    const modules = sourceFiles(join(repoRoot, 'src')).map((path) => relative(repoRoot, path).replace(/\\/g, '/'))
    const missing = modules.filter((module) => !development.includes(`\`${module}\``))
    expect(missing, 'src/ modules that docs/development.md does not describe').toEqual([])
  })
})

describe('the link checker', () => {
  it("finds GitHub's anchors for headings with code, punctuation and repeats", () => {
    const anchors = anchorsOf('# A `dry-run`, then: more!\n\n## Notes\n\n## Notes\n\n```md\n# Not a heading\n```\n')
    expect([...anchors]).toEqual(['a-dry-run-then-more', 'notes', 'notes-1'])
  })

  it('reports a missing file and a missing anchor, and skips absolute URLs and code', () => {
    const links = relativeLinks('[a](nowhere.md) [b](#gone) [c](https://example.com) `[d](code.md)`')
    expect(links).toEqual(['nowhere.md', '#gone'])
    expect(links.map((link) => brokenLink(readmePath, link))).toEqual([
      'nowhere.md: no such file',
      '#gone: no heading for #gone',
    ])
  })
})
