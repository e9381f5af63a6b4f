#!/usr/bin/env node
// pglite.mjs: the second Supabase judge. PostgreSQL compiled to WebAssembly (PGlite), in
// memory, with pgvector, so that migrations using the vector extension can be proven too.
//
//   node pglite.mjs [options] [MIGRATION_DIR_OR_FILE...]
//
//   --bootstrap FILE   applied first (default: bootstrap.sql beside this script)
//   --no-bootstrap     apply none
//   --query FILE       run after the migrations; may repeat. Its statements run as one
//                      simple query (so in one implicit transaction unless the file says
//                      begin/commit); the rows of every statement that returns rows are printed
//   --format json      (default) one JSON object per row: {"column": value, ...}
//   --format psql      one line per row, fields as PostgreSQL's text output joined by "|",
//                      null as the empty string: what `psql -At` prints for the same query
//   --quiet            no "ok" lines on stderr
//
// A directory stands for its *.sql files in byte order of name, which must look like
// <14 digits>_<name>.sql (the Supabase CLI's order). Each migration file runs in its own
// transaction (begin; file; commit), as `supabase db push` does, except a file whose only
// statement PostgreSQL refuses inside a transaction block (create index concurrently, ...):
// the CLI runs such a statement on its own, and so does this script (standalone()).
//
// Exit status: 0 all applied and all queries ran; 1 a file failed: stderr then holds
// "pglite: FAIL <file>:<line>: <severity>: <message>" (plus detail, hint and context);
// 2 bad command line.

import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

function usage(msg) {
  if (msg) process.stderr.write(`pglite: ${msg}\n`)
  process.stderr.write(
    'usage: node pglite.mjs [--bootstrap FILE | --no-bootstrap] [--query FILE]... ' +
      '[--format json|psql] [--quiet] [MIGRATION_DIR_OR_FILE...]\n',
  )
  process.exit(2)
}

const opts = { bootstrap: join(here, 'bootstrap.sql'), queries: [], format: 'json', quiet: false }
const inputs = []
{
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--bootstrap') opts.bootstrap = val()
    else if (a === '--no-bootstrap') opts.bootstrap = null
    else if (a === '--query') opts.queries.push(val())
    else if (a === '--format') opts.format = val()
    else if (a === '--quiet') opts.quiet = true
    else if (a === '-h' || a === '--help') usage()
    else if (a === '--') inputs.push(...argv.slice(i + 1)), (i = argv.length)
    else if (a.startsWith('-')) usage(`unknown option ${a}`)
    else inputs.push(a)
  }
  if (opts.format !== 'json' && opts.format !== 'psql') usage(`unknown format ${opts.format}`)
}

const CONTRIB = [
  'pgcrypto', 'uuid_ossp', 'pg_trgm', 'citext', 'hstore', 'btree_gist', 'btree_gin', 'unaccent',
  'fuzzystrmatch', 'ltree', 'cube', 'earthdistance', 'intarray', 'isn', 'seg', 'tablefunc',
  'tsm_system_rows', 'tsm_system_time', 'dict_int', 'dict_xsyn', 'lo', 'bloom', 'moddatetime',
  'pg_stat_statements', 'tcn', 'amcheck', 'pg_walinspect',
]

const MIGRATION_NAME = /^[0-9]{14}_[A-Za-z0-9_.-]+\.sql$/

function migrationFiles(path) {
  let st
  try {
    st = statSync(path)
  } catch (e) {
    fail(path, null, `cannot read: ${e.message}`)
  }
  if (!st.isDirectory()) return [path]
  const names = readdirSync(path).filter((n) => n.endsWith('.sql'))
  const bad = names.filter((n) => !MIGRATION_NAME.test(n))
  if (bad.length) {
    for (const n of bad) process.stderr.write(`pglite: bad migration name (want <14 digits>_<name>.sql): ${join(path, n)}\n`)
    process.exit(1)
  }
  // Byte order of name, as LC_ALL=C sort and the Supabase CLI.
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  return names.map((n) => join(path, n))
}

function lineOf(sql, position) {
  const p = Number(position)
  if (!Number.isInteger(p) || p < 1) return null
  // PostgreSQL counts characters; a string's code points are close enough for a line number.
  const before = Array.from(sql).slice(0, p - 1).join('')
  return before.split('\n').length
}

let db = null

