/**
 * RFC 4684 route target constraint between twinleaf and gobgpd (GoBGP's `rtc` family) over a veth
 * between two namespaces: the memberships each side advertises, and the EVPN routes each then sends.
 *
 * What GoBGP 3.10 does, found by hand: it originates a membership for each of its VRFs' import
 * targets (none without VRFs; `gobgp global rib -a rtc add` is not supported), filters the EVPN
 * routes it sends by the memberships received, and sends no End-of-RIB for the family without
 * graceful restart, so twinleaf sends its EVPN routes once its 10 s wait for one ends.
 *
 * gobgpd that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BgpNeighborJson, EvpnRouteJson } from '../../src/api/bgp.js';
import { startGobgp, type GobgpEvpnPath } from '../support/gobgp.js';
import { withNetns } from '../support/netns.js';
import { startTwinleaf } from '../support/twinleaf.js';

const GOBGP_IP = '10.0.0.1';
const TL_IP = '10.0.0.2';
const TL_VTEP = '10.255.0.2';

test(
  'twinleaf ↔ GoBGP with route target constraint: memberships both ways, each side sends only what was asked for',
  { timeout: 90_000 },
  async (t) => {
    await withNetns(
      async (lab) => {
        const a = lab.netns('gobgp');
        const b = lab.netns('tl');
        lab.veth(a, b, { addrA: `${GOBGP_IP}/30`, addrB: `${TL_IP}/30` });
        const [gobgp, tl] = await Promise.all([
          startGobgp(lab, a, {
            asn: 65001,
            routerId: GOBGP_IP,
            listenAddresses: [GOBGP_IP],
            neighbors: [{ address: TL_IP, remoteAs: 65002, families: ['l2vpn-evpn', 'rtc'] }],
          }),
          startTwinleaf(
            lab,
            b,
            `
router-id: ${TL_IP}
asn: 65002
listen: { address: 0.0.0.0, port: 179 }
bgp:
  neighbors:
    - { address: ${GOBGP_IP}, remote-as: 65001, families: [l2vpn-evpn, rt-constraint], timers: { connect-retry: 1 } }
evpn:
  vtep-ip: ${TL_VTEP}
  vnis:
    - { vni: 100, route-targets: { both: [65000:100] }, macs: [{ mac: aa:bb:cc:00:01:00 }] }
    - { vni: 200, route-targets: { both: [65000:200] }, macs: [{ mac: aa:bb:cc:00:02:00 }] }
`,
          ),
        ]);
        await Promise.all([gobgp.waitEstablished(TL_IP, 20_000), tl.waitEstablished(GOBGP_IP, 20_000)]);

        const [neighbor] = await tl.show<BgpNeighborJson[]>(['bgp', 'neighbors']);
        assert.deepEqual(neighbor?.families.slice().sort(), ['l2vpn-evpn', 'rt-constraint']);

        // twinleaf asks for the targets its VNIs import, in its own AS.
        const memberships = await gobgp.waitFor(
          async () => {
            const adj = (await gobgp.adjIn(TL_IP, 'rtc')) as Record<string, unknown> | null;
            const keys = Object.keys(adj ?? {}).sort();
            return keys.length >= 2 ? keys : undefined;
          },
          15_000,
          "twinleaf's route target memberships in GoBGP's adj-rib-in",
        );
        assert.deepEqual(memberships, ['65002:65000:100', '65002:65000:200']);

        // GoBGP sends twinleaf the route of a target it asked for, not the other.
        const route = (mac: string, vni: number) => ({
          mac,
          vni,
          rd: `${GOBGP_IP}:${vni}`,
          rt: `65000:${vni}`,
          nexthop: '10.255.0.1',
        });
        await gobgp.addEvpnMacIp(route('aa:bb:cc:99:01:00', 100));
        await gobgp.addEvpnMacIp(route('aa:bb:cc:99:03:00', 300));
        const learnt = await tl.waitFor(
          async () => {
            const r = (await tl.show<EvpnRouteJson[]>(['bgp', 'l2vpn', 'evpn', 'route'])).filter((x) =>
              x.paths.some((p) => p.peer === GOBGP_IP),
            );
            return r.length >= 1 ? r : undefined;
          },
          15_000,
          "GoBGP's route of 65000:100 in twinleaf",
        );
        assert.deepEqual(
          learnt.map((r) => r.rd),
          [`${GOBGP_IP}:100`],
        );
        const adjOut = (await gobgp.gobgpJson(['neighbor', TL_IP, 'adj-out', '-a', 'evpn'])) as Record<
          string,
          unknown
        >;
        assert.deepEqual(
          Object.keys(adjOut ?? {}).map((k) => /\[rd:([^\]]+)\]/.exec(k)?.[1]),
          [`${GOBGP_IP}:100`],
          'GoBGP filtered 65000:300 itself',
        );

        // GoBGP has no VRF, so it asked for nothing: twinleaf sends it nothing. A VRF importing
        // 65000:100 makes GoBGP ask for that target, and twinleaf sends VNI 100's routes only.
        const fromTl = async (): Promise<GobgpEvpnPath[]> =>
          (await gobgp.evpnRib()).filter((p) => p.neighborIp === TL_IP);
        assert.deepEqual(await fromTl(), []);
        await gobgp.gobgp(['vrf', 'add', 'v100', 'rd', `${GOBGP_IP}:1100`, 'rt', 'import', '65000:100']);
        const rtc = await tl.waitFor(
          async () => {
            const [n] = await tl.show<BgpNeighborJson[]>(['bgp', 'neighbors']);
            return n?.routeTargetConstraint?.received.length === 1 ? n.routeTargetConstraint : undefined;
          },
          15_000,
          "GoBGP's membership for 65000:100 in twinleaf",
        );
        assert.deepEqual(rtc.received, ['65001:65000:100']);
        assert.deepEqual(rtc.advertised, ['65002:65000:100', '65002:65000:200']);
        // twinleaf waits for the membership End-of-RIB GoBGP does not send: 10 s from the session.
        const first = await gobgp.waitFor(
          async () => {
            const r = await fromTl();
            return r.length >= 2 ? r : undefined;
          },
          20_000,
          "twinleaf's VNI 100 routes in GoBGP",
        );
        assert.deepEqual(first.map((r) => r.rd).sort(), [`${TL_IP}:100`, `${TL_IP}:100`]);
        assert.deepEqual(new Set(first.flatMap((r) => r.rts)), new Set(['65000:100']));

        // Asking for 65000:200 as well brings VNI 200's routes; no longer asking for 65000:100
        // withdraws VNI 100's.
        await gobgp.gobgp(['vrf', 'add', 'v200', 'rd', `${GOBGP_IP}:1200`, 'rt', 'import', '65000:200']);
        await gobgp.waitFor(
          async () => ((await fromTl()).length === 4 ? true : undefined),
          15_000,
          "twinleaf's VNI 100 and 200 routes in GoBGP",
        );
        await gobgp.gobgp(['vrf', 'del', 'v100']);
        const last = await gobgp.waitFor(
          async () => {
            const r = await fromTl();
            return r.length === 2 && r.every((x) => x.rd === `${TL_IP}:200`) ? r : undefined;
          },
          15_000,
          "only twinleaf's VNI 200 routes left in GoBGP",
        );
        assert.deepEqual(new Set(last.flatMap((r) => r.rts)), new Set(['65000:200']));
      },
      { signal: t.signal, timeoutMs: 88_000 },
    );
  },
);
