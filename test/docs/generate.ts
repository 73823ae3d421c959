// Generates the README's tables between their markers: the operations table from
// src/operations.ts (<!-- operations:start --> / <!-- operations:end -->), and the inputs and
// outputs tables from action.yml (<!-- inputs:start --> / <!-- inputs:end -->,
// <!-- outputs:start --> / <!-- outputs:end -->).
//
//   npm run docs            rewrite README.md
//   npm run docs -- --check exit 1 when README.md is out of date
//
// Each table is preceded by <!-- prettier-ignore -->, so Prettier leaves it compact: padded to
// align, the inputs table alone would take a third of the README's size budget.
//
// action.yml is read with a small parser for the simple structure it has (no YAML dependency):
// top-level `inputs:` and `outputs:` maps whose entries hold scalar properties, written plain,
// single- or double-quoted, or as `>`/`|` block scalars.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { operations, type Operation } from '../../src/operations.ts'

export const repoRoot: string = fileURLToPath(new URL('../../', import.meta.url))
export const readmePath: string = `${repoRoot}README.md`
export const actionPath: string = `${repoRoot}action.yml`

export interface ActionEntry {
  name: string
  /** Each property as its string value, for example description, required, default. */
  properties: Record<string, string>
}

export interface ActionMetadata {
  inputs: ActionEntry[]
  outputs: ActionEntry[]
}

const indentOf = (line: string): number => line.length - line.trimStart().length
const isBlank = (line: string): boolean => line.trim() === '' || line.trimStart().startsWith('#')

function unquote(raw: string, where: string): string {
  const text = raw.trim()
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`action.yml: unterminated quote at ${where}`)
    return text.slice(1, -1).replace(/''/g, "'")
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`action.yml: unterminated quote at ${where}`)
    return JSON.parse(text) as string
  }
  // A plain scalar ends at a comment.
  return text.replace(/\s+#.*$/, '')
}

/** Reads a `>`/`|` block scalar whose lines follow `start`; returns the value and the last line used. */
function blockScalar(lines: string[], start: number, header: string, parentIndent: number): [string, number] {
  const block: string[] = []
  let blockIndent = -1
  let last = start
  for (let i = start + 1; i < lines.length; i += 1) {
    const line = lines[i] ?? ''
    if (line.trim() !== '' && indentOf(line) <= parentIndent) break
    if (blockIndent < 0 && line.trim() !== '') blockIndent = indentOf(line)
    block.push(line.trim() === '' ? '' : line.slice(blockIndent))
    last = i
  }
  while (block.length > 0 && block[block.length - 1] === '') {
    block.pop()
  }
  let value: string
  if (header.startsWith('>')) {
    // Folding: single line breaks become spaces, blank lines become line breaks.
    value = block.reduce((text, line, index) => {
      if (index === 0) return line
      if (line === '') return `${text}\n`
      return text.endsWith('\n') ? text + line : `${text} ${line}`
    }, '')
  } else {
    value = block.join('\n')
  }
  if (!header.includes('-')) value += '\n'
  return [value, last]
}

/** Entries of one top-level map (`inputs:` or `outputs:`), in file order. */
function readSection(lines: string[], section: string): ActionEntry[] {
  const start = lines.findIndex((line) => new RegExp(`^${section}:\\s*(#.*)?$`).test(line))
  if (start < 0) return []
  const entries: ActionEntry[] = []
  let entryIndent = -1
  let propertyIndent = -1
  let current: ActionEntry | undefined
  for (let i = start + 1; i < lines.length; i += 1) {
    const line = lines[i] ?? ''
    if (isBlank(line)) continue
    const indent = indentOf(line)
    if (indent === 0) break
    const match = /^\s*([A-Za-z0-9_-]+):(?:\s+(.*))?$/.exec(line)
    if (!match) throw new Error(`action.yml: cannot read line ${i + 1} in '${section}': ${line.trim()}`)
    const key = match[1] as string
    const raw = (match[2] ?? '').trim()
    if (entryIndent < 0) entryIndent = indent
    if (indent === entryIndent) {
      if (raw !== '') throw new Error(`action.yml: ${section}.${key} at line ${i + 1} should be a map`)
      current = { name: key, properties: {} }
      entries.push(current)
      propertyIndent = -1
      continue
    }
    if (current === undefined || indent < entryIndent) {
      throw new Error(`action.yml: unexpected indentation at line ${i + 1}`)
    }
    if (propertyIndent < 0) propertyIndent = indent
    if (indent !== propertyIndent) throw new Error(`action.yml: unexpected indentation at line ${i + 1}`)
    const where = `line ${i + 1}`
    if (/^[|>][-+]?$/.test(raw)) {
      const [value, last] = blockScalar(lines, i, raw, indent)
      current.properties[key] = value
      i = last
    } else {
      current.properties[key] = unquote(raw, where)
    }
  }
  return entries
}

