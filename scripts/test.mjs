// `npm test`: typecheck (node and web side by side), lint, Prettier's check and build (side by side), then every vitest
// project (node, web, e2e). Prints one plain closing line "N passed, N failed[, N skipped]" counting
// the five static checks (typecheck ×2, lint, format, build) and every test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, 'test-results');
mkdirSync(results, { recursive: true });
const extra = process.argv.slice(2);

let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, command, args) {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  process.stdout.write(`== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`}\n`);
  return ok;
}

/** Runs single-threaded checks side by side (the CI machine has two cores); prints each one's output whole when it ends. */
function together(steps) {
  return Promise.all(
    steps.map(
      ([name, command, args]) =>
        new Promise((done) => {
          const started = Date.now();
          const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
          const out = [];
          child.stdout.on('data', (d) => out.push(d));
          child.stderr.on('data', (d) => out.push(d));
          child.on('close', (code, signal) => {
            const ok = code === 0;
            const took = ((Date.now() - started) / 1000).toFixed(0);
            process.stdout.write(
              `\n== ${name}: ${command} ${args.join(' ')}\n${Buffer.concat(out).toString()}== ${name}: ${ok ? 'ok' : `FAILED (exit ${code ?? signal})`} (${took} s)\n`,
            );
            if (ok) passed += 1;
            else failed += 1;
            done(ok);
          });
        }),
    ),
  );
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

await together([
  ['typecheck (node)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (web)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']],
]);
await together([
  ['lint', bin('eslint'), ['.', '--max-warnings', '0']],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  ['build', bin('electron-vite'), ['build']],
]);

const report = join(results, 'vitest.json');
rmSync(report, { force: true });
step('vitest', bin('vitest'), [
  'run',
  '--project',
  'node',
  '--project',
  'web',
  '--project',
  'e2e',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
]);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A test file that failed to load, or whose hooks failed (so its tests were skipped, not failed),
  // counts as a failure even though none of its test results says so.
  for (const file of json.testResults ?? []) {
    const results = file.assertionResults ?? [];
    if (file.status === 'failed' && !results.some((r) => r.status === 'failed')) failed += 1;
  }
} else {
  failed += 1;
  process.stdout.write('vitest wrote no report\n');
}

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
