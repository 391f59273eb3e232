/**
 * twinleaf's BFD (src/bfd/session.ts over src/node/bfd-udp.ts, as a process in its own namespace)
 * against FRR's bfdd (+ zebra) over a veth, single hop (RFC 5881) at 100 ms intervals: both sides
 * come Up and agree on discriminators and timers; AdminDown works in both directions (RFC 5880
 * §6.8.16); and when twinleaf dies silently FRR declares the session Down on its Detection Time.
 *
 * FRR that cannot be started fails the test with the reason; nothing is skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BFD_DIAG_ADMINISTRATIVELY_DOWN,
  BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN,
} from '../../src/wire/bfd.js';
import { frrBfdConfig, startFrr, type Frr, type FrrBfdPeerJson } from '../support/frr.js';
import { withNetns } from '../support/netns.js';
import { startTwinleafBfd, type TwinleafBfd } from '../support/twinleaf-bfd.js';

const FRR_IP = '10.0.3.1';
const TL_IP = '10.0.3.2';
const INTERVAL_MS = 100;
const DETECT_MULT = 3;
const DETECTION_MS = INTERVAL_MS * DETECT_MULT;
/** vtysh takes tens of milliseconds per call on a busy 2-core machine; FRR's timers have slack too. */
const OBSERVATION_MARGIN_MS = 700;

