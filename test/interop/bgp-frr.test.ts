/**
 * twinleaf's BGP-EVPN speaker against FRR's bgpd (+ zebra), over a veth between two namespaces, for
 * eBGP and iBGP: FRR sees twinleaf's Type-2 (MAC, MAC+IP), Type-3 (PMSI ingress replication to our
 * VTEP) and Type-5 routes with the right RD/RT/VNI/next hop; twinleaf's RIB holds FRR's routes for a
 * kernel VNI under advertise-all-vni; withdrawals and session loss propagate both ways.
 *
 * FRR that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvpnRouteJson } from '../../src/api/bgp.js';
import { frrBgpConfig, startFrr, type Frr } from '../support/frr.js';
import { withNetns, type Lab } from '../support/netns.js';
import { startTwinleaf, type TwinleafDaemon } from '../support/twinleaf.js';
import { addStaticMac, addVni, delStaticMac } from '../support/vxlan.js';

const FRR_IP = '10.0.0.1';
const TL_IP = '10.0.0.2';
const FRR_VTEP = '10.255.0.1';
const TL_VTEP = '10.255.0.2';
const FRR_MAC = '02:00:00:00:01:01';

/**
 * With `rtConstraint` twinleaf also offers RFC 4684 route target constraint, which FRR 8.4 does not
 * speak: the family is left out of the session and everything else must work as without it.
 */
function twinleafConfig(asn: number, peerAs: number, rtConstraint = false): string {
  return `
hostname: tl-leaf
router-id: ${TL_IP}
asn: ${asn}
dataplane: none
listen: { address: 0.0.0.0, port: 179 }
bgp:
  neighbors:
    - address: ${FRR_IP}
      remote-as: ${peerAs}
      timers: { hold: 9, connect-retry: 1 }${rtConstraint ? '\n      families: [l2vpn-evpn, rt-constraint]' : ''}
evpn:
  vtep-ip: ${TL_VTEP}
  vnis:
    - vni: 100
      macs:
        - mac: aa:bb:cc:00:00:01
        - mac: aa:bb:cc:00:00:02
          ip: 10.1.1.2
  vrfs:
    - name: tenant1
      l3vni: 5000
      router-mac: 0c:00:00:00:02:ff
      prefixes: [10.9.0.0/24]
`;
}

async function setUp(
  lab: Lab,
  asn: number,
  frrAs: number,
): Promise<{ frr: Frr; tl: TwinleafDaemon; accessPort: string }> {
  const a = lab.netns('frr');
  const b = lab.netns('tl');
  lab.veth(a, b, { addrA: `${FRR_IP}/30`, addrB: `${TL_IP}/30` });
  a.addLoopback(FRR_VTEP);
  // The underlay: FRR only uses EVPN routes whose next hop (our VTEP) it can reach.
  a.ip('route', 'add', `${TL_VTEP}/32`, 'via', TL_IP);
  const vni = addVni(lab, a, { vni: 100, localVtep: FRR_VTEP });
  addStaticMac(a, vni.accessPort!, FRR_MAC);
  const [frr, tl] = await Promise.all([
    startFrr(lab, a, {
      config: frrBgpConfig({
        asn: frrAs,
        routerId: FRR_IP,
        neighbors: [{ address: TL_IP, remoteAs: asn, families: ['l2vpn-evpn'] }],
        // FRR's auto route target imports only its own AS:VNI; across ASes it needs ours configured
        // (twinleaf's auto mode imports any *:VNI, so it needs nothing).
        evpn: {
          advertiseAllVni: true,
          vnis: asn === frrAs ? [] : [{ vni: 100, importRt: [`${asn}:100`], exportRt: [`${frrAs}:100`] }],
        },
      }),
    }),
    // Over eBGP twinleaf also offers route target constraint (see twinleafConfig).
    startTwinleaf(lab, b, twinleafConfig(asn, frrAs, asn !== frrAs)),
  ]);
  await Promise.all([frr.waitEstablished(TL_IP, 20_000), tl.waitEstablished(FRR_IP, 20_000)]);
  return { frr, tl, accessPort: vni.accessPort! };
}

