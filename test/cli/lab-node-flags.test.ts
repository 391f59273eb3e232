/**
 * `twinleaf lab` runs in a node with the lab's young generation (`LAB_NODE_FLAGS`): it starts itself
 * again with them, and the process that runs the lab and prints its report is the one that has them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { LAB_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { TWINLEAF_CLI, cliNodeFlags } from '../support/twinleaf.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/seed004-same-subnet.yaml');

/**
 * Loaded into every node of the run (NODE_OPTIONS --import): at exit, each appends its flags, the
 * size V8 gave its young generation's semi-space and whether it wrote to stdout.
 */
const PROBE = `
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
let wrote = false;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (...a) => { wrote = true; return write(...a); };
process.on('exit', () => {
  const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  appendFileSync(process.env.PROBE_OUT, JSON.stringify({ execArgv: process.execArgv, semiSpace: newSpace.space_size, wrote }) + '\\n');
});
`;

interface ProbeLine {
  execArgv: string[];
  semiSpace: number;
  wrote: boolean;
}

describe('twinleaf lab node flags', () => {
  it('runs the lab in a node started with LAB_NODE_FLAGS, whatever the #! line gave', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-labflags-'));
    try {
      const probe = join(dir, 'probe.mjs');
      const out = join(dir, 'probe.jsonl');
      writeFileSync(probe, PROBE);
      const stdout = execFileSync(
        process.execPath,
        [...cliNodeFlags(), TWINLEAF_CLI, 'lab', EXAMPLE, '--until', '10ms', '--json'],
        {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}`, PROBE_OUT: out },
        },
      );
      assert.equal((JSON.parse(stdout) as { simulatedMs: number }).simulatedMs, 10);
      const runs = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ProbeLine);
      // The command as started, then the lab in the node it started (which does not start another).
      assert.equal(runs.length, 2);
      const [lab, started] = runs as [ProbeLine, ProbeLine]; // in the order they exited
      assert.deepEqual(started.execArgv, cliNodeFlags());
      assert.equal(started.wrote, false);
      assert.deepEqual(lab.execArgv, [...cliNodeFlags(), ...LAB_NODE_FLAGS]);
      assert.equal(lab.wrote, true);
      const min = Number(/--min-semi-space-size=(\d+)/.exec(LAB_NODE_FLAGS.join(' '))![1]);
      assert.ok(lab.semiSpace >= min * 2 ** 20, `semi-space ${lab.semiSpace} bytes`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
