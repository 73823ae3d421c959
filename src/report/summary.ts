import type { Report, Row } from '../step.ts'
import { cut, cutToBytes, flatten } from './text.ts'

/**
 * The job summary. Whatever a server sent appears only inside code (spans
 * in tables, fenced blocks for lines of text), so no field can render as a
 * link, an image or HTML. Every text is scrubbed before it is cut or
 * escaped, and the whole stays under GitHub's 1 MiB cap for a step summary.
 */

/** GitHub refuses a step summary over 1 MiB; keep clear of it. */
export const maxSummaryBytes = 1_000_000
const maxCellChars = 1000
const maxErrorChars = 16_000

export interface SummaryContext {
  operation: string
  workspace: string
  dryRun: boolean
  error?: string
}

type Scrub = (text: string) => string

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length))
  return '`'.repeat(longest + 1)
}

/** A table cell: a code span, with '|' escaped as GitHub tables need even inside code. */
function cell(value: string, scrub: Scrub): string {
  const text = cut(flatten(scrub(value)), maxCellChars).replace(/\|/g, '\\|')
  if (text === '') return ' '
  const ticks = '`'.repeat(Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length)) + 1)
  return `${ticks} ${text} ${ticks}`
}

function table(rows: Row[], scrub: Scrub): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  if (columns.length === 0) return ''
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((column) => cell(row[column] ?? '', scrub)).join(' | ')} |`),
  ].join('\n')
}

/** Lines of text in a fenced block, where nothing renders. */
function block(lines: string[], scrub: Scrub, maxChars = maxCellChars): string {
  const text = lines.map((line) => cut(flatten(scrub(line)), maxChars)).join('\n')
  const ticks = fence(text)
  return `${ticks}text\n${text}\n${ticks}`
}

export function renderSummary(context: SummaryContext, report: Report, scrub: Scrub): string {
  const result = context.error ? 'failed' : context.dryRun ? 'dry run, nothing changed' : 'succeeded'
  const parts = [
    `## SuprSend workspace keys: \`${context.operation}\``,
    table([{ workspace: context.workspace, operation: context.operation, result }], scrub),
  ]
  const section = (title: string, body: string) => parts.push(`### ${title}`, body)
  if (report.done.length > 0) section('Done', block(report.done, scrub))
  if (report.planned.length > 0) section('Would do (dry run)', block(report.planned, scrub))
  if (report.rows.length > 0) section('Keys', table(report.rows, scrub))
  if (report.written.length > 0)
    section(
      'Stored in GitHub',
      table(
        report.written.map((w) => ({ ...w })),
        scrub,
      ),
    )
  if (report.failed.length > 0)
    section(
      'Not stored',
      table(
        report.failed.map((f) => ({ ...f })),
        scrub,
      ),
    )
  if (context.error) section('Error', block([context.error], scrub, maxErrorChars))
  const markdown = `${parts.join('\n\n')}\n`
  if (Buffer.byteLength(markdown) <= maxSummaryBytes) return markdown
  const note =
    "\n\n… the summary was cut at GitHub's 1 MiB limit; output 'failed' lists every destination not stored.\n"
  const kept = cutToBytes(markdown, maxSummaryBytes - Buffer.byteLength(note))
  return `${kept.slice(0, kept.lastIndexOf('\n'))}${note}`
}
