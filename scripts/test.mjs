// Runs every test file under test/ with node's own test runner, in parallel.
// Node 20 has no glob support in `node --test`, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'fixtures' && name !== 'support' && name !== 'node_modules') find(path, out);
    } else if (name.endsWith('.test.mjs')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : find('test');
const concurrency = process.env.TEST_CONCURRENCY ?? '4';
console.log(`node ${process.version}: ${files.length} test files`);
const run = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
