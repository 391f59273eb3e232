import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ip, mac, type Vni } from '../../src/wire/addr.js';
import { encodeMlagMessage } from '../../src/wire/mlag.js';
import { DEFAULT_DAD_TIMEOUT_MS, DEFAULT_RECOVERY_DELAY_MS, electRole } from '../../src/mlag/dfs-group.js';
import { Pair, VNI, deviceConfig } from './harness.js';

const A_MAC = '02:00:00:00:00:0a';
const B_MAC = '02:00:00:00:00:0b';

/** A (priority 200) and B (priority 100), started together with the peer-link up. */
function pairAB(aPriority = 200, bPriority = 100, extra: Parameters<typeof deviceConfig>[3] = {}): Pair {
  return new Pair(
    deviceConfig('A', A_MAC, aPriority, { bootId: 11, ...extra }),
    deviceConfig('B', B_MAC, bPriority, { bootId: 22, ...extra }),
  ).start();
}

const H1 = mac('00:00:5e:00:01:01');
const H2 = mac('00:00:5e:00:01:02');
const H3 = mac('00:00:5e:00:01:03');

describe('mlag: pairing and election', () => {
  it('pairs over the peer-link and elects the higher priority as master', () => {
    const p = pairAB(200, 100);
    assert.equal(p.a.engine.state, 'paired');
    assert.equal(p.b.engine.state, 'paired');
    assert.equal(p.a.engine.role, 'master');
    assert.equal(p.b.engine.role, 'backup');
    assert.match(p.b.of('role')[0]!.reason, /priority 100 < peer 200/);
    // Two fresh devices: no one was forwarding, so no recovery delay; consistent, so all up.
    for (const d of [p.a, p.b]) {
      assert.equal(d.port('non-member'), 'up');
      assert.equal(d.port(1), 'up');
      assert.equal(d.port(2), 'up');
    }
    // Dual-homed servers: BUM from the peer-link is kept off both member ports.
    p.allMembersUp();
    assert.deepEqual(
      [...p.b.isolation],
      [
        [1, true],
        [2, true],
      ],
    );
    assert.deepEqual(
      [...p.a.memberRoles],
      [
        [1, 'master'],
        [2, 'master'],
      ],
    );
    assert.deepEqual(
      [...p.b.memberRoles],
      [
        [1, 'backup'],
        [2, 'backup'],
      ],
    );
  });

  it('breaks a priority tie with the lower system-local MAC', () => {
    const p = pairAB(100, 100);
    assert.equal(p.a.engine.role, 'master', 'A has the lower MAC');
    assert.equal(p.b.engine.role, 'backup');
    assert.match(p.a.of('role')[0]!.reason, /MAC 02:00:00:00:00:0a < peer 02:00:00:00:00:0b/);
    const q = new Pair(
      deviceConfig('A', 'aa:00:00:00:00:01', 100),
      deviceConfig('B', '02:00:00:00:00:01', 100, { bootId: 2 }),
    ).start();
    assert.equal(q.b.engine.role, 'master');
  });

  it('electRole: a held master role is kept against a better candidate (no pre-emption)', () => {
    const strong = { role: 'none' as const, priority: 255, mac: mac('02:00:00:00:00:01') };
    const holder = { role: 'master' as const, priority: 1, mac: mac('02:00:00:00:00:ff') };
    assert.equal(electRole(strong, holder).role, 'backup');
    assert.equal(electRole(holder, strong).role, 'master');
    // Two masters (after a dual-master episode) elect again on priority.
    assert.equal(electRole({ ...strong, role: 'master' }, holder).role, 'master');
  });

  it('a restarted former master comes back as backup; member ports wait exactly the recovery delay', () => {
    const p = pairAB(200, 100);
    p.allMembersUp();
    p.advance(5_000);
    const before = p.b.actions.length;
    p.kill('a');
    assert.equal(p.b.engine.state, 'dad-check');
    p.advance(DEFAULT_DAD_TIMEOUT_MS);
    assert.equal(p.b.engine.state, 'alone');
    assert.equal(p.b.engine.role, 'master');
    p.advance(60_000);
    p.restart('a', 12);
    const pairedAt = p.now;
    assert.equal(p.a.engine.state, 'paired');
    assert.equal(p.a.engine.role, 'backup', 'A has the higher priority but B holds master');
    assert.equal(p.b.engine.role, 'master');
    assert.match(p.a.of('role').at(-1)!.reason, /peer holds master \(no pre-emption\)/);
    assert.equal(p.a.port('non-member'), 'up');
    assert.equal(p.a.port(1), 'down');
    assert.match(p.a.portReason(1)!, /recovery delay/);
    p.advanceTo(pairedAt + DEFAULT_RECOVERY_DELAY_MS - 1);
    assert.equal(p.a.port(1), 'down', 'one millisecond early');
    p.advanceTo(pairedAt + DEFAULT_RECOVERY_DELAY_MS);
    assert.equal(p.a.port(1), 'up');
    assert.equal(p.a.port(2), 'up');
    assert.equal(p.b.port(1), 'up', 'the master never stopped forwarding');
    const survivorDowns = p.b.actions
      .slice(before)
      .filter((x) => x.type === 'port-state' && x.state !== 'up');
    assert.deepEqual(survivorDowns, [], 'the survivor never stopped forwarding');
  });

  it('the recovery delay is configurable', () => {
    const p = pairAB(200, 100, { recoveryDelayMs: 10_000 });
    p.kill('b');
    p.advance(DEFAULT_DAD_TIMEOUT_MS);
    p.restart('b', 23);
    const at = p.now;
    assert.equal(p.b.engine.role, 'backup');
    p.advanceTo(at + 9_999);
    assert.equal(p.b.port(1), 'down');
    p.advanceTo(at + 10_000);
    assert.equal(p.b.port(1), 'up');
  });
});

