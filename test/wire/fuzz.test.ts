/**
 * Hostile input, in CI: every decoder gets random and mutated buffers; every outcome must be a value
 * or a WireError. `npm run fuzz` runs the full 1,000,000 per decoder (test/wire/fuzz-run.ts).
 * Saved crashers under test/corpus/<target>/*.hex are replayed first.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromHex } from '../../src/wire/bytes.js';
import { fuzzTarget, tryDecode } from './fuzz-lib.js';
import { fuzzTargets } from './fuzz-targets.js';

const RUNS = Number(process.env.TWINLEAF_FUZZ_RUNS ?? 20_000);
const CORPUS = 'test/corpus';

describe('fuzz: every decoder returns a value or throws WireError', () => {
  for (const target of fuzzTargets()) {
    it(`${target.name}: ${RUNS} random and mutated inputs`, () => {
      const dir = join(CORPUS, target.name);
      if (existsSync(dir)) {
        for (const f of readdirSync(dir).filter((n) => n.endsWith('.hex'))) {
          const r = tryDecode(target, fromHex(readFileSync(join(dir, f), 'utf8').trim()));
          assert.ok(typeof r === 'string', `corpus ${dir}/${f}: ${typeof r === 'object' ? r.error : ''}`);
        }
      }
      const result = fuzzTarget(target, RUNS, 0x7717_0000 + target.name.length);
      assert.deepEqual(result.crashes, [], `crashes in ${target.name}`);
      assert.ok(result.decoded + result.wireErrors === RUNS);
      // The mutations must reach past the first checks: some inputs decode, some are rejected.
      assert.ok(result.wireErrors > 0, `${target.name}: no input was rejected`);
    });
  }
});
