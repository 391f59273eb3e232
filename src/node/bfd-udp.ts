/**
 * Binds sans-IO BFD sessions (src/bfd/session.ts) to UDP for single-hop BFD over IPv4 (RFC 5881).
 *
 * Owns: the listening socket on port 3784, one sending socket per session bound to the session's
 * local address and a source port in 49152–65535 kept for the session's lifetime, with TTL 255
 * (RFC 5881 §4, §5); picking the session a packet belongs to (RFC 5880 §6.8.6: by Your Discriminator,
 * or by source address when it is zero); allocating local discriminators; and one timer for the
 * earliest session deadline. Real sockets and timers live here only.
 *
 * Limits: IPv4 only. node:dgram cannot read a received packet's TTL (no IP_RECVTTL/IP_MINTTL), so
 * the RFC 5881 §5 check that unauthenticated packets arrive with TTL 255 is not made.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  BfdSession,
  type BfdRandomSource,
  type BfdSessionAction,
  type BfdSessionStatus,
  type BfdTimers,
} from '../bfd/session.js';
import { BFD_CONTROL_PORT, BFD_SINGLE_HOP_TTL, BFD_SOURCE_PORT_MIN, decodeBfdControl } from '../wire/bfd.js';
import { monotonicMs } from './bgp-tcp.js';

/** RFC 5881 §4: source ports are 49152..65535. */
const BFD_SOURCE_PORT_MAX = 65535;
/** Attempts at a free random source port before giving up. */
const SOURCE_PORT_ATTEMPTS = 64;

export interface BfdPeerConfig extends BfdTimers {
  /** The peer's IPv4 address (packets go to its port 3784). */
  readonly peer: string;
  /** Our address on the link to the peer: the source of our packets. */
  readonly localAddress: string;
  readonly passive?: boolean;
}

export type BfdStateChange = Extract<BfdSessionAction, { kind: 'state' }>;

export interface BfdUdpOptions {
  /** Address of the listening socket (default 0.0.0.0). */
  readonly listenAddress?: string;
  /** Listening port (default 3784, RFC 5881 §4); another value is for tests only. */
  readonly port?: number;
  /** Destination port of our packets (default 3784). */
  readonly peerPort?: number;
  /** Jitter and discriminator source (default Math.random). */
  readonly random?: BfdRandomSource;
  readonly log?: (level: 'info' | 'warn', peer: string, message: string) => void;
  /** Called for every session state change (after the change took effect). */
  readonly onStateChange?: (peer: string, change: BfdStateChange) => void;
}

/** Packets the driver itself dropped before any session saw them. */
export interface BfdUdpCounters {
  /** Failed the RFC 5880 §6.8.6 format checks. */
  malformed: number;
  /** RFC 5880 §6.8.6: no session has this Your Discriminator (or this source, when it is zero). */
  noSession: number;
}

interface Binding {
  readonly config: BfdPeerConfig;
  readonly session: BfdSession;
  readonly socket: Socket;
}

export class BfdUdpDriver {
  private readonly options: BfdUdpOptions;
  private readonly random: BfdRandomSource;
  private readonly byPeer = new Map<string, Binding>();
  private readonly byDiscriminator = new Map<number, Binding>();
  private listener: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly counters: BfdUdpCounters = { malformed: 0, noSession: 0 };

