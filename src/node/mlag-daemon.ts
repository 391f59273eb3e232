/**
 * One M-LAG device in the daemon: the same MlagDevice the lab runs (src/node/mlag-device.ts), bound
 * to real sockets and timers:
 * - the peer-link: a TCP session to port 8471 (`MlagPeerLink`);
 * - DAD probes: UDP datagrams between the DAD addresses, port 8472;
 * - BFD towards the peer over the DAD path: UDP to 3784 from a port in 49152-65535, TTL 255
 *   (RFC 5881 §4).
 * The DAD path is a routed or management network whose carrier we cannot see, so it counts as up.
 *
 * Limits: the daemon has no frame I/O yet, so member ports have no carrier and stay down; pairing,
 * election, the consistency check, table sync, DAD, BFD and the virtual VTEP's announcement run.
 */
import { createSocket } from 'node:dgram';
import type { BgpSpeaker } from '../bgp/speaker.js';
import type { SimSwitch } from '../dataplane/sim/switch.js';
import type { EvpnService } from '../evpn/service.js';
import { BFD_CONTROL_PORT } from '../wire/bfd.js';
import { ipv4ToNumber, type Ipv4Address, type Vni } from '../wire/addr.js';
import { bindBfdSourceSocket, bindUdp } from './bfd-udp.js';
import { monotonicMs, normaliseAddress } from './bgp-tcp.js';
import type { DeviceMlagConfig } from './device-config.js';
import { MlagDevice } from './mlag-device.js';
import { MlagPeerLink } from './mlag-tcp.js';

export interface MlagDaemonParts {
  readonly name: string;
  readonly config: DeviceMlagConfig;
  readonly ownVtepIp: Ipv4Address;
  readonly vnis: readonly number[];
  readonly dataplane: SimSwitch;
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService;
  /** Routes changed outside a BGP event (the virtual VTEP, MACs): the TCP driver sends them. */
  readonly routesChanged: () => void;
  readonly log: (text: string) => void;
}

export interface RunningMlag {
  readonly device: MlagDevice;
  readonly peerLink: MlagPeerLink;
  stop(): Promise<void>;
}

export async function startMlag(parts: MlagDaemonParts): Promise<RunningMlag> {
  const c = parts.config;
  const dad = createSocket('udp4');
  const bfdIn = createSocket('udp4');
  await bindUdp(dad, { address: c.dad.local, port: c.dad.port });
  await bindUdp(bfdIn, { address: c.dad.local, port: BFD_CONTROL_PORT });
  const bfdOut = await bindBfdSourceSocket(c.dad.local, Math.random);
  const timers = new Set<NodeJS.Timeout>();
  // Its callbacks reach `device` only once started, below.
  const peerLink = new MlagPeerLink({
    local: c.peerLink.local,
    peer: c.peerLink.peer,
    port: c.peerLink.port,
    onUp: () => device.peerLinkState(true),
    onDown: () => device.peerLinkState(false),
    onBytes: (chunk) => device.receivePeer(chunk),
    log: (text) => parts.log(`mlag: ${text}`),
  });
  const lowerSide = ipv4ToNumber(c.peerLink.local) < ipv4ToNumber(c.peerLink.peer);
  const device = new MlagDevice(
    {
      name: parts.name,
      dfs: {
        name: parts.name,
        groupId: c.groupId,
        priority: c.priority,
        systemMac: c.systemMac,
        localMac: c.localMac,
        virtualVtepIp: c.virtualVtep,
        vnis: parts.vnis.map((v) => v as Vni),
        gateways: [],
        recoveryDelayMs: c.recoveryDelayMs,
      },
      ownVtepIp: parts.ownVtepIp,
      members: c.members.map((m) => ({ mlagId: m.id, port: m.port })),
      nonMemberPorts: [],
      // Non-overlapping LACP port numbers: the device with the lower peer-link address starts at 0.
      lacpPortBase: lowerSide ? 0 : 0x8000,
      bfd: c.bfd,
      random: () => Math.random(),
    },
    { dataplane: parts.dataplane, speaker: parts.speaker, evpn: parts.evpn },
    {
      now: monotonicMs,
      at: (ms, fire) => {
        const t = setTimeout(
          () => {
            timers.delete(t);
            fire();
          },
          Math.max(0, Math.ceil(ms - monotonicMs())),
        );
        timers.add(t);
        return {
          cancel: () => {
            clearTimeout(t);
            timers.delete(t);
          },
        };
      },
    },
    {
      sendPeer: (bytes) => peerLink.send(bytes),
      sendDad: (bytes) => dad.send(bytes, c.dad.port, c.dad.peer),
      sendBfd: (bytes) => bfdOut.send(bytes, BFD_CONTROL_PORT, c.dad.peer),
      sendFrame: () => undefined,
      setPortEnabled: () => undefined,
      submit: (work) => {
        work();
        parts.routesChanged();
      },
      schedule: (write) => write(),
      log: (text) => parts.log(`mlag: ${text}`),
    },
  );
  // A datagram not from the peer's DAD address is not the peer's (the rest is the engines' job).
  dad.on('message', (msg, from) => {
    if (normaliseAddress(from.address) === c.dad.peer) device.receiveDad(new Uint8Array(msg));
  });
  bfdIn.on('message', (msg, from) => {
    if (normaliseAddress(from.address) === c.dad.peer) device.receiveBfd(new Uint8Array(msg));
  });
  for (const s of [dad, bfdIn, bfdOut]) s.on('error', (e) => parts.log(`mlag: UDP ${e.message}`));
  device.dadLinkState(true);
  device.start();
  await peerLink.start();
  return {
    device,
    peerLink,
    async stop() {
      device.halt();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await peerLink.close();
      for (const s of [dad, bfdIn, bfdOut]) s.close();
    },
  };
}
