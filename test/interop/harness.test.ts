/**
 * Proves the interop harness against the real peers only (no twinleaf speaker): FRR and GoBGP in
 * namespaces exchange EVPN routes, FRR originates a Type-3 for a kernel VNI, and cleanup leaves nothing.
 *
 * A peer that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  execSync,
  listNamespaces,
  listOwnNamespaces,
  withNetns,
  type Lab,
  type Netns,
} from '../support/netns.js';
import { frrBgpConfig, startFrr, type Frr } from '../support/frr.js';
import { startGobgp, type Gobgp } from '../support/gobgp.js';
import { addStaticMac, addVni } from '../support/vxlan.js';

const FRR_IP = '10.0.0.1';
const GOBGP_IP = '10.0.0.2';

/** FRR (AS 65001) in one namespace, GoBGP (AS 65002) in another, one veth, eBGP l2vpn-evpn, Established. */
async function frrAndGobgp(
  lab: Lab,
  prepareFrrNs?: (ns: Netns) => void,
): Promise<{ frr: Frr; gobgp: Gobgp }> {
  const a = lab.netns('frr');
  const b = lab.netns('gobgp');
  lab.veth(a, b, { addrA: `${FRR_IP}/30`, addrB: `${GOBGP_IP}/30` });
  prepareFrrNs?.(a);
  const [frr, gobgp] = await Promise.all([
    startFrr(lab, a, {
      config: frrBgpConfig({
        asn: 65001,
        routerId: FRR_IP,
        neighbors: [{ address: GOBGP_IP, remoteAs: 65002, families: ['l2vpn-evpn'] }],
        evpn: { advertiseAllVni: true },
      }),
    }),
    startGobgp(lab, b, {
      asn: 65002,
      routerId: GOBGP_IP,
      listenAddresses: [GOBGP_IP],
      neighbors: [{ address: FRR_IP, remoteAs: 65001, families: ['l2vpn-evpn'] }],
    }),
  ]);
  await Promise.all([frr.waitEstablished(GOBGP_IP, 15_000), gobgp.waitEstablished(FRR_IP, 15_000)]);
  return { frr, gobgp };
}

test(
  'GoBGP → FRR: Type-2, Type-3 and Type-5 routes arrive with their RD, RT and next hop',
  { timeout: 30_000 },
  async (t) => {
    await withNetns(
      async (lab) => {
        const { frr, gobgp } = await frrAndGobgp(lab);
        const rd = `${GOBGP_IP}:100`;
        await gobgp.addEvpnMacIp({
          mac: 'aa:bb:cc:00:00:01',
          ip: '10.1.1.1',
          vni: 100,
          rd,
          rt: '65002:100',
          nexthop: GOBGP_IP,
        });
        await gobgp.addEvpnMulticast({ originator: GOBGP_IP, vni: 100, rd, rt: '65002:100' });
        await gobgp.addEvpnPrefix({
          prefix: '10.9.0.0/24',
          vni: 5000,
          rd: `${GOBGP_IP}:5000`,
          rt: '65002:5000',
          nexthop: GOBGP_IP,
        });

        const local = await gobgp.evpnRib();
        assert.deepEqual(local.map((r) => r.type).sort(), [2, 3, 5]);
        assert.deepEqual(local.find((r) => r.type === 3)?.pmsi, {
          tunnelType: 6,
          label: 100,
          tunnelId: GOBGP_IP,
        });

        const routes = await frr.waitFor(
          async () => {
            const r = await frr.evpnRoutes();
            return r.length >= 3 ? r : undefined;
          },
          10_000,
          'three EVPN routes from GoBGP in FRR',
        );
        const type2 = routes.find((r) => r.routeType === 2);
        assert.ok(type2, JSON.stringify(routes));
        assert.equal(type2.rd, rd);
        assert.equal(type2.mac, 'aa:bb:cc:00:00:01');
        assert.equal(type2.ip, '10.1.1.1');
        assert.deepEqual(type2.rts, ['65002:100']);
        assert.deepEqual(type2.nexthops, [GOBGP_IP]);
        assert.equal(type2.asPath, '65002');
        assert.ok(type2.valid && type2.bestpath);

        const type3 = routes.find((r) => r.routeType === 3);
        assert.ok(type3, JSON.stringify(routes));
        assert.equal(type3.rd, rd);
        assert.equal(type3.ip, GOBGP_IP);
        assert.deepEqual(type3.rts, ['65002:100']);
        assert.deepEqual(type3.nexthops, [GOBGP_IP]);

        const type5 = routes.find((r) => r.routeType === 5);
        assert.ok(type5, JSON.stringify(routes));
        assert.equal(type5.rd, `${GOBGP_IP}:5000`);
        assert.equal(type5.ip, '10.9.0.0');
        assert.deepEqual(type5.rts, ['65002:5000']);

        // Withdrawal goes through too.
        await gobgp.delEvpnMacIp({
          mac: 'aa:bb:cc:00:00:01',
          ip: '10.1.1.1',
          vni: 100,
          rd,
          rt: '65002:100',
          nexthop: GOBGP_IP,
        });
        await frr.waitFor(
          async () => !(await frr.evpnRoutes()).some((r) => r.routeType === 2),
          10_000,
          'the Type-2 withdrawal in FRR',
        );
      },
      { signal: t.signal, timeoutMs: 28_000 },
    );
  },
);

