import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ip, mac, type IpAddress, type Mac } from '../../src/wire/addr.js';
import { decodeMlagMessage } from '../../src/wire/mlag.js';
import { compareVersions, VersionedTable, type SyncVersion } from '../../src/mlag/peer-sync.js';
import type { MacTableEntry, NeighborTableEntry } from '../../src/mlag/dfs-group.js';
import { Pair, VNI, deviceConfig, type Device, type FdbEntry } from './harness.js';

const MACS: readonly Mac[] = [0, 1, 2, 3].map((i) => mac(`00:00:5e:00:02:0${i}`));
const IPS: readonly IpAddress[] = [0, 1, 2].map((i) => ip(`10.20.0.${i + 1}`));

type Side = 'a' | 'b';
type Op =
  | { readonly kind: 'learn-member'; readonly side: Side; readonly mac: number; readonly mlagId: 1 | 2 }
  | { readonly kind: 'learn-single'; readonly side: Side; readonly mac: number }
  | { readonly kind: 'age'; readonly side: Side; readonly mac: number }
  | { readonly kind: 'neighbor'; readonly side: Side; readonly ip: number; readonly mac: number }
  | { readonly kind: 'neighbor-age'; readonly side: Side; readonly ip: number }
  /** Deliver one held message early, so later local changes see some of the peer's. */
  | { readonly kind: 'deliver'; readonly pick: number };

const side = fc.constantFrom<Side>('a', 'b');
const macIndex = fc.integer({ min: 0, max: MACS.length - 1 });
const ipIndex = fc.integer({ min: 0, max: IPS.length - 1 });
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('learn-member' as const),
    side,
    mac: macIndex,
    mlagId: fc.constantFrom<1 | 2>(1, 2),
  }),
  fc.record({ kind: fc.constant('learn-single' as const), side, mac: macIndex }),
  fc.record({ kind: fc.constant('age' as const), side, mac: macIndex }),
  fc.record({ kind: fc.constant('neighbor' as const), side, ip: ipIndex, mac: macIndex }),
  fc.record({ kind: fc.constant('neighbor-age' as const), side, ip: ipIndex }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
);

function sortedMacs(rows: MacTableEntry[]): MacTableEntry[] {
  return [...rows].sort((x, y) => (`${x.vni}/${x.mac}` < `${y.vni}/${y.mac}` ? -1 : 1));
}

function sortedNeighbors(rows: NeighborTableEntry[]): NeighborTableEntry[] {
  return [...rows].sort((x, y) => (`${x.vni}/${x.ip}` < `${y.vni}/${y.ip}` ? -1 : 1));
}

/** Where the data plane forwards a MAC, whoever put the entry there. */
function forwarding(e: FdbEntry | undefined): string | undefined {
  if (e === undefined) return undefined;
  if (e.port.kind === 'member') return `member ${e.port.mlagId}`;
  return e.kind === 'dynamic' ? 'local single-homed port' : 'peer-link';
}

function expectedForwarding(d: Device, row: MacTableEntry | undefined): string | undefined {
  if (row === undefined) return undefined;
  if (row.location.kind === 'mlag') return `member ${row.location.mlagId}`;
  return row.origin === d.config.localMac ? 'local single-homed port' : 'peer-link';
}

/** The newest change per key among every change either device sent. */
function newestChanges(sent: readonly Uint8Array[]) {
  const macs = new Map<string, { version: SyncVersion; row: MacTableEntry | undefined }>();
  const neighbors = new Map<string, { version: SyncVersion; row: NeighborTableEntry | undefined }>();
  for (const data of sent) {
    const m = decodeMlagMessage(data);
    if (m.type === 'mac-sync') {
      for (const e of m.entries) {
        const key = `${e.vni}/${e.mac}`;
        const held = macs.get(key);
        if (held !== undefined && compareVersions(held.version, e) >= 0) continue;
        const row =
          e.op === 'delete'
            ? undefined
            : { vni: e.vni, mac: e.mac, location: e.location, origin: e.origin, seq: e.seq };
        macs.set(key, { version: e, row });
      }
    } else if (m.type === 'neighbor-sync') {
      for (const e of m.entries) {
        const key = `${e.vni}/${e.ip}`;
        const held = neighbors.get(key);
        if (held !== undefined && compareVersions(held.version, e) >= 0) continue;
        const row =
          e.op === 'delete' ? undefined : { vni: e.vni, ip: e.ip, mac: e.mac, origin: e.origin, seq: e.seq };
        neighbors.set(key, { version: e, row });
      }
    }
  }
  return {
    macs: sortedMacs([...macs.values()].flatMap((v) => (v.row ? [v.row] : []))),
    neighbors: sortedNeighbors([...neighbors.values()].flatMap((v) => (v.row ? [v.row] : []))),
  };
}

