/**
 * twinleaf's LACP engine against Open vSwitch's (userspace datapath, `bond_mode=balance-tcp
 * lacp=active lacp-time=fast`), over veths whose frames reach this process through the tc/vxlan
 * frame bridge. twinleaf plays an M-LAG pair: two bonds presenting one System and Key with
 * distinct port numbers, one link each, towards OVS's two-member bond.
 *
 * OVS that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LacpBond } from '../../src/lacp/bond.js';
import { LacpDriver } from '../../src/node/lacp-driver.js';
import { createFrameBridge } from '../support/frame-bridge.js';
import { waitForPeer, withNetns, type Lab } from '../support/netns.js';
import { startOvs, type Ovs } from '../support/ovs.js';

const MLAG_SYSTEM = '02:00:00:00:aa:01';
const OTHER_SYSTEM = '02:00:00:00:aa:02';

interface Setup {
  readonly ovs: Ovs;
  readonly leaves: readonly { readonly bond: LacpBond; readonly driver: LacpDriver; readonly port: string }[];
}

/** OVS bond0 (ovsA, ovsB) cabled to twinleaf ports tlA and tlB, each run by its own bond ("leaf"). */
async function setUp(lab: Lab, leafSystems: readonly [string, string]): Promise<Setup> {
  const ovsNs = lab.netns('ovs');
  const tlNs = lab.netns('tl');
  lab.veth(ovsNs, tlNs, { nameA: 'ovsA', nameB: 'tlA' });
  lab.veth(ovsNs, tlNs, { nameA: 'ovsB', nameB: 'tlB' });
  const ovs = await startOvs(lab, ovsNs);
  ovs.vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
  ovs.vsctl(
    'add-bond',
    'br0',
    'bond0',
    'ovsA',
    'ovsB',
    'bond_mode=balance-tcp',
    'lacp=active',
    'other_config:lacp-time=fast',
  );
  const leaves = (['tlA', 'tlB'] as const).map((port, i) => {
    const bond = new LacpBond({
      name: `leaf${i + 1}`,
      systemMac: leafSystems[i]!,
      key: 10,
      // M-LAG: the two devices' port numbers must not overlap.
      ports: [{ id: port, portNumber: i === 0 ? 1 : 1001 }],
    });
    const driver = new LacpDriver(bond, { transmit: (p, frame) => bridge.send(p, frame) });
    return { bond, driver, port };
  });
  const driverOf = (port: string) => leaves.find((l) => l.port === port)!.driver;
  const bridge = await createFrameBridge(lab, tlNs, ['tlA', 'tlB'], {
    onFrame: (port, frame) => driverOf(port).receive(port, frame),
    onCarrier: (port, up) => (up ? driverOf(port).linkUp(port) : driverOf(port).linkDown(port)),
  });
  lab.defer(() => leaves.forEach((l) => l.driver.close()));
  return { ovs, leaves };
}

function describeTwinleaf(s: Setup): string {
  return s.leaves
    .map((l) => {
      const p = l.bond.portStatus(l.port)!;
      return `${l.bond.name}/${l.port}: rx=${p.receive} mux=${p.mux} selected=${p.selected} partner=${p.partner.system}#${p.partner.port} counters=${JSON.stringify(p.counters)}`;
    })
    .join('\n');
}

