// actionlint.mjs: lint GitHub Actions workflow files offline.
//
//   node actionlint.mjs [--require-sha-pins] FILE...
//
// Runs rhysd/actionlint (compiled to WebAssembly, shipped in the npm package
// pinned by package.json) over each FILE and prints one line per finding:
//
//   FILE:LINE:COL: MESSAGE [RULE]
//
// --require-sha-pins adds dpc's own policy, which actionlint does not check:
// every `uses: owner/repo[/path]@ref` must name a full 40-hex commit SHA
// (local `./` actions and `docker://` images are left alone). Those findings
// carry the rule name [sha-pin].
//
// Exit status: 0 no findings, 1 at least one finding, 2 usage error (no
// arguments, a file that cannot be read, or the judge itself not installed:
// run ./install.sh first).
//
// The WebAssembly build cannot run external programs, so the shellcheck and
// pyflakes rules of the native binary are not applied to `run:` scripts.

import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "node_modules", "@tktco", "node-actionlint");

function usage(msg) {
  if (msg) process.stderr.write(`actionlint.mjs: ${msg}\n`);
  process.stderr.write("usage: node actionlint.mjs [--require-sha-pins] FILE...\n");
  process.exit(2);
}

async function loadLinter() {
  const wasmPath = join(pkgDir, "main.wasm");
  const execPath = join(pkgDir, "wasm_exec.js");
  if (!existsSync(wasmPath) || !existsSync(execPath)) {
    usage(`the linter is not installed (${pkgDir}); run ${join(here, "install.sh")}`);
  }
  // wasm_exec.js is Go's loader: it defines globalThis.Go. The Go side calls
  // globalThis.throwError to raise errors into JavaScript.
  globalThis.throwError = (m) => {
    throw new Error(m);
  };
  createRequire(import.meta.url)(execPath);
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), go.importObject);
  // main() registers runActionlint and then waits; do not await it.
  go.run(instance);
  if (typeof globalThis.runActionlint !== "function") {
    usage("the WebAssembly module did not register runActionlint");
  }
  return globalThis.runActionlint;
}

// `uses:` lines whose ref is not a full commit SHA. A line scan, not a YAML
// parse: dpc writes one `uses:` per line, in block style.
function unpinnedUses(text) {
  const out = [];
  const lines = text.split(/\r?\n/);
  const re = /^(\s*(?:-\s+)?uses:\s*)(["']?)([^"'\s#]+)\2/;
  lines.forEach((line, i) => {
    const m = re.exec(line);
    if (!m) return;
    const ref = m[3];
    if (ref.startsWith("./") || ref.startsWith("docker://")) return;
    const at = ref.lastIndexOf("@");
    const version = at < 0 ? "" : ref.slice(at + 1);
    if (!/^[0-9a-f]{40}$/.test(version)) {
      out.push({
        line: i + 1,
        column: m[1].length + m[2].length + 1,
        message: `action "${ref}" is not pinned to a full-length commit SHA`,
        kind: "sha-pin",
      });
    }
  });
  return out;
}

async function main() {
  let args = process.argv.slice(2);
  if (args.some((f) => f === "-h" || f === "--help")) usage();
  const requirePins = args.includes("--require-sha-pins");
  args = args.filter((a) => a !== "--require-sha-pins");
  const bad = args.find((a) => a.startsWith("--"));
  if (bad) usage(`unknown option ${bad}`);
  const files = args;
  if (files.length === 0) usage("no files given");

  const sources = [];
  for (const f of files) {
    try {
      sources.push([f, readFileSync(f, "utf8")]);
    } catch (e) {
      usage(`cannot read ${f}: ${e.code || e.message}`);
    }
  }

  const lint = await loadLinter();
  let findings = 0;
  for (const [file, text] of sources) {
    let results;
    try {
      results = lint(text, file) || [];
    } catch (e) {
      results = [{ line: 1, column: 1, message: `actionlint failed: ${e.message}`, kind: "internal" }];
    }
    if (requirePins) results = results.concat(unpinnedUses(text));
    results = results
      .filter((r) => r && r.message)
      .sort((a, b) => a.line - b.line || a.column - b.column);
    for (const r of results) {
      process.stdout.write(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
      findings++;
    }
  }
  process.exitCode = findings > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`actionlint.mjs: ${e.stack || e}\n`);
  process.exit(2);
});