function fail(file, err, text) {
  let msg
  if (err) {
    const line = err.position ? lineOf(err.sql ?? '', err.position) : null
    msg = `pglite: FAIL ${file}${line ? `:${line}` : ''}: ${err.severity ?? 'ERROR'}: ${err.message}`
    if (err.code) msg += ` (SQLSTATE ${err.code})`
    if (err.detail) msg += `\nDETAIL: ${err.detail}`
    if (err.hint) msg += `\nHINT: ${err.hint}`
    if (err.where) msg += `\nCONTEXT: ${err.where}`
  } else {
    msg = `pglite: FAIL ${file}: ${text}`
  }
  process.stderr.write(msg + '\n')
  process.exit(1)
}

function read(file) {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    fail(file, null, `cannot read: ${e.message}`)
  }
}

// One statement, and one that cannot run in a transaction block (as pg.sh's pg_standalone).
function standalone(sql) {
  let s = sql.replace(/--.*$/gm, '').replace(/\s+/g, ' ').trim()
  if (s.endsWith(';')) s = s.slice(0, -1)
  if (s.includes(';')) return false
  return /^(create (unique )?index concurrently|drop index concurrently|reindex .*concurrently)( |$)/i.test(s)
}

async function applyFile(file) {
  const sql = read(file)
  const alone = standalone(sql)
  try {
    if (!alone) await db.exec('begin')
    await db.exec(sql)
    if (!alone) await db.exec('commit')
  } catch (e) {
    e.sql = sql
    try {
      await db.exec('rollback')
    } catch {
      // the session is gone; the failure below is what matters
    }
    fail(file, e)
  }
  if (!opts.quiet) process.stderr.write(`pglite: ok ${file}\n`)
}

function jsonValue(_k, v) {
  return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v
}

async function runQueries(file, psqlParsers) {
  const sql = read(file)
  let results
  try {
    results = await db.exec(sql, psqlParsers ? { parsers: psqlParsers } : undefined)
  } catch (e) {
    e.sql = sql
    // Leave no transaction open for the next query file.
    try {
      await db.exec('rollback')
    } catch {
      // nothing to roll back
    }
    fail(file, e)
  }
  const out = []
  for (const r of results) {
    if (!r.fields || r.fields.length === 0) continue
    for (const row of r.rows) {
      if (opts.format === 'json') out.push(JSON.stringify(row, jsonValue))
      else out.push(r.fields.map((f) => (row[f.name] == null ? '' : String(row[f.name]))).join('|'))
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
}

// In psql format every value stays PostgreSQL's text output: no parser for any type,
// arrays included (their types are read from the catalog just before the queries run).
async function textParsers() {
  const { types } = await import('@electric-sql/pglite')
  const parsers = {}
  const ident = (x) => x
  for (const k of Object.keys(types.parsers)) if (/^[0-9]+$/.test(k)) parsers[k] = ident
  const arr = await db.query("select oid::int as oid from pg_catalog.pg_type where typcategory = 'A'")
  for (const { oid } of arr.rows) parsers[oid] = ident
  return parsers
}

async function main() {
  let PGlite, vector
  try {
    ;({ PGlite } = await import('@electric-sql/pglite'))
    ;({ vector } = await import('@electric-sql/pglite-pgvector'))
  } catch (e) {
    process.stderr.write(`pglite: cannot load PGlite (${e.message}); run tests/supabase/install.sh\n`)
    process.exit(1)
  }
  const files = inputs.flatMap(migrationFiles)
  // Contrib extensions that Supabase offers too; PGlite loads each only on create extension.
  const extensions = { vector }
  for (const name of CONTRIB) {
    try {
      const mod = await import(`@electric-sql/pglite/contrib/${name}`)
      if (mod[name]) extensions[name] = mod[name]
    } catch {
      // not bundled with this PGlite: a migration that needs it fails, named
    }
  }
  db = new PGlite({ extensions })
  await db.waitReady
  if (opts.bootstrap) await applyFile(opts.bootstrap)
  for (const f of files) await applyFile(f)
  const parsers = opts.format === 'psql' && opts.queries.length ? await textParsers() : null
  for (const q of opts.queries) await runQueries(q, parsers)
  await db.close()
}

main().catch((e) => {
  process.stderr.write(`pglite: ${e?.stack ?? e}\n`)
  process.exit(1)
})