test('OVS bond against a twinleaf M-LAG pair (one System, two devices): both members attach; link loss detaches only that member; drain makes OVS stop using a member', async (t) => {
  await withNetns(
    async (lab) => {
      const s = await setUp(lab, [MLAG_SYSTEM, MLAG_SYSTEM]);
      const { ovs } = s;
      const describe = () =>
        `${describeTwinleaf(s)}\n${ovs.appctl('lacp/show', 'bond0')}\n${ovs.appctl('bond/show', 'bond0')}`;

      await waitForPeer(
        ovs,
        () => {
          const members = ovs.lacpMembers('bond0');
          const enabled = ovs.bondMembers('bond0');
          return (
            members.length === 2 &&
            members.every((m) => m.status.includes('current') && m.status.includes('attached')) &&
            enabled.get('ovsA') === true &&
            enabled.get('ovsB') === true
          );
        },
        20_000,
        'OVS: both bond0 members current, attached and enabled',
        { describe },
      );
      const members = ovs.lacpMembers('bond0');
      for (const m of members) {
        assert.equal(
          m.fields.get('partner sys_id'),
          MLAG_SYSTEM,
          `${m.name}: twinleaf's System on both members`,
        );
        assert.equal(m.fields.get('partner key'), '10');
        assert.match(m.fields.get('partner state') ?? '', /synchronized collecting distributing/);
      }
      assert.deepEqual(members.map((m) => [m.name, m.fields.get('partner port_id')]).sort(), [
        ['ovsA', '1'],
        ['ovsB', '1001'],
      ]);
      for (const l of s.leaves) {
        assert.deepEqual(l.bond.distributingPorts(), [l.port], `${l.bond.name} distributes`);
        assert.equal(l.bond.portStatus(l.port)!.counters.malformed, 0, 'every OVS LACPDU decoded');
      }

      // Carrier loss on one link: OVS detaches that member only, and twinleaf's side sees it too.
      ovs.ns.ip('link', 'set', 'dev', 'ovsA', 'down');
      await waitForPeer(
        ovs,
        () => {
          const enabled = ovs.bondMembers('bond0');
          return enabled.get('ovsA') === false && enabled.get('ovsB') === true;
        },
        5_000,
        'OVS: ovsA disabled, ovsB still enabled',
        { describe },
      );
      await waitForPeer(
        ovs,
        () => s.leaves[0]!.bond.portStatus('tlA')!.mux === 'DETACHED',
        2_000,
        'leaf1 tlA detached',
        {
          describe,
        },
      );
      assert.deepEqual(s.leaves[1]!.bond.distributingPorts(), ['tlB']);
      const b = ovs.lacpMembers('bond0').find((m) => m.name === 'ovsB')!;
      assert.ok(b.status.includes('current') && b.status.includes('attached'), `ovsB: ${b.status.join(' ')}`);

      ovs.ns.ip('link', 'set', 'dev', 'ovsA', 'up');
      await waitForPeer(
        ovs,
        () =>
          ovs.bondMembers('bond0').get('ovsA') === true && s.leaves[0]!.bond.distributingPorts().length === 1,
        10_000,
        'ovsA back after carrier returns',
        { describe },
      );

      // Planned maintenance on leaf2: LACP out-of-sync first. OVS stops using ovsB; ovsA stays.
      s.leaves[1]!.driver.setDrained(true);
      await waitForPeer(
        ovs,
        () => {
          const enabled = ovs.bondMembers('bond0');
          return enabled.get('ovsB') === false && enabled.get('ovsA') === true;
        },
        5_000,
        'OVS: ovsB disabled after leaf2 drained',
        { describe },
      );
      const drained = ovs.lacpMembers('bond0').find((m) => m.name === 'ovsB')!;
      assert.doesNotMatch(drained.fields.get('partner state') ?? '', /synchronized/);
      s.leaves[1]!.driver.setDrained(false);
      await waitForPeer(
        ovs,
        () => ovs.bondMembers('bond0').get('ovsB') === true,
        10_000,
        'ovsB back after undrain',
        {
          describe,
        },
      );
    },
    { timeoutMs: 90_000, signal: t.signal },
  );
});

test('OVS bond against two twinleaf bonds with different Systems: only one member attaches', async (t) => {
  await withNetns(
    async (lab) => {
      const s = await setUp(lab, [MLAG_SYSTEM, OTHER_SYSTEM]);
      const { ovs } = s;
      const describe = () =>
        `${describeTwinleaf(s)}\n${ovs.appctl('lacp/show', 'bond0')}\n${ovs.appctl('bond/show', 'bond0')}`;
      await waitForPeer(
        ovs,
        () => {
          const enabled = [...ovs.bondMembers('bond0').values()];
          const distributing = s.leaves.filter((l) => l.bond.distributingPorts().length > 0).length;
          return enabled.filter((e) => e).length === 1 && distributing === 1;
        },
        20_000,
        'exactly one OVS member enabled and one twinleaf bond distributing',
        { describe },
      );
      // Stable: still exactly one after several LACPDU rounds.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const enabled = ovs.bondMembers('bond0');
      assert.equal([...enabled.values()].filter((e) => e).length, 1, describe());
      const winner = enabled.get('ovsA') ? 0 : 1;
      assert.deepEqual(s.leaves[winner]!.bond.distributingPorts(), [s.leaves[winner]!.port]);
      assert.deepEqual(
        s.leaves[1 - winner]!.bond.distributingPorts(),
        [],
        'the other bond is told it is out of sync',
      );
    },
    { timeoutMs: 60_000, signal: t.signal },
  );
});
