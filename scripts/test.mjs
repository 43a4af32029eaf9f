// `npm test`: the static checks (typecheck node and web, lint, Prettier's check, build) and every vitest
// project (node, web, e2e). Prints one plain closing line "N passed, N failed[, N skipped]" counting the
// five static checks and every test.
//
// The CI machine has two cores. The build goes first (the e2e files load its output); then two lanes
// run side by side: the e2e files (one at a time; much of their time is spent waiting on browsers,
// child processes and timers) and, next to them, typecheck → lint + format → the node and web files.
// Each step's output is printed whole when the step ends (and kept in test-results/<step>.log).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const extra = process.argv.slice(2);

let passed = 0;
let failed = 0;
let skipped = 0;
const started = Date.now();

/** Runs one step; prints its output whole when it ends (and keeps it in test-results/<file>.log). */
function run(name, command, args, { count = true } = {}) {
  return new Promise((done) => {
    const begun = Date.now();
    const file = name.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '');
    const log = createWriteStream(join(results, `${file}.log`));
    const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const keep = (d) => {
      out.push(d);
      log.write(d);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code, signal) => {
      log.end();
      const ok = code === 0;
      const took = ((Date.now() - begun) / 1000).toFixed(0);
      const at = ((Date.now() - started) / 1000).toFixed(0);
      process.stdout.write(
        `\n== ${name}: ${command} ${args.join(' ')}\n${Buffer.concat(out).toString()}== ${name}: ${ok ? 'ok' : `FAILED (exit ${code ?? signal})`} (${took} s, at ${at} s)\n`,
      );
      if (count) {
        if (ok) passed += 1;
        else failed += 1;
      }
      done(ok);
    });
  });
}

/** Adds a vitest JSON report to the counts. */
function countReport(report) {
  if (!existsSync(report)) {
    failed += 1;
    process.stdout.write(`vitest wrote no report (${report})\n`);
    return;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A test file that failed to load, or whose hooks failed (so its tests were skipped, not failed),
  // counts as a failure even though none of its test results says so.
  for (const file of json.testResults ?? []) {
    const assertions = file.assertionResults ?? [];
    if (file.status === 'failed' && !assertions.some((r) => r.status === 'failed')) failed += 1;
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

/** One vitest run over some projects, with its own JSON report (counted after both lanes end). */
function vitest(name, projects) {
  const report = join(results, `vitest-${name}.json`);
  rmSync(report, { force: true });
  const args = [
    'run',
    ...projects.flatMap((p) => ['--project', p]),
    '--passWithNoTests',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...extra,
  ];
  return run(`vitest (${projects.join(', ')})`, bin('vitest'), args, { count: false }).then(() => report);
}

const built = await run('build', bin('electron-vite'), ['build']);
const [e2eReport, rest] = await Promise.all([
  built ? vitest('e2e', ['e2e']) : Promise.resolve(null),
  (async () => {
    await Promise.all([
      run('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']),
      run('typecheck (web)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']),
    ]);
    await Promise.all([run('lint', bin('eslint'), ['.', '--max-warnings', '0']), run('format', bin('prettier'), ['--check', '.', '--log-level', 'warn'])]);
    return vitest('node-web', ['node', 'web']);
  })(),
]);
countReport(rest);
if (e2eReport === null) {
  failed += 1;
  process.stdout.write('e2e not run: the build failed\n');
} else countReport(e2eReport);

process.stdout.write(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
// Not process.exit(): stdout into a pipe (CI's tee) is written asynchronously, and exiting at once
// dropped this closing line after the long node/web output.
process.exitCode = failed > 0 ? 1 : 0;
