/**
 * `npm run fuzz [-- RUNS [TARGET]]`: the full hostile-input run, 1,000,000 inputs per decoder by
 * default. Crashers are written to test/corpus/<target>/<n>.hex (replayed by the CI fuzz test).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fuzzTarget } from './fuzz-lib.js';
import { fuzzTargets } from './fuzz-targets.js';

const runs = Number(process.argv[2] ?? 1_000_000);
const only = process.argv[3];
let failed = false;
let total = 0;
console.log(`| decoder | inputs | decoded | WireError | crashes | seconds |`);
console.log(`|---|---|---|---|---|---|`);
for (const target of fuzzTargets()) {
  if (only && target.name !== only) continue;
  const start = performance.now();
  const r = fuzzTarget(target, runs, 0x5eed_0000 + target.name.length, 20);
  const seconds = (performance.now() - start) / 1000;
  total += runs;
  console.log(
    `| ${target.name} | ${runs} | ${r.decoded} | ${r.wireErrors} | ${r.crashes.length} | ${seconds.toFixed(1)} |`,
  );
  if (r.crashes.length > 0) {
    failed = true;
    const dir = join('test/corpus', target.name);
    mkdirSync(dir, { recursive: true });
    r.crashes.forEach((c, i) => {
      writeFileSync(join(dir, `crash-${Date.now()}-${i}.hex`), `${c.inputHex}\n`);
      console.error(`  ${target.name}: ${c.error}\n    input ${c.inputHex}`);
    });
  }
}
console.log(
  `\n${total} inputs in all${failed ? '; CRASHES FOUND (saved under test/corpus/)' : ', no crash'}`,
);
process.exitCode = failed ? 1 : 0;
