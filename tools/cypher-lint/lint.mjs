// Neo4j 5 compatibility gate: lints Cypher statements with Neo4j's own linter
// (@neo4j-cypher/language-support, the engine behind the Neo4j VS Code extension and Query tool).
//
// Protocol (driven by kg/cypher_lint.py):
//   stdin : {"statements": [{"origin": "...", "query": "...", "params": ["name", ...]}, ...]}
//   stdout: [{"origin": "...", "diagnostics": [{"severity": "error"|"warning", "message": "...",
//                                               "line": N, "column": N}]}, ...]   (same order as input)
//   line and column are 1-based (the linter's LSP ranges are 0-based; Neo4j's own server errors are 1-based).
//   Exit status 0 whenever the batch was linted, whatever the diagnostics; 2 on bad input or a broken install.
//
// What the linter is given, and why:
//   * defaultLanguage "CYPHER 5": Neo4j 5 only runs Cypher 5; the linter would otherwise follow a statement's
//     own `CYPHER 25` prefix, so that prefix is reported as an error by this gate (see gateChecks).
//   * parameters: each declared name maps to null in a prototype-less object. The linter's check is
//     `dbSchema.parameters[name] === undefined`, so any non-undefined value declares a name, and a plain {}
//     would wrongly "declare" $constructor, $toString, ... through Object.prototype. An undeclared parameter
//     therefore yields the linter's real error "Parameter $x is not defined."
//   * functions: Neo4j's built-in functions (isBuiltIn) for CYPHER 5, taken from the function list the package
//     ships in `testData.mockSchema` (a dump of a recent Neo4j server's CYPHER 5 functions, so built-ins added
//     late in 5.x, e.g. nullIf, also pass). With a function list the linter reports a call to anything else
//     (a typo, an APOC function, an ArcadeDB-only function) as an error, which is what a statement that must
//     run on a plain Neo4j 5 needs. Without a list, unknown functions pass unremarked.
//   * no procedures: that dump also holds enterprise, GDS and APOC procedures, so it cannot tell what a plain
//     Neo4j 5 has; procedure calls are therefore not checked by name (their syntax still is).
//   * no labels / relationshipTypes / propertyKeys: the linter only warns about unknown labels, types and
//     properties when those lists are given, and a static gate has no database to take them from. Leaving
//     them out keeps such "not present in the database" noise out of the gate entirely.
//
// Which diagnostics count: the linter's severity is kept. Error (1) = syntax errors, Neo4j's semantic
// analysis errors (undefined variables, removed Neo4j 4 syntax such as `ON ... ASSERT`, wrong argument counts),
// undeclared parameters, unknown functions, console commands (`:param`, which a driver cannot send).
// Everything else (Warning 2; Information/Hint never seen in practice) becomes "warning": deprecations such as
// id() or `CALL { WITH x ... }`, which Neo4j 5 still runs, so they must not fail the gate.
// The gate adds two errors of its own, prefixed "[pmkg gate]", for things Neo4j 5 rejects but the linter
// accepts: more than one statement in one query, and a `CYPHER 25` version prefix.
//
// Node: the package declares engines node >=24.11.1, but only its autocompletion and graphSchema code use
// newer APIs (Set.prototype.union, iterator helpers); the calls made here run on Node 20 (tested on 20.20).
// A canary statement at start-up checks that Neo4j's semantic analysis really reports errors (see getLinter).
//
// Speed: Neo4j's semantic analysis (Java compiled to JS) costs ~25-60 ms per statement once warm, but loading
// it takes ~1 s and the first statements of each kind cost several hundred ms. So everything runs in this one
// process: the warm-up is paid once, identical statements are linted once, and a large batch is spread over
// worker threads (CPUs - 1 of them, or the env var PMKG_CYPHER_LINT_JOBS); small batches and 2-CPU machines
// run inline, where a worker's repeated warm-up would outweigh it.

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const CYPHER_VERSION = 'CYPHER 5';
// Every worker pays the whole warm-up again (~1 s to load, then a few seconds of first-use cost per kind of
// clause), so a worker only earns its keep on a few dozen statements.
const MIN_STATEMENTS_PER_WORKER = 40;