describe('mlag: consistency check', () => {
  it('reports each mismatch with both values and keeps the backup member ports down until fixed', () => {
    const p = new Pair(
      deviceConfig('A', A_MAC, 200, { bootId: 11 }),
      deviceConfig('B', B_MAC, 100, { bootId: 22, virtualVtepIp: ip('10.0.0.98'), vnis: [10000 as Vni] }),
    ).start();
    const errors = p.b.of('consistency-error');
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0]!.mismatches, [
      { parameter: 'virtual-vtep-ip', local: '10.0.0.98', peer: '10.0.0.99' },
      { parameter: 'vnis', local: '10000', peer: '10000,10001' },
    ]);
    assert.deepEqual(p.a.of('consistency-error')[0]!.mismatches[0], {
      parameter: 'virtual-vtep-ip',
      local: '10.0.0.99',
      peer: '10.0.0.98',
    });
    assert.equal(p.b.engine.role, 'backup');
    assert.equal(p.b.port(1), 'down');
    assert.equal(
      p.b.portReason(1),
      'consistency check failed: virtual-vtep-ip local=10.0.0.98 peer=10.0.0.99',
    );
    assert.equal(p.b.port('non-member'), 'up');
    assert.equal(p.a.port(1), 'up', 'the master keeps forwarding');
    p.advance(30_000);
    assert.equal(p.b.port(1), 'down', 'still held');
    p.run(
      'b',
      p.b.engine.reconfigure(p.now, { virtualVtepIp: ip('10.0.0.99'), vnis: [10000 as Vni, 10001 as Vni] }),
    );
    assert.equal(p.b.of('consistency-ok').length, 1);
    assert.equal(p.a.of('consistency-ok').length, 1);
    assert.equal(p.b.port(1), 'up');
    assert.deepEqual(p.b.engine.consistencyMismatches, []);
  });

  it('a HELLO of another DFS group is reported and never pairs', () => {
    const p = new Pair(
      deviceConfig('A', A_MAC, 200, { bootId: 11 }),
      deviceConfig('B', B_MAC, 100, { bootId: 22, groupId: 8 }),
    ).start();
    assert.deepEqual(p.a.of('consistency-error')[0]!.mismatches, [
      { parameter: 'dfs-group-id', local: '7', peer: '8' },
    ]);
    assert.notEqual(p.a.engine.state, 'paired');
    assert.equal(p.a.port(1), 'down');
  });
});

