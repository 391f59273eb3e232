/**
 * The daemon's M-LAG peer-link session (docs/mlag-peer-protocol.md): one TCP connection between
 * the two devices' peer-link addresses, carrying the DFS group's message stream.
 *
 * Who connects: the device with the lower address connects (and retries), the other listens and
 * accepts only its peer. Exactly one side dials, so no collision resolution is needed; a new
 * connection from the peer replaces the old one (the peer restarted and our side has not noticed).
 *
 * The connection is the peer-link's state for the DFS group: up when established, down when it
 * closes or fails. A peer that stays connected but goes silent is the DFS group's HELLO timeout.
 */
import { createServer, Socket, type Server } from 'node:net';
import { ipv4ToNumber, type Ipv4Address } from '../wire/addr.js';
import { normaliseAddress } from './bgp-tcp.js';

export interface MlagPeerLinkOptions {
  readonly local: Ipv4Address;
  readonly peer: Ipv4Address;
  readonly port: number;
  /** Between connection attempts of the dialling side (default 1000 ms). */
  readonly retryMs?: number;
  readonly onUp: () => void;
  readonly onDown: (reason: string) => void;
  readonly onBytes: (chunk: Uint8Array) => void;
  readonly log?: (text: string) => void;
}

export class MlagPeerLink {
  private server: Server | undefined;
  private socket: Socket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  readonly dials: boolean;

  constructor(private readonly options: MlagPeerLinkOptions) {
    this.dials = ipv4ToNumber(options.local) < ipv4ToNumber(options.peer);
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  async start(): Promise<void> {
    if (this.dials) {
      this.dial();
      return;
    }
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.local, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A listening socket that fails later (it should not) must not take the daemon down.
    server.on('error', (e) => this.options.log?.(`peer-link listener: ${e.message}`));
  }

  /** Writes a message batch; dropped while there is no connection (the DFS group resends state). */
  send(bytes: Uint8Array): void {
    this.socket?.write(bytes);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.destroy();
    this.socket = undefined;
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(s: Socket): void {
    const from = normaliseAddress(s.remoteAddress ?? '');
    if (this.closed || from !== this.options.peer) {
      this.options.log?.(`peer-link: refused a connection from ${from} (the peer is ${this.options.peer})`);
      s.destroy();
      return;
    }
    if (this.socket) this.drop(this.socket, 'replaced by a new connection from the peer');
    this.attach(s);
  }

  private dial(): void {
    if (this.closed) return;
    const s = new Socket();
    let established = false;
    s.once('connect', () => {
      established = true;
      this.attach(s);
    });
    s.once('error', (e) => {
      if (established) return;
      s.destroy();
      this.options.log?.(`peer-link: connect to ${this.options.peer}:${this.options.port}: ${e.message}`);
      this.retry = setTimeout(() => this.dial(), this.options.retryMs ?? 1000);
    });
    s.connect({ host: this.options.peer, port: this.options.port, localAddress: this.options.local });
  }

  private attach(s: Socket): void {
    this.socket = s;
    // Heartbeats and sync are small and latency-bound.
    s.setNoDelay(true);
    s.setKeepAlive(true, 1000);
    s.on('data', (chunk: Buffer) => {
      if (this.socket === s)
        this.options.onBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    s.on('error', (e) => this.drop(s, e.message));
    s.on('close', () => this.drop(s, 'connection closed'));
    this.options.log?.(`peer-link: connected to ${this.options.peer}`);
    this.options.onUp();
  }

  /** Forgets `s` once; tells the DFS group the peer-link is down, and dials again if we dial. */
  private drop(s: Socket, reason: string): void {
    s.destroy();
    if (this.socket !== s) return;
    this.socket = undefined;
    this.options.log?.(`peer-link: ${reason}`);
    this.options.onDown(reason);
    if (this.dials && !this.closed) this.retry = setTimeout(() => this.dial(), this.options.retryMs ?? 1000);
  }
}
