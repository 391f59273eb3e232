/**
 * Binds a sans-IO BgpSpeaker to real TCP sockets and timers (the daemon's BGP transport).
 *
 * Owns: the listening socket, outbound connects with the speaker's retry timing, one timer for the
 * speaker's next deadline, and outbound batching. Large table transfers are built in batches with
 * `setImmediate` between them and pause while a socket's send buffer is full, so one event-loop turn
 * never blocks on a big RIB and KEEPALIVEs are never late.
 */
import { createServer, Socket, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { BgpSpeaker, SpeakerAction } from '../bgp/speaker.js';

export interface BgpTcpOptions {
  /** Listen for inbound sessions; omit to only connect out. */
  readonly listen?: { readonly address: string; readonly port: number };
  readonly log?: (level: 'info' | 'warn', peer: string, message: string) => void;
  /** Routes built per batch before yielding to the event loop. */
  readonly batchRoutes?: number;
}

/** Send buffer above which outbound table building pauses until the socket drains. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export function monotonicMs(): number {
  return performance.now();
}

export class BgpTcpDriver {
  private readonly speaker: BgpSpeaker;
  private readonly options: BgpTcpOptions;
  private readonly sockets = new Map<number, Socket>();
  private nextConnection = 1;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private stopped = false;

  constructor(speaker: BgpSpeaker, options: BgpTcpOptions = {}) {
    this.speaker = speaker;
    this.options = options;
  }

  /** The port actually bound (useful with port 0). */
  get listeningPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async start(): Promise<void> {
    if (this.options.listen) {
      const { address, port } = this.options.listen;
      const server = createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => this.log('warn', 'listener', `listen error: ${e.message}`));
      this.server = server;
    }
    this.run(this.speaker.start(monotonicMs()));
  }

  async stop(message = 'twinleaf shutting down'): Promise<void> {
    this.run(this.speaker.stop(monotonicMs(), message));
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.sockets.values()) s.end();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const s of this.sockets.values()) s.destroy();
    this.sockets.clear();
  }

  private log(level: 'info' | 'warn', peer: string, message: string): void {
    this.options.log?.(level, peer, message);
  }

  private accept(socket: Socket): void {
    const remote = normaliseAddress(socket.remoteAddress ?? '');
    const peer = this.speaker.peerForAddress(remote);
    if (!peer || this.stopped) {
      this.log('warn', remote, 'connection from an unconfigured address refused');
      socket.destroy();
      return;
    }
    const id = this.nextConnection++;
    this.attach(id, socket);
    this.run(
      this.speaker.connectionOpened(
        peer,
        id,
        'inbound',
        monotonicMs(),
        normaliseAddress(socket.localAddress ?? ''),
      ),
    );
  }

  private connect(peer: string, port: number, localAddress: string | undefined): void {
    const id = this.nextConnection++;
    const socket = new Socket();
    let opened = false;
    socket.once('connect', () => {
      opened = true;
      this.attach(id, socket);
      this.run(
        this.speaker.connectionOpened(
          peer,
          id,
          'outbound',
          monotonicMs(),
          normaliseAddress(socket.localAddress ?? ''),
        ),
      );
    });
    socket.once('error', (e) => {
      if (!opened) {
        socket.destroy();
        this.run(this.speaker.connectFailed(peer, monotonicMs(), e.message));
      }
    });
    socket.connect({ host: peer, port, ...(localAddress !== undefined ? { localAddress } : {}) });
  }

  private attach(id: number, socket: Socket): void {
    this.sockets.set(id, socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.run(this.speaker.received(id, bytes, monotonicMs()));
    });
    socket.on('drain', () => this.scheduleFlush());
    socket.on('error', (e) => this.log('warn', String(id), `socket error: ${e.message}`));
    socket.on('close', () => {
      if (this.sockets.get(id) !== socket) return;
      this.sockets.delete(id);
      this.run(this.speaker.connectionClosed(id, monotonicMs(), 'connection closed by peer'));
    });
  }

  /** Performs the speaker's actions, then re-arms the timer and schedules outbound work. */
  private run(actions: readonly SpeakerAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          if (!this.stopped) this.connect(a.peer, a.port, a.localAddress);
          break;
        case 'send':
          this.sockets.get(a.connection)?.write(a.data);
          break;
        case 'close': {
          const s = this.sockets.get(a.connection);
          if (s) {
            this.sockets.delete(a.connection);
            s.end();
            setTimeout(() => s.destroy(), 1000).unref();
          }
          break;
        }
        case 'log':
          this.log(a.level, a.peer, a.message);
          break;
      }
    }
    this.armTimer();
    if (this.speaker.hasPendingOutput()) this.scheduleFlush();
  }

  private armTimer(): void {
    if (this.stopped) return;
    const next = this.speaker.nextDeadline();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === undefined || !Number.isFinite(next)) return;
    const delay = Math.max(0, next - monotonicMs());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run(this.speaker.poll(monotonicMs()));
    }, delay);
  }

  /** Routes were originated or withdrawn outside a BGP event (M-LAG, config): send them. */
  routesChanged(): void {
    if (this.speaker.hasPendingOutput()) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const s of this.sockets.values()) if (s.writableLength > HIGH_WATER_BYTES) return; // resumes on 'drain'
      this.run(this.speaker.flush(monotonicMs(), this.options.batchRoutes ?? 20_000));
    });
  }
}

/** `::ffff:10.0.0.1` (IPv4-mapped, from a dual-stack listener) → `10.0.0.1`. */
export function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
