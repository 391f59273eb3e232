/**
 * The FDB of one bridge domain: the rules between local, remote (EVPN or learnt) and static
 * entries, and the byte-level fast path (`learnLocalFrom`, `forwarding`) agreeing with the
 * text-keyed methods on any sequence of operations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Fdb, type FdbEvent } from '../../src/dataplane/fdb.js';
import { macFromBytes, macToBytes, macToNumber, type Ipv4Address, type Mac } from '../../src/wire/addr.js';

const A = '00:00:5e:00:00:0a' as Mac;
const B = '00:00:5e:00:00:0b' as Mac;
const VTEP1 = '10.255.0.1' as Ipv4Address;
const VTEP2 = '10.255.0.2' as Ipv4Address;

/** A frame whose source MAC is `mac`, with the rest pre-filled with 0xa5. */
function frameFrom(mac: Mac): Uint8Array {
  const f = new Uint8Array(60).fill(0xa5);
  macToBytes(mac, f, 6);
  return f;
}

describe('fdb: rules', () => {
  it('learns a local MAC once, refreshes it silently, and reports a move between ports', () => {
    const fdb = new Fdb(1000);
    assert.deepEqual(fdb.learnLocalFrom(frameFrom(A), 6, 'eth1', 0), {
      type: 'local-learnt',
      mac: A,
      port: 'eth1',
    });
    assert.equal(fdb.learnLocalFrom(frameFrom(A), 6, 'eth1', 500), undefined);
    assert.deepEqual(fdb.lookup(A), { kind: 'local', mac: A, port: 'eth1', lastSeen: 500 });
    assert.deepEqual(fdb.learnLocal(A, 'eth2', 600), {
      type: 'local-learnt',
      mac: A,
      port: 'eth2',
      movedFrom: 'eth1',
    });
    assert.equal(fdb.size, 1);
  });

  it('EVPN entries and static entries win over data-plane learning; a local MAC seen remotely moves', () => {
    const fdb = new Fdb(1000);
    fdb.installRemote(A, VTEP1, 0);
    assert.equal(fdb.learnRemote(A, VTEP2, 1), undefined);
    assert.deepEqual(fdb.lookup(A), { kind: 'remote', mac: A, vtep: VTEP1, source: 'evpn', lastSeen: 0 });
    // A host that was remote (EVPN) shows up on a local port: the VM migrated here.
    assert.deepEqual(fdb.learnLocalFrom(frameFrom(A), 6, 'eth1', 2), {
      type: 'local-learnt',
      mac: A,
      port: 'eth1',
      movedFrom: `vtep ${VTEP1}`,
    });
    assert.deepEqual(fdb.learnRemote(A, VTEP2, 3), { type: 'local-aged', mac: A, port: 'eth1' });
    fdb.addStatic(B, 'eth9');
    assert.equal(fdb.learnLocalFrom(frameFrom(B), 6, 'eth1', 4), undefined);
    fdb.installRemote(B, VTEP1, 4);
    assert.deepEqual(fdb.lookup(B), { kind: 'static', mac: B, port: 'eth9' });
  });

  it('uninstalls only the EVPN entry it installed; flushes a port; ages what was learnt', () => {
    const fdb = new Fdb(1000);
    fdb.installRemote(A, VTEP1, 0);
    fdb.uninstallRemote(A, VTEP2);
    assert.ok(fdb.lookup(A));
    fdb.uninstallRemote(A, VTEP1);
    assert.equal(fdb.lookup(A), undefined);
    fdb.learnLocal(A, 'eth1', 0);
    fdb.learnRemote(B, VTEP2, 100);
    assert.equal(fdb.nextAging(), 1000);
    assert.deepEqual(fdb.age(1000), [{ type: 'local-aged', mac: A, port: 'eth1' }]);
    assert.equal(fdb.lookup(A), undefined);
    assert.deepEqual(fdb.age(1100), []);
    assert.equal(fdb.size, 0);
    fdb.learnLocal(A, 'eth1', 0);
    fdb.learnLocal(B, 'eth2', 0);
    assert.deepEqual(fdb.flushPort('eth1'), [{ type: 'local-aged', mac: A, port: 'eth1' }]);
    assert.deepEqual(fdb.removeLocal(B), { type: 'local-aged', mac: B, port: 'eth2' });
    assert.equal(fdb.removeLocal(B), undefined);
  });

  it('looks MACs up by text in either case, and their forwarding target by number', () => {
    const fdb = new Fdb();
    fdb.installRemote(A, VTEP1, 0);
    const e = fdb.lookup(A);
    assert.equal(fdb.lookup(A.toUpperCase() as Mac), e);
    assert.deepEqual(fdb.forwarding(macToNumber(A)), { kind: 'vtep', vtep: VTEP1 });
    fdb.addStatic(B, 'eth9');
    assert.deepEqual(fdb.forwarding(macToNumber(B)), { kind: 'port', port: 'eth9' });
    assert.equal(fdb.forwarding(macToNumber('00:00:5e:00:00:0c' as Mac)), undefined);
  });

  it('keeps forwarding right when the VTEPs it has seen outnumber the table tags', () => {
    const fdb = new Fdb();
    fdb.addStatic(B, 'eth9');
    for (let i = 0; i < 40_000; i++) {
      const vtep = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` as Ipv4Address;
      fdb.learnRemote(A, vtep, i);
      assert.deepEqual(fdb.forwarding(macToNumber(A)), { kind: 'vtep', vtep });
    }
    assert.deepEqual(fdb.forwarding(macToNumber(B)), { kind: 'port', port: 'eth9' });
  });
});

type OpName = 'local' | 'remote' | 'install' | 'uninstall' | 'static' | 'remove' | 'flush' | 'age';
interface Op {
  readonly op: OpName;
  readonly mac: number;
  readonly port: number;
  readonly vtep: number;
  readonly now: number;
}

/** Few MACs, ports and VTEPs, so that operations collide. */
const MACS = [A, B, '02:00:00:00:00:01', '0c:00:00:00:ff:ff'].map((m) => m as Mac);
const arbOp: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom<OpName>('local', 'remote', 'install', 'uninstall', 'static', 'remove', 'flush', 'age'),
  mac: fc.nat(MACS.length - 1),
  port: fc.nat(2),
  vtep: fc.nat(1),
  now: fc.nat(3000),
});

/** Applies `op`, learning local MACs by text (`byText`) or from frame bytes; returns the events. */
function apply(fdb: Fdb, o: Op, byText: boolean): readonly (FdbEvent | undefined)[] {
  const mac = MACS[o.mac]!;
  const port = `eth${o.port}`;
  const vtep = o.vtep === 0 ? VTEP1 : VTEP2;
  switch (o.op) {
    case 'local':
      return [byText ? fdb.learnLocal(mac, port, o.now) : fdb.learnLocalFrom(frameFrom(mac), 6, port, o.now)];
    case 'remote':
      return [fdb.learnRemote(mac, vtep, o.now)];
    case 'install':
      fdb.installRemote(mac, vtep, o.now);
      return [];
    case 'uninstall':
      fdb.uninstallRemote(mac, vtep);
      return [];
    case 'static':
      fdb.addStatic(mac, port);
      return [];
    case 'remove':
      return [fdb.removeLocal(mac)];
    case 'flush':
      return fdb.flushPort(port);
    case 'age':
      return fdb.age(o.now);
  }
}

describe('fdb: properties', () => {
  it('learning from frame bytes and from text give the same events and the same table', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 40 }), (ops) => {
        const byText = new Fdb(1000);
        const byBytes = new Fdb(1000);
        for (const o of ops) assert.deepEqual(apply(byBytes, o, false), apply(byText, o, true));
        assert.deepEqual([...byBytes.all()], [...byText.all()]);
        assert.equal(byBytes.nextAging(), byText.nextAging());
        for (const mac of MACS) {
          const e = byBytes.lookup(mac);
          assert.deepEqual(e, byText.lookup(mac));
          // The forwarding target kept beside the key follows every change of the entry.
          assert.deepEqual(
            byBytes.forwarding(macToNumber(mac)),
            e === undefined
              ? undefined
              : e.kind === 'remote'
                ? { kind: 'vtep', vtep: e.vtep }
                : { kind: 'port', port: e.port },
          );
        }
        // Every entry is keyed by its own MAC, and carries canonical text.
        for (const e of byBytes.all()) {
          assert.equal(byBytes.lookup(e.mac), e);
          assert.equal(macFromBytes(macToBytes(e.mac)), e.mac);
        }
      }),
    );
  });
});
