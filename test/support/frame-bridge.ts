/**
 * Moves raw Ethernet frames between interfaces in a lab namespace and this Node process, which has
 * no raw sockets: each interface's ingress is redirected by tc into a per-interface kernel vxlan
 * device, which sends it to a UDP socket here; frames we send come back as VXLAN to that device, and
 * its ingress is redirected to the interface's egress.
 *
 *   peer ──veth── port ──tc ingress u32 + mirred egress redirect──▶ vxN ──VXLAN/UDP──▶ Node (root ns)
 *   peer ◀─veth── port ◀──tc ingress u32 + mirred egress redirect── vxN ◀──VXLAN/UDP── Node
 *
 * The VXLAN underlay is a veth between the root namespace and the lab namespace with a /30 from
 * 169.254.0.0/16; the VNI names the port. On this kernel tc's matchall and flower classifiers are
 * absent, so the catch-all filter is `u32 match u32 0 0`. The bridge also reports carrier changes
 * of the ports (polled with `ip -j link`), since a LACP engine must see link down at once.
 */
import { createSocket, type Socket } from 'node:dgram';
import { vni as toVni } from '../../src/wire/addr.js';
import { decodeVxlan, encodeVxlan } from '../../src/wire/vxlan.js';
import { exec, type Lab, type Netns } from './netns.js';

export interface FrameBridgeHandlers {
  readonly onFrame: (port: string, frame: Uint8Array) => void;
  readonly onCarrier?: (port: string, up: boolean) => void;
}

export interface FrameBridge {
  /** Puts a frame on `port`'s egress (towards its veth peer). */
  send(port: string, frame: Uint8Array): void;
  /** Carrier as last polled. */
  carrier(port: string): boolean;
  /** Frames received, per port, and datagrams that were not VXLAN for one of our ports. */
  readonly counters: { received: Map<string, number>; sent: Map<string, number>; foreign: number };
  close(): void;
}

let bridgeCounter = 0;

function tc(ns: Netns, ...args: string[]): void {
  ns.execSync('tc', args);
}

/** Redirects everything entering `from` to leave through `to`. */
function redirectIngress(ns: Netns, from: string, to: string): void {
  tc(ns, 'qdisc', 'add', 'dev', from, 'clsact');
  tc(
    ns,
    'filter',
    'add',
    'dev',
    from,
    'ingress',
    'protocol',
    'all',
    'u32',
    'match',
    'u32',
    '0',
    '0',
    'action',
    'mirred',
    'egress',
    'redirect',
    'dev',
    to,
  );
}

function bind(socket: Socket, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

/** Bridges `ports` (existing, up interfaces in `ns`) to this process. */
export async function createFrameBridge(
  lab: Lab,
  ns: Netns,
  ports: readonly string[],
  handlers: FrameBridgeHandlers,
): Promise<FrameBridge> {
  const k = ++bridgeCounter;
  // A /30 per bridge: 169.254.<pid-derived>.<4k+1, 4k+2>, so parallel runs rarely collide.
  const third = 16 + (process.pid % 200);
  const base = (k % 60) * 4;
  const rootAddress = `169.254.${third}.${base + 1}`;
  const nsAddress = `169.254.${third}.${base + 2}`;
  lab.veth(null, ns, { addrA: `${rootAddress}/30`, addrB: `${nsAddress}/30`, nameB: `fbu${k}` });
  const socket = createSocket('udp4');
  const udpPort = await bind(socket, rootAddress);
  const vniOf = new Map<string, number>();
  const portOf = new Map<number, string>();
  const counters = { received: new Map<string, number>(), sent: new Map<string, number>(), foreign: 0 };
  ports.forEach((port, i) => {
    const vni = i + 1;
    const vx = `fbvx${k}p${i}`.slice(0, 15);
    ns.ip(
      'link',
      'add',
      vx,
      'type',
      'vxlan',
      'id',
      String(vni),
      'local',
      nsAddress,
      'remote',
      rootAddress,
      'dstport',
      String(udpPort),
      'nolearning',
    );
    // No IPv6 link-local chatter from the bridge's own devices.
    ns.ip('link', 'set', 'dev', vx, 'addrgenmode', 'none');
    ns.ip('link', 'set', 'dev', port, 'addrgenmode', 'none');
    ns.linkUp(vx);
    redirectIngress(ns, port, vx);
    redirectIngress(ns, vx, port);
    vniOf.set(port, vni);
    portOf.set(vni, port);
    counters.received.set(port, 0);
    counters.sent.set(port, 0);
  });

  socket.on('message', (msg, rinfo) => {
    if (rinfo.address !== nsAddress) {
      counters.foreign++;
      return;
    }
    let port: string | undefined;
    let frame: Uint8Array;
    try {
      const v = decodeVxlan(new Uint8Array(msg.buffer, msg.byteOffset, msg.length));
      port = portOf.get(v.vni);
      frame = v.innerFrame;
    } catch {
      counters.foreign++;
      return;
    }
    if (port === undefined) {
      counters.foreign++;
      return;
    }
    counters.received.set(port, (counters.received.get(port) ?? 0) + 1);
    handlers.onFrame(port, frame);
  });

  const carrier = new Map<string, boolean>();
  let closed = false;
  const pollCarrier = async () => {
    while (!closed) {
      try {
        const links = JSON.parse(await exec(null, 'ip', ['-n', ns.name, '-j', 'link', 'show'])) as {
          ifname: string;
          flags: string[];
        }[];
        for (const port of ports) {
          const l = links.find((x) => x.ifname === port);
          const up = l !== undefined && l.flags.includes('LOWER_UP');
          if (carrier.get(port) !== up) {
            carrier.set(port, up);
            if (!closed) handlers.onCarrier?.(port, up);
          }
        }
      } catch {
        // The namespace is going away (cleanup) or `ip` failed once: try again next round.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  void pollCarrier();

  const close = () => {
    if (closed) return;
    closed = true;
    socket.close();
  };
  lab.defer(close);

  return {
    send(port, frame) {
      const vni = vniOf.get(port);
      if (vni === undefined) throw new Error(`frame bridge: no port ${port}`);
      const datagram = encodeVxlan({
        vni: toVni(vni),
        reservedFlags: 0,
        reserved1: 0,
        reserved2: 0,
        innerFrame: frame,
      });
      socket.send(datagram, udpPort, nsAddress);
      counters.sent.set(port, (counters.sent.get(port) ?? 0) + 1);
    },
    carrier: (port) => carrier.get(port) ?? false,
    counters,
    close,
  };
}