let linter; // lazily built so the orchestrating thread never pays for loading the analyser it does not use

async function getLinter() {
  if (linter) return linter;
  const ls = await import('@neo4j-cypher/language-support');
  const fnDump = ls.testData?.mockSchema?.functions?.[CYPHER_VERSION];
  const builtins = Object.fromEntries(Object.entries(fnDump ?? {}).filter(([, fn]) => fn && fn.isBuiltIn === true));
  // Refuse to run rather than silently stop checking function names if a package upgrade moves the dump.
  if (Object.keys(builtins).length < 100 || !builtins.collect || !builtins.coalesce) {
    throw new Error(
      `@neo4j-cypher/language-support no longer ships the built-in ${CYPHER_VERSION} function list ` +
        'in testData.mockSchema; update tools/cypher-lint/lint.mjs for this package version',
    );
  }
  const functions = { [CYPHER_VERSION]: builtins };
  linter = (query, params) => {
    const parameters = Object.create(null);
    for (const name of params) parameters[name] = null;
    const dbSchema = { defaultLanguage: CYPHER_VERSION, parameters, functions };
    const out = [];
    try {
      const { diagnostics } = ls.lintCypherQuery(query, dbSchema, { consoleCommandsEnabled: false });
      for (const d of diagnostics) {
        out.push({
          severity: d.severity === 1 ? 'error' : 'warning',
          message: d.message,
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
        });
      }
    } catch (err) {
      // A crash must not read as "no diagnostics".
      out.push({ severity: 'error', message: `[pmkg gate] the Neo4j linter crashed: ${err}`, line: 1, column: 1 });
    }
    out.push(...gateChecks(query, ls.parseStatementsStrs));
    return out.sort((a, b) => a.line - b.line || a.column - b.column);
  };
  // The package swallows any exception inside Neo4j's semantic analysis and then reports nothing, which would
  // turn the gate into a silent pass (e.g. on a Node version missing an API it needs). Prove it is alive.
  const canary = linter('WITH 1 AS a RETURN b', []);
  if (!canary.some((d) => d.severity === 'error' && d.message.includes('Variable `b` not defined'))) {
    linter = undefined;
    throw new Error(
      `Neo4j's semantic analysis is not working under Node ${process.version} ` +
        `(canary got ${JSON.stringify(canary)}); the gate cannot give a verdict`,
    );
  }
  return linter;
}

function position(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1).length + 1 };
}

