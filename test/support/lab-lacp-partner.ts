/**
 * A stand-in for one leaf of an M-LAG pair in a lab Fabric: a device that runs an LACP bond on its
 * ports (on the simulated clock) and records every other frame it receives, so tests can see which
 * link a dual-homed host chose. Two of them with the same System MAC and Key and non-overlapping
 * port numbers present one System to the host, as an M-LAG pair does.
 */
import { LacpBond } from '../../src/lacp/bond.js';
import type { Fabric, LabDevice } from '../../src/lab/fabric.js';
import { LabLacpDriver } from '../../src/lab/lacp-driver.js';
import { decodeEthernet, ETHERTYPE_IPV4, ETHERTYPE_SLOW_PROTOCOLS } from '../../src/wire/ethernet.js';
import { decodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { decodeUdp } from '../../src/wire/udp.js';
import { FLOW_PORT } from '../../src/lab/host.js';

export interface ReceivedFrame {
  readonly at: number;
  readonly port: string;
  readonly frame: Uint8Array;
}

export interface LacpPartnerConfig {
  readonly systemMac: string;
  readonly key: number;
  /** Port name → LACP port number. */
  readonly ports: Readonly<Record<string, number>>;
}

export class LabLacpPartner implements LabDevice {
  readonly lacp: LabLacpDriver;
  /** Every non-LACP frame, in arrival order. */
  readonly received: ReceivedFrame[] = [];

  constructor(
    private readonly fabric: Fabric,
    readonly name: string,
    config: LacpPartnerConfig,
  ) {
    const bond = new LacpBond({
      name,
      systemMac: config.systemMac,
      key: config.key,
      ports: Object.entries(config.ports).map(([id, portNumber]) => ({ id, portNumber })),
    });
    this.lacp = new LabLacpDriver(fabric.sim, bond, {
      transmit: (port, frame) => fabric.transmit(name, port, frame),
    });
    fabric.addDevice(name, this);
  }

  get bond(): LacpBond {
    return this.lacp.bond;
  }

  receive(port: string, frame: Uint8Array): void {
    if (((frame[12]! << 8) | frame[13]!) === ETHERTYPE_SLOW_PROTOCOLS) this.lacp.receive(port, frame);
    else this.received.push({ at: this.fabric.sim.now, port, frame });
  }

  linkState(port: string, up: boolean): void {
    if (up) this.lacp.linkUp(port);
    else this.lacp.linkDown(port);
  }

  /** Sends a frame out of `port` (to the host behind it). */
  send(port: string, frame: Uint8Array): void {
    this.fabric.transmit(this.name, port, frame);
  }
}

/** The flow id a lab host's UDP test flow frame carries (`Host.startFlow`), or undefined. */
export function labFlowId(frame: Uint8Array): number | undefined {
  const eth = decodeEthernet(frame);
  if (eth.etherType !== ETHERTYPE_IPV4) return undefined;
  const ip = decodeIpv4(eth.payload);
  if (ip.protocol !== IPPROTO_UDP) return undefined;
  const udp = decodeUdp(ip.payload, ip.src, ip.dst);
  if (udp.dstPort !== FLOW_PORT || udp.payload.length < 8) return undefined;
  return new DataView(udp.payload.buffer, udp.payload.byteOffset, udp.payload.byteLength).getUint32(4);
}