test(
  'FRR → GoBGP: a kernel VNI under advertise-all-vni gives Type-3 and Type-2 routes',
  { timeout: 30_000 },
  async (t) => {
    await withNetns(
      async (lab) => {
        const vtep = '10.255.0.1';
        const mac = '02:00:00:00:01:01';
        const { frr, gobgp } = await frrAndGobgp(lab, (ns) => {
          ns.addLoopback(vtep);
          const vni = addVni(lab, ns, { vni: 100, localVtep: vtep });
          addStaticMac(ns, vni.accessPort!, mac);
        });
        const vnis = await frr.vtyshJson<Record<string, { vni?: number; vxlanIf?: string }>>('show evpn vni');
        assert.equal(vnis['100']?.vxlanIf, 'vxlan100', JSON.stringify(vnis));

        const rib = await gobgp.waitFor(
          async () => {
            const r = await gobgp.evpnRib();
            return r.some((p) => p.type === 3) && r.some((p) => p.type === 2) ? r : undefined;
          },
          10_000,
          "FRR's Type-3 and Type-2 routes in GoBGP",
        );
        const type3 = rib.find((r) => r.type === 3)!;
        assert.equal(type3.ip, vtep);
        assert.equal(type3.nexthop, vtep);
        assert.equal(type3.neighborIp, FRR_IP);
        assert.deepEqual(type3.rts, ['65001:100']);
        assert.equal(type3.encap, 8);
        assert.deepEqual(type3.pmsi, { tunnelType: 6, label: 100, tunnelId: vtep });
        assert.deepEqual(type3.asPath, [65001]);
        assert.match(type3.rd, /^10\.0\.0\.1:\d+$/);

        const type2 = rib.find((r) => r.type === 2 && r.mac === mac);
        assert.ok(type2, JSON.stringify(rib));
        assert.equal(type2.ip, undefined);
        assert.deepEqual(type2.labels, [100]);
        assert.equal(type2.nexthop, vtep);
        assert.deepEqual(type2.rts, ['65001:100']);
      },
      { signal: t.signal, timeoutMs: 28_000 },
    );
  },
);

test(
  'cleanup removes namespaces, veths, processes and the lab directory after a failing body',
  { timeout: 20_000 },
  async () => {
    let names: string[] = [];
    let rootVeth = '';
    let pids: number[] = [];
    let dir = '';
    await assert.rejects(
      withNetns(async (lab) => {
        const a = lab.netns('doomed-a');
        const b = lab.netns('doomed-b');
        lab.veth(a, b, { addrA: '192.0.2.1/30', addrB: '192.0.2.2/30' });
        rootVeth = lab.veth(a, null, { addrA: ['198.51.100.1/30', '2001:db8::1/64'] }).b.name;
        const sleeper = a.spawn('sleep', ['300']);
        const gobgp = await startGobgp(lab, b, {
          asn: 65002,
          routerId: '192.0.2.2',
          listenPort: -1,
          neighbors: [],
        });
        names = lab.namespaces.map((ns) => ns.name);
        pids = [sleeper.pid, gobgp.process.pid];
        dir = lab.dir;
        assert.ok(listNamespaces().includes(a.name));
        throw new Error('deliberate failure');
      }),
      /deliberate failure/,
    );
    assert.equal(names.length, 2);
    const left = listNamespaces();
    for (const n of names) assert.ok(!left.includes(n), `${n} still in ip netns list: ${left.join(', ')}`);
    assert.throws(
      () => execSync(null, 'ip', ['link', 'show', 'dev', rootVeth]),
      /does not exist|Cannot find/,
    );
    for (const pid of pids)
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} still alive`);
    assert.ok(!existsSync(dir), `${dir} still exists`);

    // A body that never finishes: the timeout cleans up too.
    let hung = '';
    let hungPid = 0;
    await assert.rejects(
      withNetns(
        async (lab) => {
          hung = lab.netns('hung').name;
          hungPid = lab.spawn(hung, 'sleep', ['300']).pid;
          await new Promise(() => {});
        },
        { timeoutMs: 300 },
      ),
      /did not finish within 300 ms/,
    );
    assert.ok(!listNamespaces().includes(hung));
    assert.throws(() => process.kill(hungPid, 0), { code: 'ESRCH' });
  },
);

test('no namespace of this run remains', () => {
  assert.deepEqual(listOwnNamespaces(), []);
});