const COMMENTS = /\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
const CYPHER_25_PREFIX = /^(?:\s+|\/\/[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*CYPHER\s+(25)\b/i;

function gateChecks(query, parseStatementsStrs) {
  const found = [];
  let chunks;
  try {
    chunks = parseStatementsStrs(query);
  } catch {
    chunks = [query]; // the linter proper already reports whatever made splitting fail
  }
  // The linter splits on `;` with its lexer (so `;` inside strings is safe) and lints every part, but a driver
  // query must be exactly one statement. A part holding only comments is not a statement.
  let offset = 0;
  let statements = 0;
  for (const chunk of chunks) {
    if (chunk.replace(COMMENTS, '').replace(/;/g, '').trim() !== '') {
      statements += 1;
      if (statements === 2) {
        const lead = chunk.length - chunk.trimStart().length;
        found.push({
          severity: 'error',
          message:
            '[pmkg gate] more than one statement in one query; Neo4j runs exactly one statement per query, ' +
            'so split it into separate statements',
          ...position(query, offset + lead),
        });
      }
    }
    offset += chunk.length;
  }
  const v25 = CYPHER_25_PREFIX.exec(query);
  if (v25) {
    found.push({
      severity: 'error',
      message:
        '[pmkg gate] `CYPHER 25` selects a Cypher version that Neo4j 5 does not have; Neo4j 5 runs Cypher 5 only',
      ...position(query, v25.index + v25[0].length - v25[1].length),
    });
  }
  return found;
}

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

async function readStdin() {
  const parts = [];
  for await (const part of process.stdin) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

function parseInput(text) {
  let input;
  try {
    input = JSON.parse(text);
  } catch (err) {
    fail(`stdin is not JSON: ${err.message}`);
  }
  if (!input || !Array.isArray(input.statements)) fail('stdin must be {"statements": [...]}');
  input.statements.forEach((s, i) => {
    const ok =
      s &&
      typeof s.query === 'string' &&
      (s.origin === undefined || typeof s.origin === 'string') &&
      (s.params === undefined || (Array.isArray(s.params) && s.params.every((p) => typeof p === 'string')));
    if (!ok) fail(`statements[${i}] must be {"origin": str, "query": str, "params": [str, ...]}`);
  });
  return input.statements;
}

function workerCount(jobs) {
  const fromEnv = Number.parseInt(process.env.PMKG_CYPHER_LINT_JOBS ?? '', 10);
  // One CPU is left to everything else: on a 2-CPU runner (or a busy one) two workers measured slower than
  // one inline loop (47 s vs 32 s for 500 statements), because each worker repeats the warm-up.
  const cap = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism() - 1;
  return Math.max(1, Math.min(cap, Math.floor(jobs.length / MIN_STATEMENTS_PER_WORKER)));
}

async function lintInline(jobs) {
  const lint = await getLinter();
  return jobs.map((job) => lint(job.query, job.params));
}

function lintInWorkers(jobs, count) {
  return new Promise((resolve, reject) => {
    const results = new Array(jobs.length);
    let next = 0;
    let done = 0;
    const workers = [];
    const finish = (err) => {
      for (const w of workers) w.terminate();
      if (err) reject(err);
      else resolve(results);
    };
    const feed = (worker) => {
      if (next < jobs.length) {
        const id = next++;
        worker.postMessage({ id, query: jobs[id].query, params: jobs[id].params });
      }
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(fileURLToPath(import.meta.url));
      workers.push(worker);
      worker.on('message', (msg) => {
        if (msg.error) return finish(new Error(msg.error));
        results[msg.id] = msg.diagnostics;
        done += 1;
        if (done === jobs.length) finish();
        else feed(worker);
      });
      worker.on('error', finish);
      worker.on('exit', (code) => {
        if (done < jobs.length && code !== 0) finish(new Error(`lint worker exited with code ${code}`));
      });
      feed(worker);
    }
  });
}

async function main() {
  const statements = parseInput(await readStdin());
  // Generated statements repeat a lot (one per label or relationship type with the same shape), and the
  // verdict depends only on the text and the declared names.
  const jobs = [];
  const jobIndex = new Map();
  const jobOf = statements.map((s) => {
    const params = [...new Set(s.params ?? [])].sort();
    const key = JSON.stringify([s.query, params]);
    if (!jobIndex.has(key)) {
      jobIndex.set(key, jobs.length);
      jobs.push({ query: s.query, params });
    }
    return jobIndex.get(key);
  });
  const count = workerCount(jobs);
  const verdicts = count > 1 ? await lintInWorkers(jobs, count) : await lintInline(jobs);
  const output = statements.map((s, i) => ({
    origin: s.origin ?? `statement ${i + 1}`,
    diagnostics: verdicts[jobOf[i]],
  }));
  process.stdout.write(JSON.stringify(output));
}

if (isMainThread) {
  main().catch((err) => fail(err?.stack ?? String(err)));
} else {
  parentPort.on('message', async ({ id, query, params }) => {
    try {
      const lint = await getLinter();
      parentPort.postMessage({ id, diagnostics: lint(query, params) });
    } catch (err) {
      parentPort.postMessage({ id, error: err?.stack ?? String(err) });
    }
  });
}