describe('mlag: sync ordering', () => {
  it('any delivery order, with duplicates, converges both devices to the newest change per entry', () => {
    fc.assert(
      fc.property(
        fc.array(arbOp, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (ops, sortKeys, duplicates) => {
          const p = new Pair(
            deviceConfig('A', '02:00:00:00:00:0a', 200, { bootId: 11 }),
            deviceConfig('B', '02:00:00:00:00:0b', 100, { bootId: 22 }),
          ).start();
          p.allMembersUp();
          p.holdSync = true;
          const sent: Uint8Array[] = [];
          const note = () => {
            for (const h of p.held) if (!sent.includes(h.data)) sent.push(h.data);
          };
          for (const op of ops) {
            const d = op.kind === 'deliver' ? undefined : p.devices[op.side];
            switch (op.kind) {
              case 'learn-member':
                p.learn(op.side, VNI, MACS[op.mac]!, { kind: 'member', mlagId: op.mlagId });
                break;
              case 'learn-single':
                p.learn(op.side, VNI, MACS[op.mac]!, { kind: 'single-homed' });
                break;
              case 'age':
                p.age(op.side, VNI, MACS[op.mac]!);
                break;
              case 'neighbor':
                p.run(op.side, d!.engine.localNeighborLearned(p.now, VNI, IPS[op.ip]!, MACS[op.mac]!));
                break;
              case 'neighbor-age':
                p.run(op.side, d!.engine.localNeighborAged(p.now, VNI, IPS[op.ip]!));
                break;
              case 'deliver':
                note();
                if (p.held.length > 0) p.deliverOne(op.pick % p.held.length);
                break;
            }
            note();
          }
          // Everything still held arrives in a shuffled order, then some messages arrive again.
          const n = p.held.length;
          const order = [...Array(n).keys()].sort((x, y) => sortKeys[x % 64]! - sortKeys[y % 64]! || x - y);
          p.deliverHeld(order);
          for (const i of duplicates) {
            if (sent.length === 0) break;
            const data = sent[i % sent.length]!;
            const to = whichSide(p, data);
            p.run(to, p.devices[to].engine.receivePeer(p.now, data));
          }
          const newest = newestChanges(sent);
          assert.deepEqual(sortedMacs(p.a.engine.macTable()), newest.macs);
          assert.deepEqual(sortedMacs(p.b.engine.macTable()), newest.macs);
          assert.deepEqual(sortedNeighbors(p.a.engine.neighborTable()), newest.neighbors);
          assert.deepEqual(sortedNeighbors(p.b.engine.neighborTable()), newest.neighbors);
          // And each data plane forwards every MAC where the table says.
          for (const dev of [p.a, p.b]) {
            for (const m of MACS) {
              const key = `${VNI}/${m}`;
              const row = newest.macs.find((r) => r.mac === m);
              assert.equal(
                forwarding(dev.fdb.get(key)),
                expectedForwarding(dev, row),
                `${dev.config.name} ${m}`,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A sync message goes to the device that did not originate it. */
function whichSide(p: Pair, data: Uint8Array): Side {
  const m = decodeMlagMessage(data);
  const origin = m.type === 'mac-sync' || m.type === 'neighbor-sync' ? m.entries[0]?.origin : undefined;
  return origin === p.a.config.localMac ? 'b' : 'a';
}

describe('mlag: versioned table', () => {
  const A = mac('02:00:00:00:00:0a');
  const B = mac('02:00:00:00:00:0b');

  it('orders versions by sequence, then origin MAC', () => {
    assert.ok(compareVersions({ seq: 2, origin: B }, { seq: 3, origin: A }) < 0);
    assert.ok(compareVersions({ seq: 3, origin: A }, { seq: 3, origin: B }) < 0);
    assert.equal(compareVersions({ seq: 3, origin: A }, { seq: 3, origin: A }), 0);
  });

  it('a tombstone blocks older changes until its lifetime ends', () => {
    const t = new VersionedTable<string>(1_000);
    assert.equal(t.apply('k', 'x', { seq: 1, origin: A }, 0).kind, 'applied');
    assert.equal(t.apply('k', undefined, { seq: 3, origin: A }, 10).kind, 'applied');
    assert.equal(t.apply('k', 'y', { seq: 2, origin: B }, 20).kind, 'stale');
    assert.equal(t.apply('k', undefined, { seq: 3, origin: A }, 20).kind, 'duplicate');
    t.collect(1_009);
    assert.equal(t.get('k')?.value, undefined);
    assert.notEqual(t.get('k'), undefined, 'tombstone still there');
    t.collect(1_010);
    assert.equal(t.get('k'), undefined);
    assert.equal(t.liveCount, 0);
  });
});