export function parseActionMetadata(yamlText: string): ActionMetadata {
  const lines = yamlText.split(/\r?\n/)
  return { inputs: readSection(lines, 'inputs'), outputs: readSection(lines, 'outputs') }
}

/** One table cell: a single line, with pipes escaped. */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim()
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``
}

export function inputsTable(metadata: ActionMetadata): string {
  const rows = metadata.inputs.map((input) => {
    const required = input.properties['required'] === 'true' ? 'yes' : 'no'
    const fallback = input.properties['default']
    const shown = fallback === undefined || fallback === '' ? '' : code(fallback)
    return `| ${code(input.name)} | ${required} | ${cell(shown)} | ${cell(input.properties['description'] ?? '')} |`
  })
  return ['| Input | Required | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

export function outputsTable(metadata: ActionMetadata): string {
  const rows = metadata.outputs.map(
    (output) => `| ${code(output.name)} | ${cell(output.properties['description'] ?? '')} |`,
  )
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n')
}

/** What the operations table shows of each operation. */
export type OperationDocs = Record<string, Pick<Operation, 'family' | 'needs' | 'sets'>>

/** One row per operation, in the table's order; the family is named on its first row only. */
export function operationsTable(table: OperationDocs = operations): string {
  let family = ''
  const rows = Object.entries(table).map(([name, operation]) => {
    const shown = operation.family === family ? '' : operation.family
    family = operation.family
    return `| ${cell(shown)} | ${code(name)} | ${cell(operation.needs)} | ${cell(operation.sets)} |`
  })
  return ['| Family | Operation | Needs | Sets |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

const markers = (marker: string) => [`<!-- ${marker}:start -->`, `<!-- ${marker}:end -->`] as const

/** The text between a pair of markers, trimmed; throws when the markers are missing. */
export function between(text: string, marker: string): string {
  const [start, end] = markers(marker)
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < 0 || to < from) throw new Error(`README.md lacks the markers ${start} ... ${end}`)
  return text.slice(from + start.length, to).trim()
}

/** A generated table as it stands between its markers: compact, with Prettier told to leave it so. */
export function generated(table: string): string {
  return `<!-- prettier-ignore -->\n${table}`
}

function replaceBetween(text: string, marker: string, content: string): string {
  const [start, end] = markers(marker)
  between(text, marker)
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  return `${text.slice(0, from + start.length)}\n\n${generated(content)}\n\n${text.slice(to)}`
}

/** The README with fresh tables, formatted with the project's Prettier settings. */
export async function renderReadme(
  readme: string,
  actionYaml: string,
  table: OperationDocs = operations,
): Promise<string> {
  const metadata = parseActionMetadata(actionYaml)
  let text = replaceBetween(readme, 'operations', operationsTable(table))
  text = replaceBetween(text, 'inputs', inputsTable(metadata))
  text = replaceBetween(text, 'outputs', outputsTable(metadata))
  const options = (await prettier.resolveConfig(readmePath)) ?? {}
  return prettier.format(text, { ...options, filepath: readmePath })
}

async function run(): Promise<void> {
  const check = process.argv.includes('--check')
  const [readme, actionYaml] = await Promise.all([readFile(readmePath, 'utf8'), readFile(actionPath, 'utf8')])
  const fresh = await renderReadme(readme, actionYaml)
  if (fresh === readme) {
    console.log('README.md: the operations, inputs and outputs tables are up to date.')
    return
  }
  if (check) {
    console.error("README.md's operations, inputs or outputs tables are out of date: run 'npm run docs'.")
    process.exitCode = 1
    return
  }
  await writeFile(readmePath, fresh)
  console.log('README.md: operations table regenerated from src/operations.ts, inputs and outputs from action.yml.')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run()
