/**
 * Golden vectors checked by an independent decoder: `twinleaf wire samples --pcap FILE` writes one
 * frame of every message and route type; tshark must find nothing malformed and no expert error in
 * them, and must read back the field values each sample says it carries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readPcap } from '../../src/wire/pcap.js';
import { buildWireSamples } from '../../src/wire/samples.js';
import { tshark, tsharkAvailable, tsharkFields, tsharkProblems } from '../support/tshark.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

describe('golden samples decoded by tshark', () => {
  const samples = buildWireSamples();
  let dir = '';
  let pcap = '';
  before(() => {
    const available = tsharkAvailable();
    if (!available.ok) throw new Error(available.reason);
    dir = mkdtempSync(join(tmpdir(), 'tl-samples-'));
    pcap = join(dir, 'samples.pcap');
    execFileSync(process.execPath, [CLI, 'wire', 'samples', '--pcap', pcap], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the CLI writes every sample, in order, byte for byte', () => {
    const records = readPcap(readFileSync(pcap)).records;
    assert.equal(records.length, samples.length);
    records.forEach((r, i) => assert.deepEqual(Uint8Array.from(r.data), samples[i]!.frame, samples[i]!.name));
  });

  it('covers every message and route type the wire layer speaks', () => {
    const names = samples.map((s) => s.name);
    for (const required of [
      'arp-request',
      'icmpv6-neighbor-solicitation',
      'vxlan-arp',
      'bgp-open',
      'bgp-keepalive',
      'bgp-update-ipv4',
      'evpn-type1-esi-lacp',
      'evpn-type2-mac',
      'evpn-type2-mac-ipv4',
      'evpn-type3-pmsi',
      'evpn-type4-es',
      'evpn-type5-ipv4',
      'evpn-type5-ipv6',
      'bgp-notification-cease',
      'bgp-route-refresh',
      'lacpdu',
      'lacp-marker',
      'bfd-up',
      'bfd-down-keyed-sha1',
    ]) {
      assert.ok(names.includes(required), `no sample named ${required}`);
    }
  });

  it('tshark -V dissects every frame with no malformed packet and no expert error', () => {
    const verbose = tshark(pcap, ['-V']);
    assert.ok(!/\[Malformed Packet/.test(verbose), 'tshark -V reports a malformed packet');
    assert.deepEqual(tsharkProblems(pcap), []);
  });

  it('tshark reads back the values each sample carries', () => {
    const fields = [...new Set(samples.flatMap((s) => Object.keys(s.expect)))];
    const frames = tsharkFields(pcap, fields);
    assert.equal(frames.length, samples.length);
    const mismatches: string[] = [];
    samples.forEach((s, i) => {
      const layers = frames[i]!;
      for (const [field, want] of Object.entries(s.expect)) {
        const got = layers[field] ?? [];
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          mismatches.push(`${s.name}: ${field} = ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        }
      }
    });
    assert.deepEqual(mismatches, []);
  });
});