describe('mlag: MAC and neighbor sync', () => {
  it('full sync at pairing: member MACs go to the peer own port of that M-LAG, single-homed ones to the peer-link', () => {
    const p = new Pair(
      deviceConfig('A', A_MAC, 200, { bootId: 11 }),
      deviceConfig('B', B_MAC, 100, { bootId: 22 }),
    );
    p.peerLink = false;
    p.start();
    p.run('a', p.a.engine.memberPortUp(p.now, 1));
    p.run('b', p.b.engine.memberPortUp(p.now, 1));
    p.learn('a', VNI, H1, { kind: 'member', mlagId: 1 });
    p.learn('a', VNI, H2, { kind: 'single-homed' });
    p.run('a', p.a.engine.localNeighborLearned(p.now, VNI, ip('10.10.0.1'), H1));
    assert.equal(p.b.fdb.size, 0, 'nothing synced while unpaired');
    p.restorePeerLink();
    assert.equal(p.a.engine.state, 'paired');
    assert.deepEqual(p.b.fdb.get(`${VNI}/${H1}`), { kind: 'static', port: { kind: 'member', mlagId: 1 } });
    assert.deepEqual(p.b.fdb.get(`${VNI}/${H2}`), { kind: 'static', port: { kind: 'peer-link' } });
    assert.equal(p.b.neighbors.get(`${VNI}/10.10.0.1`), H1);
    assert.ok(p.a.of('log').some((l) => /full sync done: peer sent 0 MACs/.test(l.text)));
    assert.ok(p.b.of('log').some((l) => /full sync done: peer sent 2 MACs, 1 neighbors/.test(l.text)));
  });

  it('incremental sync follows a MAC moving between a member port and single-homed ports on both devices', () => {
    const p = pairAB();
    p.allMembersUp();
    p.learn('a', VNI, H3, { kind: 'member', mlagId: 2 });
    assert.deepEqual(p.b.fdb.get(`${VNI}/${H3}`), { kind: 'static', port: { kind: 'member', mlagId: 2 } });
    // The server moves to a single-homed port of A.
    p.learn('a', VNI, H3, { kind: 'single-homed' });
    assert.deepEqual(p.b.fdb.get(`${VNI}/${H3}`), { kind: 'static', port: { kind: 'peer-link' } });
    // Then to a single-homed port of B: A must now send it over the peer-link.
    p.learn('b', VNI, H3, { kind: 'single-homed' });
    assert.deepEqual(p.a.fdb.get(`${VNI}/${H3}`), { kind: 'static', port: { kind: 'peer-link' } });
    const rowA = p.a.engine.macTable().find((e) => e.mac === H3)!;
    const rowB = p.b.engine.macTable().find((e) => e.mac === H3)!;
    assert.deepEqual(rowA, rowB);
    assert.equal(rowA.origin, B_MAC);
    assert.deepEqual(rowA.location, { kind: 'single-homed' });
    // And back behind M-LAG 2, learned by B this time: A points it at its own member port of M-LAG 2.
    p.learn('b', VNI, H3, { kind: 'member', mlagId: 2 });
    assert.deepEqual(p.a.fdb.get(`${VNI}/${H3}`), { kind: 'static', port: { kind: 'member', mlagId: 2 } });
    // Only the device that asserted it ages it out for both.
    assert.equal(p.age('b', VNI, H3), true);
    assert.equal(p.a.fdb.has(`${VNI}/${H3}`), false);
    assert.equal(p.a.engine.macTable().length, 0);
    assert.equal(p.b.engine.macTable().length, 0);
  });

  it('a late or duplicated sync message never undoes a newer change (sonic-swss#2810)', () => {
    const p = pairAB();
    p.allMembersUp();
    p.holdSync = true;
    p.learn('a', VNI, H1, { kind: 'member', mlagId: 1 }); // held[0]: add, seq n
    p.learn('a', VNI, H1, { kind: 'single-homed' }); // held[1]: move, seq n+1
    assert.equal(p.held.length, 2);
    p.deliverHeld([1, 0]); // the move overtakes the add
    assert.deepEqual(p.b.fdb.get(`${VNI}/${H1}`), { kind: 'static', port: { kind: 'peer-link' } });
    assert.equal(p.b.engine.counters.staleSyncDropped, 1);
    p.age('a', VNI, H1); // held: delete
    const deleteMsg = p.held[0]!;
    p.holdSync = false;
    p.deliverHeld([0]);
    // The add arrives again (a duplicate from a retransmitting transport): the delete stands.
    p.run(
      'b',
      p.b.engine.receivePeer(
        p.now,
        encodeMlagMessage({
          type: 'mac-sync',
          entries: [
            {
              op: 'add',
              vni: VNI,
              mac: H1,
              location: { kind: 'mlag', mlagId: 1 },
              origin: mac(A_MAC),
              seq: 1,
            },
          ],
        }),
      ),
    );
    p.run('b', p.b.engine.receivePeer(p.now, deleteMsg.data));
    assert.equal(p.b.fdb.has(`${VNI}/${H1}`), false);
    assert.equal(p.b.engine.macTable().length, 0);
  });

  it('a malformed sync message is counted and dropped, never thrown', () => {
    const p = pairAB();
    const bad = encodeMlagMessage({ type: 'sync-request', requestId: 1 });
    bad[3] = 1; // claims HELLO with a 4-octet body
    assert.doesNotThrow(() => p.run('b', p.b.engine.receivePeer(p.now, bad)));
    assert.equal(p.b.engine.counters.malformedPeer, 1);
    p.run('b', p.b.engine.receivePeer(p.now, Uint8Array.of(1, 2, 3)));
    assert.equal(p.b.engine.counters.framingErrors, 1);
    p.run('b', p.b.engine.receiveDad(p.now, Uint8Array.of(0x4d)));
    assert.equal(p.b.engine.counters.malformedDad, 1);
    assert.equal(p.b.engine.state, 'paired', 'the session carries on');
  });
});

