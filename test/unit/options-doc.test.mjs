// The README's options table is checked against the one table of options (src/options/schema.ts):
// every option listed once, with its environment variable and its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { core } from './support.mjs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function readmeRows() {
  const start = readme.indexOf('\n## Options');
  assert.ok(start !== -1, 'README has an Options section');
  const rows = new Map();
  for (const line of readme.slice(start).split('\n')) {
    if (!line.startsWith('|')) {
      if (rows.size) break;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells[0] === 'option' || /^-+$/.test(cells[0])) continue;
    const envs = cells[1].split('/').map((e) => e.trim()).filter(Boolean);
    cells[0].split('/').forEach((name, i) => {
      rows.set(name.trim().replace(/\(.*$/, ''), { env: envs[i] ?? (envs.length === 1 ? envs[0] : ''), fallback: cells[2] });
    });
  }
  return rows;
}

function shown(value) {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return '[]';
  return String(value);
}

test('README options table lists every option with its environment variable and default', () => {
  const rows = readmeRows();
  for (const [name, spec] of Object.entries(core.OPTIONS)) {
    const row = rows.get(name);
    assert.ok(row, `README options table misses ${name}`);
    if (spec.kind === 'function') continue;
    assert.equal(row.env, spec.env ?? '', `env of ${name}`);
    assert.equal(row.fallback.split(' ')[0], shown(spec.default), `default of ${name}`);
  }
  for (const name of rows.keys()) assert.ok(name in core.OPTIONS, `README lists ${name}, which is no option`);
});
