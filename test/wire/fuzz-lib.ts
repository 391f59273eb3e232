/**
 * A small deterministic mutation fuzzer for the wire decoders.
 *
 * Each target is a decoder plus valid seed encodings. Inputs are random buffers and mutations of
 * the seeds aimed at what breaks codecs: truncations, length/count fields overwritten with
 * boundary values (0, 1, 0x7f, 0xff, 0xffff, off-by-one of the real length), bit flips, inserted and
 * deleted bytes, and splices of two seeds. Every outcome must be a value or a WireError; anything
 * else is a crash, reported with the input's hex so it can be saved under test/corpus/ and replayed.
 */
import { toHex } from '../../src/wire/bytes.js';
import { WireError } from '../../src/wire/errors.js';

export interface FuzzTarget {
  readonly name: string;
  readonly decode: (buf: Uint8Array) => unknown;
  readonly seeds: readonly Uint8Array[];
}

export interface FuzzCrash {
  readonly target: string;
  readonly inputHex: string;
  readonly error: string;
}

export interface FuzzResult {
  readonly target: string;
  readonly runs: number;
  readonly decoded: number;
  readonly wireErrors: number;
  readonly crashes: readonly FuzzCrash[];
}

/** xorshift32: fast, deterministic, good enough to pick mutations. */
export class FuzzRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const INTERESTING_8 = [0x00, 0x01, 0x02, 0x03, 0x04, 0x10, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_16 = [
  0x0000, 0x0001, 0x0013, 0x0017, 0x00ff, 0x0100, 0x0fff, 0x1000, 0x7fff, 0x8000, 0xffff,
];

export function mutate(rng: FuzzRng, seeds: readonly Uint8Array[]): Uint8Array {
  const pick = (): Uint8Array => seeds[rng.below(seeds.length)] ?? new Uint8Array(0);
  const strategy = seeds.length === 0 ? 0 : rng.below(9);
  switch (strategy) {
    case 0: {
      const out = new Uint8Array(rng.below(160));
      for (let i = 0; i < out.length; i++) out[i] = rng.next() & 0xff;
      return out;
    }
    case 1: {
      const s = pick();
      return s.slice(0, rng.below(s.length + 1));
    }
    case 2: {
      const out = pick().slice();
      const flips = 1 + rng.below(4);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const at = rng.below(out.length);
        out[at] = out[at]! ^ (1 << rng.below(8));
      }
      return out;
    }
    case 3: {
      const out = pick().slice();
      if (out.length > 0) out[rng.below(out.length)] = INTERESTING_8[rng.below(INTERESTING_8.length)]!;
      return out;
    }
    case 4: {
      // Overwrite a 16-bit big-endian field: boundary values or the buffer length ±1, which is where
      // length fields point past the end or stop short.
      const out = pick().slice();
      if (out.length >= 2) {
        const at = rng.below(out.length - 1);
        const candidates = [...INTERESTING_16, out.length - at - 1, out.length - at + 1, out.length + 1];
        const v = candidates[rng.below(candidates.length)]! & 0xffff;
        out[at] = v >> 8;
        out[at + 1] = v & 0xff;
      }
      return out;
    }
    case 5: {
      const s = pick();
      const at = rng.below(s.length + 1);
      const n = 1 + rng.below(8);
      const out = new Uint8Array(s.length + n);
      out.set(s.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = rng.next() & 0xff;
      out.set(s.subarray(at), at + n);
      return out;
    }
    case 6: {
      const s = pick();
      if (s.length === 0) return s.slice();
      const at = rng.below(s.length);
      const n = 1 + rng.below(Math.min(8, s.length - at));
      const out = new Uint8Array(s.length - n);
      out.set(s.subarray(0, at));
      out.set(s.subarray(at + n), at);
      return out;
    }
    case 7: {
      const a = pick();
      const b = pick();
      const cut = rng.below(a.length + 1);
      const from = rng.below(b.length + 1);
      const out = new Uint8Array(cut + b.length - from);
      out.set(a.subarray(0, cut));
      out.set(b.subarray(from), cut);
      return out;
    }
    default: {
      // Several mutations stacked.
      let out: Uint8Array = pick().slice();
      const rounds = 2 + rng.below(3);
      for (let i = 0; i < rounds; i++) out = mutate(rng, [out]);
      return out;
    }
  }
}

/** Feeds one input to a decoder; returns a crash description or undefined. */
export function tryDecode(target: FuzzTarget, input: Uint8Array): 'ok' | 'wire-error' | FuzzCrash {
  try {
    target.decode(input);
    return 'ok';
  } catch (e) {
    if (e instanceof WireError) return 'wire-error';
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { target: target.name, inputHex: toHex(input), error };
  }
}

export function fuzzTarget(target: FuzzTarget, runs: number, seed: number, maxCrashes = 5): FuzzResult {
  const rng = new FuzzRng(seed);
  let decoded = 0;
  let wireErrors = 0;
  const crashes: FuzzCrash[] = [];
  for (const s of target.seeds) {
    const r = tryDecode(target, s);
    if (typeof r === 'object') crashes.push({ ...r, error: `seed does not decode: ${r.error}` });
  }
  for (let i = 0; i < runs && crashes.length < maxCrashes; i++) {
    const r = tryDecode(target, mutate(rng, target.seeds));
    if (r === 'ok') decoded++;
    else if (r === 'wire-error') wireErrors++;
    else crashes.push(r);
  }
  return { target: target.name, runs, decoded, wireErrors, crashes };
}

/** Runs `f`; a WireError is an acceptable outcome (returns undefined), any other exception is rethrown. */
export function valueOrWireError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}

/**
 * The hostile-input check every codec test runs: `runs` mutations of `seeds` (see `mutate`) give a
 * value or a WireError, and whatever decodes re-encodes to bytes that decode to the same value.
 */
export function checkMutations<T>(
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
  seeds: readonly Uint8Array[],
  seed: number,
  runs = 20_000,
  equal: (a: T, b: T, message: string) => void = (a, b, m) => {
    if (JSON.stringify(a, hexReplacer) !== JSON.stringify(b, hexReplacer))
      throw new Error(`re-encoding changed the value: ${m}`);
  },
): void {
  const rng = new FuzzRng(seed);
  for (let i = 0; i < runs; i++) {
    const input = mutate(rng, seeds);
    let v: T;
    try {
      v = decode(input);
    } catch (e) {
      if (e instanceof WireError) continue;
      throw new Error(`input ${toHex(input)}: ${String(e)}`);
    }
    equal(decode(encode(v)), v, `input ${toHex(input)}`);
  }
}

function hexReplacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? toHex(v) : v;
}