async function frrPeerWhen(
  frr: Frr,
  what: string,
  accept: (p: FrrBfdPeerJson) => boolean,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<FrrBfdPeerJson> {
  return frr.waitFor(
    async () => {
      const p = await frr.bfdPeer(TL_IP);
      return p !== undefined && accept(p) ? p : undefined;
    },
    timeoutMs,
    `FRR: bfd peer ${TL_IP} ${what}`,
    { intervalMs },
  );
}

async function bothUp(frr: Frr, tl: TwinleafBfd, what: string): Promise<FrrBfdPeerJson> {
  const [peer] = await Promise.all([
    frrPeerWhen(frr, `up (${what})`, (p) => p.status === 'up'),
    tl.waitFor(() => tl.state(FRR_IP) === 'Up', 15_000, `twinleaf: session to ${FRR_IP} Up (${what})`),
  ]);
  return peer;
}

test(
  'BFD interop with FRR bfdd: Up, timers, AdminDown both ways, detection on silence',
  { timeout: 150_000 },
  (t) =>
    withNetns(
      async (lab) => {
        const frrNs = lab.netns('frr-bfd');
        const tlNs = lab.netns('tl-bfd');
        const veth = lab.veth(frrNs, tlNs, { addrA: `${FRR_IP}/30`, addrB: `${TL_IP}/30` });
        const frrPeerNode = `peer ${TL_IP} local-address ${FRR_IP} interface ${veth.a.name}`;
        const [frr, tl] = await Promise.all([
          startFrr(lab, frrNs, {
            bgpd: false,
            bfddConfig: frrBfdConfig([
              {
                peer: TL_IP,
                localAddress: FRR_IP,
                interface: veth.a.name,
                receiveIntervalMs: INTERVAL_MS,
                transmitIntervalMs: INTERVAL_MS,
                detectMultiplier: DETECT_MULT,
              },
            ]),
          }),
          startTwinleafBfd(lab, tlNs, {
            sessions: [
              {
                peer: FRR_IP,
                localAddress: TL_IP,
                desiredMinTxMs: INTERVAL_MS,
                requiredMinRxMs: INTERVAL_MS,
                detectMultiplier: DETECT_MULT,
              },
            ],
          }),
        ]);

        // 1. Both sides Up, with each other's discriminators and the negotiated 100 ms timers (FRR
        //    only shows our 100 ms once our Poll Sequence has told it, RFC 5880 §6.8.3).
        await bothUp(frr, tl, 'initial');
        const frrUp = await frrPeerWhen(
          frr,
          'sees our 100 ms timers',
          (p) =>
            p.status === 'up' &&
            p['remote-transmit-interval'] === INTERVAL_MS &&
            p['remote-receive-interval'] === INTERVAL_MS,
        );
        assert.equal(frrUp['remote-detect-multiplier'], DETECT_MULT);
        const [ours] = await tl.status();
        assert.ok(ours);
        assert.equal(ours.state, 'Up');
        assert.equal(frrUp['remote-id'], ours.localDiscriminator);
        assert.equal(frrUp.id, ours.remoteDiscriminator);
        assert.equal(ours.transmitIntervalMs, INTERVAL_MS);
        assert.equal(ours.detectionTimeMs, DETECTION_MS);
        assert.equal(ours.remote.desiredMinTxMs, INTERVAL_MS);
        assert.equal(ours.pollInProgress, false);
        assert.equal(ours.counters.droppedMalformed, 0);
        // RFC 5881 §4: we listen on 3784 and send from one source port in 49152..65535 (FRR's accepting
        // our packets at all shows the TTL of 255, which it checks for single hop, §5).
        const sockets = tlNs.execSync('ss', ['-uanH']);
        assert.match(sockets, /\s(0\.0\.0\.0|\*):3784\s/);
        const source = new RegExp(`\\s${TL_IP.replace(/\./g, '\\.')}:(\\d+)\\s`).exec(sockets);
        assert.ok(source, sockets);
        assert.ok(Number(source[1]) >= 49152 && Number(source[1]) <= 65535, `source port ${source[1]}`);
        // Stable: no flaps over a couple of seconds at 100 ms.
        await new Promise((r) => setTimeout(r, 2000));
        assert.equal((await frr.bfdPeer(TL_IP))?.status, 'up');
        assert.equal(tl.stateChanges(FRR_IP).filter((c) => c.from === 'Up').length, 0);

        // 2. FRR administratively down: twinleaf goes Down with diag 3, the peer's AdminDown and diag 7.
        await frr.configure(['bfd', frrPeerNode, 'shutdown']);
        await tl.waitFor(() => tl.state(FRR_IP) === 'Down', 5000, 'twinleaf: Down after FRR shutdown');
        const signalled = tl.stateChanges(FRR_IP).at(-1)!;
        assert.equal(signalled.from, 'Up');
        assert.equal(signalled.diag, BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN);
        assert.equal(signalled.remoteState, 'AdminDown');
        // FRR 8.4 sends its AdminDown with diag 0; FRR sets 7 (RFC 5880 §6.8.16) from 10.4 on (commit
        // b70f973834 "bfdd: Set bfd.LocalDiag when transitioning to AdminDown").
        assert.ok(
          [0, BFD_DIAG_ADMINISTRATIVELY_DOWN].includes(signalled.remoteDiag),
          `FRR's AdminDown diag ${signalled.remoteDiag}`,
        );
        await frr.configure(['bfd', frrPeerNode, 'no shutdown']);
        await bothUp(frr, tl, 'after FRR no shutdown');

        // 3. twinleaf administratively down: FRR sees the peer's diag 7 and stays down until we return.
        tl.setAdminDown(true);
        const adminDown = await frrPeerWhen(frr, 'down by our AdminDown', (p) => p.status === 'down');
        assert.match(String(adminDown['remote-diagnostic']), /administratively down/i);
        assert.equal(tl.state(FRR_IP), 'AdminDown');
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal((await frr.bfdPeer(TL_IP))?.status, 'down');
        tl.setAdminDown(false);
        await bothUp(frr, tl, 'after our AdminDown ends');
        await frrPeerWhen(frr, 'back at 100 ms', (p) => p['remote-transmit-interval'] === INTERVAL_MS);

        // 4. twinleaf dies without a word: FRR's Detection Time (3 × 100 ms) takes the session down.
        const killedAt = Date.now();
        tl.kill();
        const down = await frrPeerWhen(frr, 'down after twinleaf died', (p) => p.status !== 'up', 5000, 20);
        const elapsed = Date.now() - killedAt;
        t.diagnostic(
          `FRR saw the session down ${elapsed} ms after twinleaf died (diagnostic: ${String(down.diagnostic)})`,
        );
        assert.match(String(down.diagnostic), /control detection time expired/i);
        // Our last packet left at most one interval before the kill, so FRR cannot have given up
        // before DETECTION_MS - INTERVAL_MS; it must have within the detection time plus the margin.
        assert.ok(elapsed >= DETECTION_MS - INTERVAL_MS, `down after ${elapsed} ms: too early for detection`);
        assert.ok(
          elapsed <= DETECTION_MS + OBSERVATION_MARGIN_MS,
          `FRR saw the session down ${elapsed} ms after twinleaf died (detection ${DETECTION_MS} ms)`,
        );
      },
      { timeoutMs: 140_000, signal: t.signal },
    ),
);