describe('mlag: member ports and isolation', () => {
  it('a member port down on one device lifts isolation on the peer for that M-LAG only', () => {
    const p = pairAB();
    p.allMembersUp();
    p.learn('a', VNI, H1, { kind: 'member', mlagId: 1 });
    p.run('a', p.a.engine.memberPortDown(p.now, 1));
    assert.equal(p.b.isolation.get(1), false, 'the server of M-LAG 1 is single-homed to B now');
    assert.equal(p.b.isolation.get(2), true);
    assert.equal(p.b.memberRoles.get(1), 'master');
    assert.equal(p.b.memberRoles.get(2), 'backup');
    assert.equal(p.a.memberRoles.get(1), 'down');
    // A reaches that server over the peer-link now.
    assert.deepEqual(p.a.fdb.get(`${VNI}/${H1}`), { kind: 'static', port: { kind: 'peer-link' } });
    p.run('a', p.a.engine.memberPortUp(p.now, 1));
    assert.equal(p.b.isolation.get(1), true);
    assert.deepEqual(p.a.fdb.get(`${VNI}/${H1}`), { kind: 'static', port: { kind: 'member', mlagId: 1 } });
  });
});

describe('mlag: failures', () => {
  it('peer-link down, peer alive on DAD: the backup error-downs all but peer-link and management', () => {
    const p = pairAB();
    p.allMembersUp();
    p.learn('b', VNI, H2, { kind: 'single-homed' });
    p.advance(2_000);
    p.cutPeerLink();
    p.advance(DEFAULT_DAD_TIMEOUT_MS);
    assert.equal(p.a.engine.state, 'split');
    assert.equal(p.b.engine.state, 'split');
    assert.equal(p.b.engine.role, 'backup');
    assert.equal(p.b.port('non-member'), 'error-down');
    assert.equal(p.b.port(1), 'error-down');
    assert.equal(p.b.port(2), 'error-down');
    assert.match(p.b.portReason('non-member')!, /peer-link down and peer alive/);
    assert.equal(p.a.port('non-member'), 'up');
    assert.equal(p.a.port(1), 'up');
    assert.equal(p.a.isolation.get(1), false, 'every server is single-homed to the master now');
    assert.equal(p.a.fdb.has(`${VNI}/${H2}`), false, 'single-homed on B: unreachable without the peer-link');
    p.advance(60_000);
    assert.equal(p.b.engine.state, 'split', 'DAD keeps saying the peer is alive');
    // Seed 001: after the peer-link recovers, non-member ports at once, member ports 4 minutes later.
    p.restorePeerLink();
    const pairedAt = p.now;
    assert.equal(p.b.engine.state, 'paired');
    assert.equal(p.b.engine.role, 'backup');
    assert.equal(p.b.port('non-member'), 'up');
    assert.equal(p.b.port(1), 'down');
    p.advanceTo(pairedAt + DEFAULT_RECOVERY_DELAY_MS - 1);
    assert.equal(p.b.port(1), 'down');
    p.advanceTo(pairedAt + DEFAULT_RECOVERY_DELAY_MS);
    assert.equal(p.b.port(1), 'up');
    assert.equal(p.b.port(2), 'up');
    assert.equal(p.a.isolation.get(1), true);
  });

  it('peer-link down and DAD silent: the survivor forwards alone, promoted after the DAD timeout', () => {
    const p = pairAB();
    p.allMembersUp();
    p.advance(1_000);
    p.kill('a');
    const downAt = p.now;
    assert.equal(p.b.engine.role, 'backup');
    p.advanceTo(downAt + DEFAULT_DAD_TIMEOUT_MS - 1);
    assert.equal(p.b.engine.state, 'dad-check');
    assert.equal(p.b.engine.role, 'backup');
    assert.equal(p.b.port(1), 'up', 'keeps forwarding while it checks');
    p.advanceTo(downAt + DEFAULT_DAD_TIMEOUT_MS);
    assert.equal(p.b.engine.state, 'alone');
    assert.equal(p.b.engine.role, 'master');
    assert.equal(p.b.port('non-member'), 'up');
    assert.equal(p.b.port(1), 'up');
    assert.equal(p.b.isolation.get(1), false);
  });

  it('device failure reported by BFD promotes the backup at once', () => {
    const p = pairAB();
    p.allMembersUp();
    p.devices.a.alive = false;
    p.run('b', p.b.engine.peerDeviceDown(p.now));
    assert.equal(p.b.engine.state, 'alone');
    assert.equal(p.b.engine.role, 'master');
    assert.match(p.b.of('role').at(-1)!.reason, /peer device down \(BFD\)/);
  });

  it('a peer that stops sending HELLOs (link still up) is found dead by heartbeat timeout and DAD', () => {
    const p = pairAB(100, 200);
    p.allMembersUp();
    assert.equal(p.a.engine.role, 'backup');
    p.devices.b.alive = false; // hung: sends nothing, the link stays up
    const lastHeard = p.now;
    p.advance(3_000);
    assert.equal(p.a.engine.state, 'dad-check');
    p.advanceTo(lastHeard + 3_000 + DEFAULT_DAD_TIMEOUT_MS);
    assert.equal(p.a.engine.state, 'alone');
    assert.equal(p.a.engine.role, 'master');
  });

  it('peer-link and DAD both down: both devices become master (dual-master), resolved when the link returns', () => {
    const p = pairAB();
    p.allMembersUp();
    p.cutDad(true);
    p.cutPeerLink();
    assert.equal(p.a.engine.state, 'dual-master');
    assert.equal(p.b.engine.state, 'dual-master');
    assert.equal(p.a.engine.role, 'master');
    assert.equal(p.b.engine.role, 'master');
    assert.ok(p.b.of('log').some((l) => l.level === 'warn' && /dual-master risk/.test(l.text)));
    for (const d of [p.a, p.b]) assert.equal(d.port(1), 'up');
    // Without knowing the DAD path is down, each side sees a silent peer and takes over alone: the same outcome.
    const q = pairAB();
    q.cutDad(false);
    q.cutPeerLink();
    q.advance(DEFAULT_DAD_TIMEOUT_MS);
    assert.deepEqual([q.a.engine.role, q.b.engine.role], ['master', 'master']);
    // The peer-link returns: the two masters elect again; the loser stays forwarding as backup.
    p.restorePeerLink();
    assert.equal(p.a.engine.state, 'paired');
    assert.equal(p.a.engine.role, 'master');
    assert.equal(p.b.engine.role, 'backup');
    assert.match(p.b.of('role').at(-1)!.reason, /both master: elected on priority 100 < peer 200/);
    assert.equal(p.b.port(1), 'up');
  });

  it('dual-master with the DAD link back: the peer is heard, the lower priority error-downs', () => {
    const p = pairAB();
    p.cutDad(true);
    p.cutPeerLink();
    p.restoreDad(true);
    assert.equal(p.a.engine.state, 'split');
    assert.equal(p.b.engine.role, 'backup');
    assert.equal(p.b.port('non-member'), 'error-down');
    assert.equal(p.a.port('non-member'), 'up');
  });
});
