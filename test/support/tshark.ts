/**
 * tshark as an independent decoder for the wire layer's golden vectors.
 *
 * A missing tshark is a failure with the reason, never a skip: `.ci/run` installs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcap } from '../../src/wire/pcap.js';

/** Preferences that make tshark verify every checksum we write. */
export const TSHARK_CHECKSUM_PREFS = [
  '-o',
  'ip.check_checksum:TRUE',
  '-o',
  'udp.check_checksum:TRUE',
  '-o',
  'tcp.check_checksum:TRUE',
];

export function tsharkAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  try {
    const out = execFileSync('tshark', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, version: out.split('\n')[0] ?? 'tshark' };
  } catch (e) {
    return {
      ok: false,
      reason: `tshark could not be run (${(e as Error).message}); install Debian's tshark package`,
    };
  }
}

/** Runs tshark on a capture file; returns stdout. Throws with tshark's stderr on failure. */
export function tshark(file: string, args: readonly string[]): string {
  const available = tsharkAvailable();
  if (!available.ok) throw new Error(available.reason);
  try {
    return execFileSync('tshark', ['-r', file, ...TSHARK_CHECKSUM_PREFS, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`tshark failed on ${file}: ${err.stderr ?? err.message}`);
  }
}

/** Writes frames to a temporary pcap, calls `use(path)`, and removes the file afterwards. */
export function withPcap<T>(frames: readonly Uint8Array[], use: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tl-pcap-'));
  const path = join(dir, 'capture.pcap');
  try {
    writeFileSync(path, encodePcap(frames.map((data, i) => ({ timestampNs: (i + 1) * 1_000_000, data }))));
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TsharkProblem {
  readonly frame: number;
  readonly protocols: string;
  readonly expert: string;
}

/**
 * Frames tshark flags as malformed or with an expert message of severity error (bad checksum,
 * bad length, ...). Returns [] when tshark has nothing to say.
 */
export function tsharkProblems(file: string): TsharkProblem[] {
  const out = tshark(file, [
    '-Y',
    '_ws.malformed || _ws.expert.severity >= "Error"',
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    'frame.protocols',
    '-e',
    '_ws.expert.message',
  ]);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [frame, protocols, expert] = line.split('\t');
      return { frame: Number(frame), protocols: protocols ?? '', expert: expert ?? '' };
    });
}

/** tshark -T json with only the given fields, one object per frame mapping field → values. */
export function tsharkFields(file: string, fields: readonly string[]): Record<string, string[]>[] {
  const args = ['-T', 'json'];
  for (const f of fields) args.push('-e', f);
  const parsed = JSON.parse(tshark(file, args)) as { _source: { layers: Record<string, string[]> } }[];
  return parsed.map((p) => p._source.layers);
}
