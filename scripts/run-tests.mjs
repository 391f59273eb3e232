#!/usr/bin/env node
// Runs every compiled test file with node's test runner. Node 20's `node --test` does not expand
// globs, so the file list is built here. Pass a substring to run only matching files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv[2];
const files = collect('dist/test').filter((f) => !filter || f.includes(filter));
if (files.length === 0) {
  console.error(
    `no test files found${filter ? ` matching ${filter}` : ''} under dist/test (did the build run?)`,
  );
  process.exit(1);
}
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
const r = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
