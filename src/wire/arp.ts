/**
 * ARP for IPv4 over Ethernet (RFC 826), the payload of a frame with EtherType 0x0806.
 *
 * Owns the 28-octet packet. Only hardware type 1 (Ethernet) with protocol type 0x0800 (IPv4),
 * hardware length 6 and protocol length 4 is implemented; any other combination is `unsupported`
 * (naming the first field that differs).
 *
 * Guarantees: every operation code is kept as a number (`ARP_OP_REQUEST`, `ARP_OP_REPLY`, others
 * such as InARP 8/9 as-is). Bytes after the 28 octets (the padding that brings a frame to the
 * Ethernet minimum, an FCS) are ignored on decode and encode emits exactly 28 octets, so canonical
 * bytes are 28 octets long; for those encode(decode(b)) = b, and decode(encode(v)) deep-equals v.
 */
import { readIpv4, readMac, ZERO_MAC, type Ipv4Address, type Mac } from './addr.js';
import { Reader } from './bytes.js';
import { WireError } from './errors.js';
import { emitMac, ETHERTYPE_IPV4 } from './ethernet.js';
import { emitIpv4Address } from './ipv4.js';

const PROTOCOL = 'arp';

/** RFC 826 / IANA "Hardware Types": Ethernet (10Mb). */
export const ARP_HTYPE_ETHERNET = 1;
// IANA "Operation Codes" (ARP parameters).
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
export const ARP_OP_INARP_REQUEST = 8;
export const ARP_OP_INARP_REPLY = 9;
/** Octets of an Ethernet/IPv4 ARP packet. */
export const ARP_LENGTH = 28;

export interface ArpPacket {
  /** Operation, `ARP_OP_*` (0..65535). */
  readonly op: number;
  /** Sender hardware address. */
  readonly sha: Mac;
  /** Sender protocol address. */
  readonly spa: Ipv4Address;
  /** Target hardware address (00:00:00:00:00:00 in a request). */
  readonly tha: Mac;
  /** Target protocol address. */
  readonly tpa: Ipv4Address;
}

export function arpOpName(op: number): string {
  switch (op) {
    case ARP_OP_REQUEST:
      return 'request';
    case ARP_OP_REPLY:
      return 'reply';
    case ARP_OP_INARP_REQUEST:
      return 'inarp-request';
    case ARP_OP_INARP_REPLY:
      return 'inarp-reply';
    default:
      return `op-${op}`;
  }
}

/** "Who has `targetIp`? Tell `senderIp`": target hardware address zero (RFC 826, RFC 5227 §2.1.1). */
export function arpRequest(senderMac: Mac, senderIp: Ipv4Address, targetIp: Ipv4Address): ArpPacket {
  return { op: ARP_OP_REQUEST, sha: senderMac, spa: senderIp, tha: ZERO_MAC, tpa: targetIp };
}

/** "`senderIp` is at `senderMac`", addressed to the requester. */
export function arpReply(
  senderMac: Mac,
  senderIp: Ipv4Address,
  targetMac: Mac,
  targetIp: Ipv4Address,
): ArpPacket {
  return { op: ARP_OP_REPLY, sha: senderMac, spa: senderIp, tha: targetMac, tpa: targetIp };
}

/** The reply answering `request` with `answerMac` (what ARP suppression sends on a proxy hit). */
export function arpReplyFor(request: ArpPacket, answerMac: Mac): ArpPacket {
  return arpReply(answerMac, request.tpa, request.sha, request.spa);
}

/**
 * Gratuitous ARP (RFC 5227 §3 "ARP Announcement", RFC 5944 §4.6): sender and target protocol
 * addresses are the same, in a request or a reply. An ARP Probe (sender 0.0.0.0) is not one.
 */
export function isGratuitousArp(p: ArpPacket): boolean {
  return p.spa === p.tpa && p.spa !== '0.0.0.0';
}

/*
 * RFC 826 "Packet format", for Ethernet and IPv4:
 *   ar$hrd (2) = 1        ar$pro (2) = 0x0800
 *   ar$hln (1) = 6        ar$pln (1) = 4        ar$op (2)
 *   ar$sha (6)  ar$spa (4)  ar$tha (6)  ar$tpa (4)                  = 28 octets
 */

export function readArp(r: Reader): ArpPacket {
  const at = r.offset;
  r.need(ARP_LENGTH, 'packet');
  const htype = r.u16('htype');
  if (htype !== ARP_HTYPE_ETHERNET) r.fail('unsupported', 'htype', `hardware type ${htype}`, at);
  const ptype = r.u16('ptype');
  if (ptype !== ETHERTYPE_IPV4)
    r.fail('unsupported', 'ptype', `protocol type 0x${ptype.toString(16)}`, at + 2);
  const hlen = r.u8('hlen');
  if (hlen !== 6) r.fail('unsupported', 'hlen', `hardware address length ${hlen}`, at + 4);
  const plen = r.u8('plen');
  if (plen !== 4) r.fail('unsupported', 'plen', `protocol address length ${plen}`, at + 5);
  const op = r.u16('op');
  const sha = readMac(r, 'sha');
  const spa = readIpv4(r, 'spa');
  const tha = readMac(r, 'tha');
  const tpa = readIpv4(r, 'tpa');
  return { op, sha, spa, tha, tpa };
}

/** Decodes an ARP payload; bytes after the 28 octets (Ethernet padding) are ignored. */
export function decodeArp(buf: Uint8Array): ArpPacket {
  return readArp(new Reader(buf, PROTOCOL));
}

/** Writes the 28 octets at `offset`; returns the offset after them. */
export function emitArp(v: ArpPacket, out: Uint8Array, offset: number): number {
  const op = v.op;
  if (!Number.isInteger(op) || op < 0 || op > 0xffff) {
    throw new WireError({
      kind: 'malformed',
      protocol: PROTOCOL,
      field: 'op',
      offset: 0,
      reason: `${op} is not an integer in 0..65535`,
    });
  }
  const o = offset;
  out[o] = 0;
  out[o + 1] = ARP_HTYPE_ETHERNET;
  out[o + 2] = ETHERTYPE_IPV4 >>> 8;
  out[o + 3] = ETHERTYPE_IPV4 & 0xff;
  out[o + 4] = 6;
  out[o + 5] = 4;
  out[o + 6] = op >>> 8;
  out[o + 7] = op & 0xff;
  emitMac(v.sha, out, o + 8, PROTOCOL, 'sha');
  emitIpv4Address(v.spa, out, o + 14, PROTOCOL, 'spa');
  emitMac(v.tha, out, o + 18, PROTOCOL, 'tha');
  emitIpv4Address(v.tpa, out, o + 24, PROTOCOL, 'tpa');
  return o + ARP_LENGTH;
}

/** The 28-octet packet (not padded: the Ethernet layer's caller pads the frame to 60). */
export function encodeArp(v: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  emitArp(v, out, 0);
  return out;
}