  constructor(options: BfdUdpOptions = {}) {
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  /** Binds the listening socket. */
  async start(): Promise<void> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    await bindUdp(socket, {
      address: this.options.listenAddress ?? '0.0.0.0',
      port: this.options.port ?? BFD_CONTROL_PORT,
    });
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (e) => this.log('warn', 'listener', `socket error: ${e.message}`));
    this.listener = socket;
  }

  /** Creates and starts a session to `config.peer`; the first packet goes out at once. */
  async addPeer(config: BfdPeerConfig): Promise<BfdSession> {
    if (this.stopped) throw new Error('bfd: driver is stopped');
    if (this.byPeer.has(config.peer)) throw new Error(`bfd: a session to ${config.peer} already exists`);
    const session = new BfdSession({
      name: config.peer,
      localDiscriminator: this.allocateDiscriminator(),
      random: this.random,
      desiredMinTxMs: config.desiredMinTxMs,
      requiredMinRxMs: config.requiredMinRxMs,
      detectMultiplier: config.detectMultiplier,
      ...(config.passive !== undefined ? { passive: config.passive } : {}),
    });
    const socket = await bindBfdSourceSocket(config.localAddress, this.random);
    socket.on('error', (e) => this.log('warn', config.peer, `socket error: ${e.message}`));
    const binding: Binding = { config, session, socket };
    this.byPeer.set(config.peer, binding);
    this.byDiscriminator.set(session.localDiscriminator, binding);
    this.run(binding, session.start(monotonicMs()));
    return session;
  }

  /** Ends a session silently (no AdminDown; call setAdminDown first to tell the peer). */
  removePeer(peer: string): void {
    const b = this.byPeer.get(peer);
    if (!b) return;
    this.byPeer.delete(peer);
    this.byDiscriminator.delete(b.session.localDiscriminator);
    b.socket.close();
    this.armTimer();
  }

  session(peer: string): BfdSession | undefined {
    return this.byPeer.get(peer)?.session;
  }

  status(): BfdSessionStatus[] {
    return [...this.byPeer.values()].map((b) => b.session.status());
  }

  setAdminDown(peer: string, adminDown: boolean): void {
    const b = this.byPeer.get(peer);
    if (b) this.run(b, b.session.setAdminDown(monotonicMs(), adminDown));
  }

  setTimers(peer: string, timers: Partial<BfdTimers>): void {
    const b = this.byPeer.get(peer);
    if (b) this.run(b, b.session.setTimers(monotonicMs(), timers));
  }

  /**
   * Closes every socket and stops the timer. With `adminDown`, each session first tells its peer
   * (RFC 5880 §6.8.16) and the packets are flushed; without it the sessions just fall silent and the
   * peers find out through their Detection Time.
   */
  async stop(opts: { readonly adminDown?: boolean } = {}): Promise<void> {
    if (opts.adminDown) {
      const sends: Promise<void>[] = [];
      for (const b of this.byPeer.values()) {
        for (const a of b.session.setAdminDown(monotonicMs(), true)) {
          if (a.kind === 'send') sends.push(this.send(b, a.bytes));
          else this.options.onStateChange?.(b.config.peer, a);
        }
      }
      await Promise.all(sends);
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const peer of [...this.byPeer.keys()]) this.removePeer(peer);
    await new Promise<void>((resolve) => (this.listener ? this.listener.close(() => resolve()) : resolve()));
    this.listener = undefined;
  }

  private log(level: 'info' | 'warn', peer: string, message: string): void {
    this.options.log?.(level, peer, message);
  }

  private allocateDiscriminator(): number {
    // RFC 5880 §6.8.1: nonzero and unique on this system; random so a restart picks a new one.
    for (;;) {
      const d = 1 + Math.floor(this.random() * 0xfffffffe);
      if (d >= 1 && d <= 0xffffffff && !this.byDiscriminator.has(d)) return d;
    }
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopped) return;
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    let packet;
    try {
      packet = decodeBfdControl(bytes);
    } catch (e) {
      this.counters.malformed++;
      this.log('warn', rinfo.address, `dropped: ${(e as Error).message}`);
      return;
    }
    // RFC 5880 §6.8.6: a nonzero Your Discriminator selects the session; zero (a peer that has not
    // heard us yet, or has restarted) selects it by the source address (RFC 5881 §3, single hop).
    const binding =
      packet.yourDiscriminator !== 0
        ? this.byDiscriminator.get(packet.yourDiscriminator)
        : this.byPeer.get(rinfo.address);
    if (!binding) {
      this.counters.noSession++;
      return;
    }
    this.run(binding, binding.session.receive(monotonicMs(), packet));
  }

  private send(b: Binding, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      b.socket.send(bytes, this.options.peerPort ?? BFD_CONTROL_PORT, b.config.peer, (e) => {
        if (e) this.log('warn', b.config.peer, `send failed: ${e.message}`);
        resolve();
      });
    });
  }

  private run(b: Binding, actions: readonly BfdSessionAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') {
        if (!this.stopped) void this.send(b, a.bytes);
      } else {
        this.log('info', b.config.peer, a.reason);
        this.options.onStateChange?.(b.config.peer, a);
      }
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.stopped) return;
    let next: number | undefined;
    for (const b of this.byPeer.values()) {
      const d = b.session.nextDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === undefined) return;
    // Whole milliseconds, rounded up, so the timer never fires before the deadline.
    const delay = Math.max(0, Math.ceil(next - monotonicMs()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pollDue();
    }, delay);
  }

  private pollDue(): void {
    const now = monotonicMs();
    for (const b of [...this.byPeer.values()]) {
      const d = b.session.nextDeadline();
      if (d !== undefined && d <= now) this.run(b, b.session.poll(now));
    }
    this.armTimer();
  }
}

/** Binds a UDP socket; the promise fails with the bind error (address in use, no such address). */
export function bindUdp(
  socket: Socket,
  options: { address: string; port: number; exclusive?: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** RFC 5881 §4/§5: a socket bound to a random source port in 49152..65535, sending with TTL 255. */
export async function bindBfdSourceSocket(localAddress: string, random: () => number): Promise<Socket> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < SOURCE_PORT_ATTEMPTS; attempt++) {
    const port = BFD_SOURCE_PORT_MIN + Math.floor(random() * (BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1));
    const socket = createSocket({ type: 'udp4' });
    try {
      await bindUdp(socket, { address: localAddress, port, exclusive: true });
      socket.setTTL(BFD_SINGLE_HOP_TTL);
      return socket;
    } catch (e) {
      lastError = e as Error;
      socket.close();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new Error(`bfd: cannot bind a source port on ${localAddress}: ${lastError?.message ?? 'unknown'}`);
}
