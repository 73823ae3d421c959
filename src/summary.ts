import type { Outcome } from './execute.ts'

/**
 * The job summary: what was done, to which keys, and where the new key was
 * stored. Built only from the Outcome, which holds no secret fields.
 */

/** Any value a server sent, as one safe table cell. */
function cell(value: unknown): string {
  const text = (value === null || value === undefined ? '' : String(value))
    .replace(/[\r\n]+/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
  return text === '' ? ' ' : text
}

function table(rows: Record<string, string>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  if (columns.length === 0) return ''
  const lines = [
    `| ${columns.map(cell).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c] ?? '')).join(' | ')} |`),
  ]
  return lines.join('\n')
}

export interface SummaryContext {
  operation: string
  workspace: string
  dryRun: boolean
  error?: string
}

export function renderSummary(context: SummaryContext, outcome: Outcome): string {
  const status = context.error ? 'failed' : context.dryRun ? 'dry run, nothing changed' : 'succeeded'
  const parts = [
    `## SuprSend workspace keys: \`${context.operation}\``,
    table([{ workspace: context.workspace, operation: context.operation, result: status }]),
  ]
  if (outcome.actions.length > 0) parts.push('### Done', outcome.actions.map((a) => `- ${cell(a)}`).join('\n'))
  if (outcome.planned.length > 0)
    parts.push('### Would do (dry run)', outcome.planned.map((p) => `- ${cell(p)}`).join('\n'))
  if (outcome.keys.length > 0) parts.push('### Keys', table(outcome.keys))
  if (outcome.written.length > 0) {
    parts.push(
      '### Stored in GitHub',
      table(outcome.written.map((w) => ({ kind: w.kind, target: w.target, name: w.name, result: w.result }))),
    )
  }
  if (context.error) parts.push('### Error', cell(context.error))
  return `${parts.join('\n\n')}\n`
}