async function exchange(frr: Frr, tl: TwinleafDaemon, asn: number, ibgp: boolean): Promise<void> {
  // twinleaf → FRR
  const routes = await frr.waitFor(
    async () => {
      const r = (await frr.evpnRoutes()).filter((p) => p.peerId === TL_IP);
      return r.length >= 4 ? r : undefined;
    },
    15_000,
    "twinleaf's four EVPN routes in FRR",
  );
  const rd = `${TL_IP}:100`;
  const mac1 = routes.find((r) => r.routeType === 2 && r.mac === 'aa:bb:cc:00:00:01' && r.ip === undefined);
  assert.ok(mac1, JSON.stringify(routes.map((r) => r.prefix)));
  assert.equal(mac1.rd, rd);
  assert.deepEqual(mac1.rts, [`${asn}:100`]);
  assert.deepEqual(mac1.nexthops, [TL_VTEP]);
  assert.match(mac1.extendedCommunity, /ET:8/);
  assert.equal(mac1.asPath, ibgp ? '' : String(asn));
  const macIp = routes.find((r) => r.routeType === 2 && r.mac === 'aa:bb:cc:00:00:02' && r.ip === '10.1.1.2');
  assert.ok(macIp, 'the MAC+IP route');
  assert.deepEqual(macIp.nexthops, [TL_VTEP]);
  const type3 = routes.find((r) => r.routeType === 3);
  assert.ok(type3);
  assert.equal(type3.ip, TL_VTEP);
  assert.equal(type3.rd, rd);
  assert.deepEqual(type3.nexthops, [TL_VTEP]);
  // FRR imported the Type-3 into its VNI 100: our VTEP is in its flood list (PMSI ingress replication).
  const remoteVteps = await frr.waitFor(
    async () => {
      const text = await frr.vtysh('show evpn vni 100');
      return text.includes(TL_VTEP) ? text : undefined;
    },
    10_000,
    'our VTEP in FRR’s VNI 100 remote VTEP list',
  );
  assert.match(remoteVteps, new RegExp(`${TL_VTEP.replace(/\./g, '\\.')}\\s+flood: HER`));
  const type5 = routes.find((r) => r.routeType === 5);
  assert.ok(type5);
  assert.equal(type5.ip, '10.9.0.0');
  assert.match(type5.extendedCommunity, /Rmac:0c:00:00:00:02:ff/);
  assert.deepEqual(type5.rts, [`${asn}:5000`]);

  // FRR → twinleaf: the kernel VNI's Type-3 and the static MAC's Type-2.
  const ours = await tl.waitFor(
    async () => {
      const r = await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route', 'vni', '100']);
      const learnt = r.filter((x) => x.paths.some((p) => p.peer === FRR_IP));
      return learnt.some((x) => x.routeType === 3) && learnt.some((x) => x.routeType === 2)
        ? learnt
        : undefined;
    },
    15_000,
    "FRR's Type-2 and Type-3 routes for VNI 100 in twinleaf",
  );
  const frrType3 = ours.find((r) => r.routeType === 3)!;
  assert.equal(frrType3.vni, 100);
  assert.equal(frrType3.paths[0]!.nexthop, FRR_VTEP);
  assert.match(frrType3.rd, /^10\.0\.0\.1:\d+$/);
  const frrType2 = ours.find((r) => r.routeType === 2)!;
  assert.equal((frrType2.route as { mac?: string }).mac, FRR_MAC);
  assert.equal(frrType2.vni, 100);
  const types = await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route', 'type', '3']);
  assert.ok(
    types.every((r) => r.routeType === 3) && types.length === 2,
    'type filter: ours and FRR’s Type-3',
  );
}

for (const mode of ['ebgp', 'ibgp'] as const) {
  test(
    `twinleaf ↔ FRR over ${mode}: Type-2/3/5 both ways, withdrawal and session loss${mode === 'ebgp' ? ' (twinleaf offering route target constraint, which FRR 8.4 leaves out)' : ''}`,
    { timeout: 60_000 },
    async (t) => {
      await withNetns(
        async (lab) => {
          const asn = 65002;
          const frrAs = mode === 'ebgp' ? 65001 : 65002;
          const { frr, tl, accessPort } = await setUp(lab, asn, frrAs);
          await exchange(frr, tl, asn, mode === 'ibgp');

          // FRR withdraws its MAC: gone from twinleaf.
          delStaticMac(frr.ns, accessPort, FRR_MAC);
          await tl.waitFor(
            async () => {
              const r = await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route', 'type', '2']);
              return !r.some((x) => (x.route as { mac?: string }).mac === FRR_MAC);
            },
            15_000,
            "FRR's Type-2 withdrawal in twinleaf",
          );

          // twinleaf goes away: FRR drops every route it had from us.
          await tl.process.stop();
          await frr.waitFor(
            async () => !(await frr.evpnRoutes()).some((p) => p.peerId === TL_IP),
            15_000,
            "twinleaf's routes gone from FRR after the daemon stopped",
          );
        },
        { signal: t.signal, timeoutMs: 58_000 },
      );
    },
  );
}
