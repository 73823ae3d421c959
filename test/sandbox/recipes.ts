// The README's recipes as data: the action step of a recipe and its `with:` inputs, so the demo
// runs exactly what the README shows and a test can check every recipe against the input parser.
import { readFileSync } from 'node:fs'

export const readmeUrl = new URL('../../README.md', import.meta.url)
const actionStep = 'uses: OWNER/suprsend-workspace-keys-action@v1'

export interface Recipe {
  heading: string
  /** The YAML of the action's step, as the README shows it. */
  step: string
  /** Its `with:` inputs; expressions such as `${{ secrets.X }}` kept as written. */
  inputs: Record<string, string>
}

/** The YAML blocks under a heading (any level), up to the next heading of the same or a higher level. */
function blocksUnder(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => /^#{2,4} /.test(line) && line.replace(/^#+ /, '') === heading)
  if (start < 0) throw new Error(`README.md has no heading '${heading}'`)
  const level = (lines[start] as string).indexOf(' ')
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((line) => /^#{2,4} /.test(line) && line.indexOf(' ') <= level)
  const section = (end < 0 ? rest : rest.slice(0, end)).join('\n')
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] as string)
}

/** A plain scalar, with its trailing comment and quotes removed. */
function scalar(text: string): string {
  const value = text.replace(/\s+#.*$/, '').trim()
  return /^'.*'$|^".*"$/.test(value) ? value.slice(1, -1) : value
}

/** The `with:` mapping of the step that starts at `stepLine`: `key: value` lines and `|` block scalars. */
function withInputs(lines: string[], stepLine: number): Record<string, string> {
  const inputs: Record<string, string> = {}
  const at = lines.findIndex((line, i) => i > stepLine && /^\s*with:\s*$/.test(line))
  const indent = (line: string) => line.length - line.trimStart().length
  const keyIndent = indent(lines[at + 1] ?? '')
  for (let i = at + 1; i < lines.length && (lines[i]?.trim() === '' || indent(lines[i] as string) >= keyIndent); i++) {
    const line = lines[i] as string
    const match = /^\s*([a-z-]+):\s?(.*)$/.exec(line)
    if (!match || indent(line) !== keyIndent) continue
    const [, name = '', value = ''] = match
    if (value.trim() !== '|') {
      inputs[name] = scalar(value)
      continue
    }
    const block: string[] = []
    while (i + 1 < lines.length && indent(lines[i + 1] as string) > keyIndent) block.push((lines[++i] as string).trim())
    inputs[name] = `${block.join('\n')}\n`
  }
  return inputs
}

/** The action step of the recipe under `heading`. */
export function recipe(heading: string, markdown = readFileSync(readmeUrl, 'utf8')): Recipe {
  for (const yaml of blocksUnder(markdown, heading)) {
    const lines = yaml.split('\n')
    const stepLine = lines.findIndex((line) => line.includes(actionStep))
    if (stepLine < 0) continue
    const dash = lines[stepLine]?.indexOf('- ') ?? 0
    const end = lines.findIndex((line, i) => i > stepLine && line.trim() !== '' && line.indexOf('- ') === dash)
    const step = lines.slice(stepLine, end < 0 ? undefined : end).map((line) => line.slice(dash))
    return { heading, step: step.join('\n').trimEnd(), inputs: withInputs(lines, stepLine) }
  }
  throw new Error(`README.md's '${heading}' has no step using the action`)
}

/** Every heading under '## Recipes' whose section has a step using the action. */
export function recipeHeadings(markdown = readFileSync(readmeUrl, 'utf8')): string[] {
  const section = markdown.slice(
    markdown.indexOf('\n## Recipes\n'),
    markdown.indexOf('\n## ', markdown.indexOf('\n## Recipes\n') + 1),
  )
  const headings = [...section.matchAll(/^### (.+)$/gm)].map((match) => match[1] as string)
  return headings.filter((heading) => blocksUnder(markdown, heading).some((yaml) => yaml.includes(actionStep)))
}

/** Fills a recipe's expressions with values: `${{ secrets.X }}` and friends become what `values` says. */
export function fill(inputs: Record<string, string>, values: Record<string, string>): Record<string, string> {
  const filled: Record<string, string> = {}
  for (const [name, value] of Object.entries(inputs)) {
    filled[name] = value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
      const known = values[expression]
      if (known === undefined) throw new Error(`no value for the expression '${expression}' in input '${name}'`)
      return known
    })
  }
  return filled
}
