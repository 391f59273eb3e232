/**
 * twinleaf's BGP-EVPN speaker against gobgpd over a veth between two namespaces (eBGP and iBGP):
 * routes injected with the `gobgp` CLI reach twinleaf's RIB, twinleaf's Type-2/3/5 routes read back
 * with `gobgp -j`, and withdrawals propagate both ways.
 *
 * gobgpd that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvpnRouteJson } from '../../src/api/bgp.js';
import { startGobgp } from '../support/gobgp.js';
import { withNetns } from '../support/netns.js';
import { startTwinleaf } from '../support/twinleaf.js';

const GOBGP_IP = '10.0.0.1';
const TL_IP = '10.0.0.2';
const TL_VTEP = '10.255.0.2';

for (const mode of ['ebgp', 'ibgp'] as const) {
  test(
    `twinleaf ↔ GoBGP over ${mode}: Type-2/3/5 both ways, withdrawal and session loss`,
    { timeout: 60_000 },
    async (t) => {
      await withNetns(
        async (lab) => {
          const asn = 65002;
          const gobgpAs = mode === 'ebgp' ? 65001 : 65002;
          const a = lab.netns('gobgp');
          const b = lab.netns('tl');
          lab.veth(a, b, { addrA: `${GOBGP_IP}/30`, addrB: `${TL_IP}/30` });
          const [gobgp, tl] = await Promise.all([
            startGobgp(lab, a, {
              asn: gobgpAs,
              routerId: GOBGP_IP,
              listenAddresses: [GOBGP_IP],
              neighbors: [{ address: TL_IP, remoteAs: asn, families: ['l2vpn-evpn'] }],
            }),
            startTwinleaf(
              lab,
              b,
              `
router-id: ${TL_IP}
asn: ${asn}
listen: { address: 0.0.0.0, port: 179 }
bgp:
  neighbors:
    - { address: ${GOBGP_IP}, remote-as: ${gobgpAs}, timers: { connect-retry: 1 } }
evpn:
  vtep-ip: ${TL_VTEP}
  vnis:
    - vni: 100
      macs: [{ mac: aa:bb:cc:00:00:01 }, { mac: aa:bb:cc:00:00:02, ip: 10.1.1.2 }]
  vrfs:
    - { name: tenant1, l3vni: 5000, router-mac: 0c:00:00:00:02:ff, prefixes: [10.9.0.0/24] }
`,
            ),
          ]);
          await Promise.all([gobgp.waitEstablished(TL_IP, 20_000), tl.waitEstablished(GOBGP_IP, 20_000)]);

          // twinleaf → GoBGP
          const rib = await gobgp.waitFor(
            async () => {
              const r = (await gobgp.evpnRib()).filter((p) => p.neighborIp === TL_IP);
              return r.length >= 4 ? r : undefined;
            },
            15_000,
            "twinleaf's four EVPN routes in GoBGP",
          );
          const mac = rib.find((r) => r.type === 2 && r.mac === 'aa:bb:cc:00:00:01');
          assert.ok(mac, JSON.stringify(rib.map((r) => r.key)));
          assert.equal(mac.rd, `${TL_IP}:100`);
          assert.deepEqual(mac.rts, [`${asn}:100`]);
          assert.deepEqual(mac.labels, [100]);
          assert.equal(mac.nexthop, TL_VTEP);
          assert.equal(mac.encap, 8);
          assert.deepEqual(mac.asPath, mode === 'ebgp' ? [asn] : []);
          const macIp = rib.find((r) => r.type === 2 && r.ip === '10.1.1.2');
          assert.ok(macIp);
          assert.equal(macIp.mac, 'aa:bb:cc:00:00:02');
          const type3 = rib.find((r) => r.type === 3);
          assert.ok(type3);
          assert.deepEqual(type3.pmsi, { tunnelType: 6, label: 100, tunnelId: TL_VTEP });
          const type5 = rib.find((r) => r.type === 5);
          assert.ok(type5);
          assert.equal(type5.prefix, '10.9.0.0/24');
          assert.deepEqual(type5.labels, [5000]);

          // GoBGP → twinleaf
          const rd = `${GOBGP_IP}:100`;
          const gobgpMac = {
            mac: 'aa:bb:cc:99:00:01',
            ip: '10.1.1.99',
            vni: 100,
            rd,
            rt: `${gobgpAs}:100`,
            nexthop: '10.255.0.1',
          };
          await gobgp.addEvpnMacIp(gobgpMac);
          await gobgp.addEvpnMulticast({ originator: '10.255.0.1', vni: 100, rd, rt: `${gobgpAs}:100` });
          await gobgp.addEvpnPrefix({
            prefix: '10.8.0.0/16',
            vni: 5000,
            rd: `${GOBGP_IP}:5000`,
            rt: `${gobgpAs}:5000`,
            nexthop: '10.255.0.1',
          });
          const learnt = await tl.waitFor(
            async () => {
              const r = (await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route'])).filter((x) =>
                x.paths.some((p) => p.peer === GOBGP_IP),
              );
              return r.length >= 3 ? r : undefined;
            },
            15_000,
            "GoBGP's routes in twinleaf",
          );
          const t2 = learnt.find((r) => r.routeType === 2)!;
          assert.equal(t2.rd, rd);
          assert.equal(t2.vni, 100);
          assert.equal(t2.paths[0]!.nexthop, '10.255.0.1');
          assert.deepEqual(
            t2.paths[0]!.extendedCommunities.filter((c) => c.startsWith('RT:')),
            [`RT:${gobgpAs}:100`],
          );
          assert.equal(learnt.find((r) => r.routeType === 3)!.vni, 100);
          assert.equal(learnt.find((r) => r.routeType === 5)!.vni, 5000);

          await gobgp.delEvpnMacIp(gobgpMac);
          await tl.waitFor(
            async () =>
              !(await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route', 'type', '2'])).some(
                (x) => x.rd === rd,
              ),
            15_000,
            "GoBGP's withdrawal in twinleaf",
          );

          // Session loss: gobgpd goes away, twinleaf drops everything it had learnt from it.
          await gobgp.process.stop();
          await tl.waitFor(
            async () =>
              !(await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route'])).some((x) =>
                x.paths.some((p) => p.peer === GOBGP_IP),
              ),
            15_000,
            "GoBGP's routes gone from twinleaf after gobgpd stopped",
          );
          assert.notEqual(await tl.peerState(GOBGP_IP), 'Established');
        },
        { signal: t.signal, timeoutMs: 58_000 },
      );
    },
  );
}
