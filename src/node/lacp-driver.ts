/**
 * Binds a sans-IO LacpBond to a real clock and to whatever moves frames for its ports (a frame
 * bridge in the interop tests, a data-plane backend in the daemon).
 *
 * Owns: one timer for the bond's next deadline, performing `send` actions through `transmit`, and
 * passing every action to `onAction` (port-state changes for the data plane, transitions for logs).
 * It owns no sockets: the caller feeds received frames and carrier changes in.
 */
import type { LacpAction, LacpBond } from '../lacp/bond.js';
import { monotonicMs } from './bgp-tcp.js';

export interface LacpDriverOptions {
  /** Puts a full Ethernet frame on a port. */
  readonly transmit: (portId: string, frame: Uint8Array) => void;
  /** Every action, after sends were transmitted. */
  readonly onAction?: (action: LacpAction) => void;
  /** Milliseconds, monotonic; default `performance.now()`. */
  readonly clock?: () => number;
}

export class LacpDriver {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly clock: () => number;

  constructor(
    readonly bond: LacpBond,
    private readonly options: LacpDriverOptions,
  ) {
    this.clock = options.clock ?? monotonicMs;
  }

  receive(portId: string, frame: Uint8Array): void {
    this.run(this.bond.receive(this.clock(), portId, frame));
  }

  linkUp(portId: string): void {
    this.run(this.bond.linkUp(this.clock(), portId));
  }

  linkDown(portId: string): void {
    this.run(this.bond.linkDown(this.clock(), portId));
  }

  setPortDrained(portId: string, drained: boolean): void {
    this.run(this.bond.setPortDrained(this.clock(), portId, drained));
  }

  setDrained(drained: boolean): void {
    this.run(this.bond.setDrained(this.clock(), drained));
  }

  /** Stops the timer; later events are ignored. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(actions: LacpAction[]): void {
    if (this.closed) return;
    for (const a of actions) if (a.kind === 'send') this.options.transmit(a.portId, a.frame);
    if (this.options.onAction) for (const a of actions) this.options.onAction(a);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.bond.nextDeadline();
    if (next === undefined || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.run(this.bond.poll(this.clock()));
      },
      Math.max(0, Math.ceil(next - this.clock())),
    );
  }
}
