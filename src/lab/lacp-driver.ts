/**
 * Binds a sans-IO LacpBond to the lab's simulated clock (the lab's counterpart of
 * `src/node/lacp-driver.ts`, which runs one on the real clock).
 *
 * Owns: one simulator event at the bond's next deadline (cancelled and re-armed after every event),
 * performing `send` actions through `transmit`, and passing every action to `onAction`. The bond
 * sees `sim.now` in milliseconds; a deadline fires at the first whole nanosecond at or after it.
 */
import type { LacpAction, LacpBond } from '../lacp/bond.js';
import { NS_PER_MS, nsAtOrAfterMs, type EventHandle, type Simulator } from './sim.js';

export interface LabLacpDriverOptions {
  /** Puts a full Ethernet frame on a port. */
  readonly transmit: (portId: string, frame: Uint8Array) => void;
  /** Every action, after the sends among them were transmitted. */
  readonly onAction?: (action: LacpAction) => void;
}

export class LabLacpDriver {
  private timer: EventHandle | undefined;

  constructor(
    private readonly sim: Simulator,
    readonly bond: LacpBond,
    private readonly options: LabLacpDriverOptions,
  ) {}

  receive(portId: string, frame: Uint8Array): void {
    this.run(this.bond.receive(this.nowMs(), portId, frame));
  }

  linkUp(portId: string): void {
    this.run(this.bond.linkUp(this.nowMs(), portId));
  }

  linkDown(portId: string): void {
    this.run(this.bond.linkDown(this.nowMs(), portId));
  }

  setPortDrained(portId: string, drained: boolean): void {
    this.run(this.bond.setPortDrained(this.nowMs(), portId, drained));
  }

  setDrained(drained: boolean): void {
    this.run(this.bond.setDrained(this.nowMs(), drained));
  }

  private nowMs(): number {
    return this.sim.now / NS_PER_MS;
  }

  private run(actions: LacpAction[]): void {
    for (const a of actions) if (a.kind === 'send') this.options.transmit(a.portId, a.frame);
    if (this.options.onAction) for (const a of actions) this.options.onAction(a);
    this.schedule();
  }

  private schedule(): void {
    const next = this.bond.nextDeadline();
    let at: number | undefined;
    if (next !== undefined) {
      at = Math.max(nsAtOrAfterMs(next), this.sim.now);
    }
    if (this.timer?.at === at) return;
    this.timer?.cancel();
    this.timer =
      at === undefined
        ? undefined
        : this.sim.at(at, () => {
            this.timer = undefined;
            this.run(this.bond.poll(this.nowMs()));
          });
  }
}
