/**
 * VXLAN (RFC 7348): the 8-octet header, and the whole outer stack for the data-plane fast path.
 *
 * Owns:
 * - `decodeVxlan`/`encodeVxlan`: the VXLAN header + inner frame (the UDP payload). The I flag must
 *   be set (`malformed` otherwise, RFC 7348 §5). The reserved bits ("R", set to zero on transmission
 *   and ignored on receipt) are kept in the value, so a header from a VXLAN-GBP or otherwise
 *   non-conforming sender re-encodes exactly: encode(decode(b)) = b for every b that decodes, and
 *   decode(encode(v)) deep-equals v for every valid value.
 * - `encapsulateVxlan`: outer Ethernet (untagged) / IPv4 / UDP / VXLAN around an inner frame in ONE
 *   allocation (`encapsulateVxlanInto` writes into a caller's buffer instead): IPv4 header checksum
 *   computed, UDP checksum zero by default (RFC 7348 §5 allows it over IPv4) or computed on
 *   request, UDP source port from a hash of the inner headers (`vxlanSourcePort`, RFC 7348 §5).
 * - `vxlanOuterTemplate` / `encapsulateVxlanWithTemplate`: the same encapsulation for the data-plane
 *   fast path: a tunnel's outer stack is built once, then copied per frame with its length,
 *   checksum, source port and VNI patched (no UDP checksum).
 * - `decapsulateVxlan`: checks the outer stack (untagged Ethernet, IPv4, not a fragment, header
 *   checksum, UDP to port 4789, UDP length, UDP checksum when non-zero, I flag) and returns the
 *   inner frame as a zero-copy view. Anything else throws a `WireError`; traffic that is simply not
 *   VXLAN (another EtherType, protocol or port, a fragment) is `unsupported`. `checkVxlanFrame`
 *   makes the same checks and returns only the VNI and where the inner frame is (the fast path).
 * Only an IPv4 outer header is implemented (IPv6 underlays can come later), and the outer frame is
 * untagged (fabric links are routed ports).
 */
import { ipv4FromBytes, macFromBytes, vni as toVni, type Ipv4Address, type Mac, type Vni } from './addr.js';
import { copyBytes, finishChecksum, internetChecksum, onesComplementSum, Reader } from './bytes.js';
import { WireError, type WireErrorKind } from './errors.js';
import { emitMac, ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV4, ETHERTYPE_IPV6, isVlanTpid } from './ethernet.js';
import { emitIpv4Address, IPPROTO_TCP, IPPROTO_UDP, IPV4_HEADER_LENGTH } from './ipv4.js';
import { UDP_HEADER_LENGTH, UDP_PORT_VXLAN } from './udp.js';

const PROTOCOL = 'vxlan';

/** RFC 7348 §5: the IANA-assigned destination port. */
export const VXLAN_PORT = UDP_PORT_VXLAN;
export const VXLAN_HEADER_LENGTH = 8;
/** RFC 7348 §5: the I flag (valid VNI). */
export const VXLAN_FLAG_I = 0x08;
/** Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8). */
export const VXLAN_OVERHEAD =
  ETHERNET_HEADER_LENGTH + IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH;
/** RFC 7348 §5 (RFC 6335): source ports are taken from the dynamic range 49152–65535. */
export const VXLAN_SOURCE_PORT_MIN = 49152;
export const VXLAN_SOURCE_PORT_MAX = 65535;
/** Outer TTL when none is given (Linux's default for IPv4). */
export const VXLAN_DEFAULT_TTL = 64;

const IPPROTO_SCTP = 132;

export interface VxlanPacket {
  readonly vni: Vni;
  /** The seven R bits of the flags octet, as they sit in it (I, 0x08, excluded): normally 0. */
  readonly reservedFlags: number;
  /** The 24-bit Reserved field after the flags: normally 0. */
  readonly reserved1: number;
  /** The 8-bit Reserved field after the VNI: normally 0. */
  readonly reserved2: number;
  /** The encapsulated Ethernet frame (zero-copy on decode). */
  readonly innerFrame: Uint8Array;
}

/*
 * RFC 7348 §5: VXLAN Header
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Inner Ethernet frame ...
 */

/** Decodes a UDP payload: VXLAN header + inner frame. */
export function decodeVxlan(buf: Uint8Array): VxlanPacket {
  const r = new Reader(buf, PROTOCOL);
  r.need(VXLAN_HEADER_LENGTH, 'header');
  const flags = r.u8('flags');
  // RFC 7348 §5: "The I flag MUST be set to 1 for a valid VXLAN Network ID (VNI)."
  if ((flags & VXLAN_FLAG_I) === 0) r.fail('malformed', 'flags', 'I flag not set', 0);
  const reserved1 = r.u24('reserved1');
  const vni = r.u24('vni') as Vni;
  const reserved2 = r.u8('reserved2');
  return { vni, reservedFlags: flags & ~VXLAN_FLAG_I, reserved1, reserved2, innerFrame: r.rest() };
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(field, `${String(v)} is not an integer in 0..${max}`);
  return v;
}

function checkVni(v: Vni): number {
  try {
    return toVni(v);
  } catch {
    return badVni(v);
  }
}

/*
 * The errors of the fast paths, each built in a function of its own: a number formatted into a
 * message in two branches was formatted once, before either, on every frame (optimized code shares
 * the conversion and places it where both branches are reachable).
 */
function innerFrameTooLong(length: number): never {
  invalid('innerFrame', `inner frame of ${length} octets does not fit an IPv4 datagram`);
}

function bufferTooSmall(total: number, offset: number, length: number): never {
  invalid('out', `${total} octets do not fit at offset ${offset} of a ${length}-octet buffer`);
}

function badVni(vni: number): never {
  invalid('vni', `${String(vni)} is not a VNI (0..16777215)`);
}

function emitVxlanHeader(
  out: Uint8Array,
  o: number,
  vni: number,
  reservedFlags: number,
  reserved1: number,
  reserved2: number,
): void {
  out[o] = reservedFlags | VXLAN_FLAG_I;
  out[o + 1] = reserved1 >>> 16;
  out[o + 2] = (reserved1 >>> 8) & 0xff;
  out[o + 3] = reserved1 & 0xff;
  out[o + 4] = vni >>> 16;
  out[o + 5] = (vni >>> 8) & 0xff;
  out[o + 6] = vni & 0xff;
  out[o + 7] = reserved2;
}

export function encodeVxlan(v: VxlanPacket): Uint8Array {
  const vni = checkVni(v.vni);
  const reservedFlags = checkUint(v.reservedFlags, 0xff, 'reservedFlags');
  if ((reservedFlags & VXLAN_FLAG_I) !== 0)
    invalid('reservedFlags', 'the I flag (0x08) is not a reserved bit');
  const reserved1 = checkUint(v.reserved1, 0xffffff, 'reserved1');
  const reserved2 = checkUint(v.reserved2, 0xff, 'reserved2');
  const out = new Uint8Array(VXLAN_HEADER_LENGTH + v.innerFrame.length);
  emitVxlanHeader(out, 0, vni, reservedFlags, reserved1, reserved2);
  out.set(v.innerFrame, VXLAN_HEADER_LENGTH);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Source port from the inner flow
// ---------------------------------------------------------------------------------------------

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, buf: Uint8Array, start: number, end: number): number {
  let x = h;
  for (let i = start; i < end; i++) x = Math.imul(x ^ buf[i]!, FNV_PRIME);
  return x;
}

function isPortProtocol(p: number): boolean {
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP;
}

/**
 * A deterministic 32-bit FNV-1a hash of the inner flow (RFC 7348 §5: "a hash of fields from the
 * inner packet"): the inner MAC addresses, VLAN IDs (PCP/DEI excluded), the EtherType and, for
 * IPv4/IPv6, protocol and addresses plus the TCP/UDP/SCTP ports when present. IPv4 fragments hash
 * without ports so every fragment of a datagram takes the same path. Never throws: a short or odd
 * frame hashes the bytes it has. Reads are bounds-checked by explicit length tests.
 */
export function innerFlowHash(frame: Uint8Array): number {
  const n = frame.length;
  if (isPlainIpv4Frame(frame)) return untaggedIpv4FlowHash(frame);
  if (n < ETHERNET_HEADER_LENGTH) return fnv(FNV_OFFSET, frame, 0, n) >>> 0;
  let h = fnv(FNV_OFFSET, frame, 0, 12);
  let o = 12;
  let etherType = (frame[12]! << 8) | frame[13]!;
  for (let tags = 0; tags < 2 && isVlanTpid(etherType) && o + 6 <= n; tags++) {
    h = Math.imul(h ^ (frame[o + 2]! & 0x0f), FNV_PRIME);
    h = Math.imul(h ^ frame[o + 3]!, FNV_PRIME);
    o += 4;
    etherType = (frame[o]! << 8) | frame[o + 1]!;
  }
  h = fnv(h, frame, o, o + 2);
  o += 2;
  if (etherType === ETHERTYPE_IPV4 && o + IPV4_HEADER_LENGTH <= n) {
    const protocol = frame[o + 9]!;
    h = Math.imul(h ^ protocol, FNV_PRIME);
    h = fnv(h, frame, o + 12, o + 20);
    const headerLength = (frame[o]! & 0x0f) * 4;
    const fragmented = (frame[o + 6]! & 0x3f) !== 0 || frame[o + 7]! !== 0;
    const l4 = o + headerLength;
    if (!fragmented && headerLength >= IPV4_HEADER_LENGTH && isPortProtocol(protocol) && l4 + 4 <= n) {
      h = fnv(h, frame, l4, l4 + 4);
    }
  } else if (etherType === ETHERTYPE_IPV6 && o + 40 <= n) {
    const nextHeader = frame[o + 6]!;
    h = Math.imul(h ^ nextHeader, FNV_PRIME);
    h = fnv(h, frame, o + 8, o + 40);
    if (isPortProtocol(nextHeader) && o + 44 <= n) h = fnv(h, frame, o + 40, o + 44);
  }
  return h >>> 0;
}

/** The usual frame `untaggedIpv4FlowHash` takes: untagged IPv4 without options, ports in reach. */
function isPlainIpv4Frame(f: Uint8Array): boolean {
  return f.length >= 38 && f[12] === 0x08 && f[13] === 0x00 && (f[14]! & 0x0f) === 5;
}

/**
 * `innerFlowHash` of the usual frame, the same fields in the same order written out: untagged
 * IPv4 without options (IHL 5), at least 38 octets so the ports are there if it has them.
 */
function untaggedIpv4FlowHash(f: Uint8Array): number {
  const P = FNV_PRIME;
  let x = FNV_OFFSET;
  x = Math.imul(x ^ f[0]!, P);
  x = Math.imul(x ^ f[1]!, P);
  x = Math.imul(x ^ f[2]!, P);
  x = Math.imul(x ^ f[3]!, P);
  x = Math.imul(x ^ f[4]!, P);
  x = Math.imul(x ^ f[5]!, P);
  x = Math.imul(x ^ f[6]!, P);
  x = Math.imul(x ^ f[7]!, P);
  x = Math.imul(x ^ f[8]!, P);
  x = Math.imul(x ^ f[9]!, P);
  x = Math.imul(x ^ f[10]!, P);
  x = Math.imul(x ^ f[11]!, P);
  // EtherType 0x0800, protocol, source and destination address.
  x = Math.imul(x ^ 0x08, P);
  x = Math.imul(x, P);
  const protocol = f[23]!;
  x = Math.imul(x ^ protocol, P);
  x = Math.imul(x ^ f[26]!, P);
  x = Math.imul(x ^ f[27]!, P);
  x = Math.imul(x ^ f[28]!, P);
  x = Math.imul(x ^ f[29]!, P);
  x = Math.imul(x ^ f[30]!, P);
  x = Math.imul(x ^ f[31]!, P);
  x = Math.imul(x ^ f[32]!, P);
  x = Math.imul(x ^ f[33]!, P);
  const fragmented = (f[20]! & 0x3f) !== 0 || f[21]! !== 0;
  if (!fragmented && isPortProtocol(protocol)) {
    x = Math.imul(x ^ f[34]!, P);
    x = Math.imul(x ^ f[35]!, P);
    x = Math.imul(x ^ f[36]!, P);
    x = Math.imul(x ^ f[37]!, P);
  }
  return x >>> 0;
}

/** RFC 7348 §5: the outer UDP source port for an inner frame, in 49152–65535. */
export function vxlanSourcePort(innerFrame: Uint8Array): number {
  // The usual frame's hash called directly: through `innerFlowHash` it was two calls a frame.
  const h = isPlainIpv4Frame(innerFrame) ? untaggedIpv4FlowHash(innerFrame) : innerFlowHash(innerFrame);
  return VXLAN_SOURCE_PORT_MIN + ((h ^ (h >>> 16)) & 0x3fff);
}

// ---------------------------------------------------------------------------------------------
// Encapsulation
// ---------------------------------------------------------------------------------------------

export interface VxlanEncapsulation {
  /** The frame to carry (Ethernet header onwards, no FCS). */
  readonly innerFrame: Uint8Array;
  readonly vni: Vni;
  readonly outerSrcMac: Mac;
  readonly outerDstMac: Mac;
  /** The local VTEP address. */
  readonly outerSrcIp: Ipv4Address;
  /** The remote VTEP address. */
  readonly outerDstIp: Ipv4Address;
  /** Outer TTL, default 64. */
  readonly ttl?: number;
  /** Outer DSCP, default 0. */
  readonly dscp?: number;
  /** Outer ECN, default 0 (RFC 6040 normal mode copies the inner ECN here; the caller decides). */
  readonly ecn?: number;
  /**
   * Outer DF bit, default true: RFC 7348 §4.3 says VTEPs MUST NOT fragment, so an underlay MTU
   * problem shows up as ICMP rather than as fragments `decapsulateVxlan` would drop.
   */
  readonly dontFragment?: boolean;
  /** Compute the UDP checksum (default false: zero, as RFC 7348 §5 allows over IPv4). */
  readonly udpChecksum?: boolean;
}

/*
 * RFC 7348 §5: VXLAN Frame Format (outer IPv4), offsets in the frame this builds:
 *    0 Outer Ethernet: dst MAC (6) src MAC (6) EtherType 0x0800 (2)
 *   14 Outer IPv4: 0x45 TOS totalLength id flags/fragment TTL 17 checksum src dst (20)
 *   34 Outer UDP: srcPort (hash) dstPort 4789 length checksum (8)
 *   42 VXLAN: flags 0x08, reserved (3), VNI (3), reserved (1)
 *   50 Inner Ethernet frame
 */

/** The whole outer stack + inner frame in one allocation. */
export function encapsulateVxlan(e: VxlanEncapsulation): Uint8Array {
  const out = new Uint8Array(VXLAN_OVERHEAD + e.innerFrame.length);
  encapsulateVxlanInto(e, out, 0);
  return out;
}

/**
 * Writes the outer stack + inner frame into `out` at `offset` (every octet of the
 * `VXLAN_OVERHEAD + innerFrame.length` written is set, so `out` may be a reused buffer); returns
 * the offset after the frame. This is the allocation-free form for a data plane that pools its
 * buffers: V8 allocates typed arrays over 64 octets off-heap, which costs far more than the
 * encapsulation itself. The inner frame may already sit at `offset + VXLAN_OVERHEAD` in `out`
 * (headroom), in which case nothing moves.
 */
export function encapsulateVxlanInto(e: VxlanEncapsulation, out: Uint8Array, offset: number): number {
  const inner = e.innerFrame;
  const total = VXLAN_OVERHEAD + inner.length;
  const ipLength = total - ETHERNET_HEADER_LENGTH;
  if (ipLength > 0xffff) innerFrameTooLong(inner.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length)
    bufferTooSmall(total, offset, out.length);
  const vni = checkVni(e.vni);
  const ttl = e.ttl === undefined ? VXLAN_DEFAULT_TTL : checkUint(e.ttl, 0xff, 'ttl');
  const dscp = e.dscp === undefined ? 0 : checkUint(e.dscp, 63, 'dscp');
  const ecn = e.ecn === undefined ? 0 : checkUint(e.ecn, 3, 'ecn');
  const udpLength = ipLength - IPV4_HEADER_LENGTH;
  const srcPort = vxlanSourcePort(inner);
  const o = offset;
  // Outer Ethernet.
  emitMac(e.outerDstMac, out, o, PROTOCOL, 'outerDstMac');
  emitMac(e.outerSrcMac, out, o + 6, PROTOCOL, 'outerSrcMac');
  out[o + 12] = ETHERTYPE_IPV4 >>> 8;
  out[o + 13] = ETHERTYPE_IPV4 & 0xff;
  // Outer IPv4 (RFC 791 §3.1); id 0 is fine with DF set (RFC 6864 §4.1, atomic datagrams).
  out[o + 14] = 0x45;
  out[o + 15] = (dscp << 2) | ecn;
  out[o + 16] = ipLength >>> 8;
  out[o + 17] = ipLength & 0xff;
  out[o + 18] = 0;
  out[o + 19] = 0;
  out[o + 20] = e.dontFragment === false ? 0 : 0x40;
  out[o + 21] = 0;
  out[o + 22] = ttl;
  out[o + 23] = IPPROTO_UDP;
  out[o + 24] = 0;
  out[o + 25] = 0;
  emitIpv4Address(e.outerSrcIp, out, o + 26, PROTOCOL, 'outerSrcIp');
  emitIpv4Address(e.outerDstIp, out, o + 30, PROTOCOL, 'outerDstIp');
  const ipChecksum = internetChecksum(out, o + 14, o + 34);
  out[o + 24] = ipChecksum >>> 8;
  out[o + 25] = ipChecksum & 0xff;
  // Outer UDP (RFC 768).
  out[o + 34] = srcPort >>> 8;
  out[o + 35] = srcPort & 0xff;
  out[o + 36] = VXLAN_PORT >>> 8;
  out[o + 37] = VXLAN_PORT & 0xff;
  out[o + 38] = udpLength >>> 8;
  out[o + 39] = udpLength & 0xff;
  out[o + 40] = 0;
  out[o + 41] = 0;
  // VXLAN.
  emitVxlanHeader(out, o + 42, vni, 0, 0, 0);
  out.set(inner, o + VXLAN_OVERHEAD);
  if (e.udpChecksum === true) {
    // Pseudo-header from the addresses just written, then UDP header + payload.
    const pseudo = onesComplementSum(out, o + 26, o + 34) + IPPROTO_UDP + udpLength;
    const c = internetChecksum(out, o + 34, o + total, pseudo) || 0xffff;
    out[o + 40] = c >>> 8;
    out[o + 41] = c & 0xff;
  }
  return o + total;
}

// ---------------------------------------------------------------------------------------------
// Encapsulation from a per-tunnel template (the data-plane fast path)
// ---------------------------------------------------------------------------------------------

/** What stays the same for every frame sent through one tunnel: everything but the frame and VNI. */
export type VxlanTunnel = Omit<VxlanEncapsulation, 'innerFrame' | 'vni' | 'udpChecksum'>;

/**
 * The outer stack of one tunnel (local VTEP and next hop → remote VTEP), built and checked once.
 * `encapsulateVxlanWithTemplate` copies it in front of each inner frame and patches the fields that
 * vary per frame. The UDP checksum is always zero (RFC 7348 §5 allows it over IPv4).
 */
export interface VxlanOuterTemplate {
  /**
   * `VXLAN_OVERHEAD` octets as `encapsulateVxlanInto` writes them, except the per-frame fields (IPv4
   * total length and header checksum, UDP source port and length, VNI): `encapsulateVxlanWithTemplate`
   * writes each frame's into them before it copies the header out.
   */
  readonly header: Uint8Array;
  /** One's complement sum of the IPv4 header with its per-frame fields zero; a frame adds its total length. */
  readonly ipSum: number;
}

const NO_OCTETS = new Uint8Array(0);

/** Builds a tunnel's template; throws a `WireError` for the values `encapsulateVxlan` refuses. */
export function vxlanOuterTemplate(t: VxlanTunnel): VxlanOuterTemplate {
  const header = new Uint8Array(VXLAN_OVERHEAD);
  encapsulateVxlanInto({ ...t, innerFrame: NO_OCTETS, vni: 0 as Vni, udpChecksum: false }, header, 0);
  for (const at of [16, 17, 24, 25, 34, 35, 38, 39]) header[at] = 0;
  return { header, ipSum: onesComplementSum(header, ETHERNET_HEADER_LENGTH, 34) };
}

/**
 * `encapsulateVxlanInto` for a tunnel's template: the same octets as `encapsulateVxlan` with the
 * template's values and no UDP checksum, the same `WireError`s for a bad VNI, an oversized inner
 * frame or a buffer too small, and no allocation. Returns the offset after the frame.
 */
export function encapsulateVxlanWithTemplate(
  t: VxlanOuterTemplate,
  vni: Vni,
  innerFrame: Uint8Array,
  out: Uint8Array,
  offset: number,
): number {
  // Offsets are literals (the layout above): an imported constant is a module cell that optimized
  // code loads and checks per use, and every index built from one gets an overflow check.
  const total = 50 + innerFrame.length;
  const ipLength = total - 14;
  if (ipLength > 0xffff) innerFrameTooLong(innerFrame.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length)
    bufferTooSmall(total, offset, out.length);
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) badVni(vni);
  const srcPort = vxlanSourcePort(innerFrame);
  const udpLength = ipLength - 20;
  const ipChecksum = finishChecksum(t.ipSum + ipLength);
  // The frame's fields go into the template, then the template is copied: at constant offsets each
  // store is a few instructions, at `offset + k` each was twice that (overflow and bounds checks).
  const h = t.header;
  h[16] = ipLength >>> 8;
  h[17] = ipLength & 0xff;
  h[24] = ipChecksum >>> 8;
  h[25] = ipChecksum & 0xff;
  h[34] = srcPort >>> 8;
  h[35] = srcPort & 0xff;
  h[38] = udpLength >>> 8;
  h[39] = udpLength & 0xff;
  h[46] = vni >>> 16;
  h[47] = (vni >>> 8) & 0xff;
  h[48] = vni & 0xff;
  copyBytes(out, h, offset);
  copyBytes(out, innerFrame, offset + 50);
  return offset + total;
}

// ---------------------------------------------------------------------------------------------
// Decapsulation
// ---------------------------------------------------------------------------------------------

export interface VxlanDecapsulated {
  readonly vni: Vni;
  readonly outerSrcMac: Mac;
  readonly outerDstMac: Mac;
  readonly outerSrcIp: Ipv4Address;
  readonly outerDstIp: Ipv4Address;
  /** Outer UDP source port (the sender's flow hash). */
  readonly srcPort: number;
  readonly ttl: number;
  readonly dscp: number;
  /** Outer ECN, for RFC 6040 decapsulation. */
  readonly ecn: number;
  /** The inner Ethernet frame: a zero-copy view of the input. */
  readonly innerFrame: Uint8Array;
}

/**
 * Where the parts of a VXLAN frame `checkVxlanFrame` accepted sit: offsets into that frame, and the
 * VNI — no text, no copy, for the data-plane fast path.
 */
export interface VxlanFrameLayout {
  readonly vni: Vni;
  /** Offset of the inner Ethernet frame. */
  readonly innerStart: number;
  /** Offset one past its last octet (the end of the UDP datagram: trailing padding excluded). */
  readonly innerEnd: number;
}

function fail(kind: WireErrorKind, field: string, reason: string, offset: number): never {
  throw new WireError({ kind, protocol: PROTOCOL, field, offset, reason });
}

/** The IPv4 header at `ip` sums to 0xffff (RFC 1071), unrolled for the usual 20 octets. */
function ipv4HeaderChecksumOk(b: Uint8Array, ip: number, length: number): boolean {
  if (length !== 20) return internetChecksum(b, ip, ip + length) === 0;
  let s =
    ((b[ip]! << 8) | b[ip + 1]!) +
    ((b[ip + 2]! << 8) | b[ip + 3]!) +
    ((b[ip + 4]! << 8) | b[ip + 5]!) +
    ((b[ip + 6]! << 8) | b[ip + 7]!) +
    ((b[ip + 8]! << 8) | b[ip + 9]!) +
    ((b[ip + 10]! << 8) | b[ip + 11]!) +
    ((b[ip + 12]! << 8) | b[ip + 13]!) +
    ((b[ip + 14]! << 8) | b[ip + 15]!) +
    ((b[ip + 16]! << 8) | b[ip + 17]!) +
    ((b[ip + 18]! << 8) | b[ip + 19]!);
  // Ten 16-bit words sum to under 2^20: two folds bring it to 16 bits.
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

/**
 * Every check `decapsulateVxlan` makes on the outer stack (see the module comment), in the same
 * order and with the same `WireError`s, reading fixed offsets: the outer Ethernet header at 0, IPv4
 * at 14, then UDP and VXLAN after the IPv4 options. Returns where the inner frame is. Offsets and
 * values are literals and each error is built in a function of its own (as in
 * `encapsulateVxlanWithTemplate`): this runs for every frame received from the underlay.
 */
export function checkVxlanFrame(frame: Uint8Array): VxlanFrameLayout {
  const end = frame.length;
  if (end < 50) failOuter(frame, 'short', 0, 0);
  // EtherType IPv4 (0x0800), untagged.
  if (frame[12] !== 0x08 || frame[13] !== 0x00) failOuter(frame, 'etherType', 0, 0);
  const b0 = frame[14]!;
  if (b0 >>> 4 !== 4) failOuter(frame, 'version', 0, 0);
  const ipHeaderLength = (b0 & 0x0f) * 4;
  if (ipHeaderLength < 20) failOuter(frame, 'ihl', 0, 0);
  const totalLength = (frame[16]! << 8) | frame[17]!;
  if (totalLength < ipHeaderLength || 14 + totalLength > end)
    failOuter(frame, 'totalLength', totalLength, ipHeaderLength);
  const fragment = (frame[20]! << 8) | frame[21]!;
  if ((fragment & 0x8000) !== 0) failOuter(frame, 'reserved', 0, 0);
  // RFC 7348 §4.3: the destination VTEP MAY silently discard VXLAN fragments (no reassembly here).
  if ((fragment & 0x3fff) !== 0) failOuter(frame, 'fragment', 0, 0);
  if (frame[23] !== 17) failOuter(frame, 'protocol', 0, 0);
  if (!ipv4HeaderChecksumOk(frame, 14, ipHeaderLength)) failOuter(frame, 'checksum', 0, 0);
  const udp = 14 + ipHeaderLength;
  const ipEnd = 14 + totalLength;
  if (ipEnd - udp < 16) failOuter(frame, 'datagram', 0, 0);
  // UDP destination port 4789 (VXLAN_PORT).
  if (frame[udp + 2] !== 0x12 || frame[udp + 3] !== 0xb5) failOuter(frame, 'dstPort', udp, 0);
  const udpLength = (frame[udp + 4]! << 8) | frame[udp + 5]!;
  if (udpLength < 16 || udp + udpLength > ipEnd) failOuter(frame, 'udpLength', udp, udpLength);
  if (frame[udp + 6] !== 0 || frame[udp + 7] !== 0) {
    const pseudo = onesComplementSum(frame, 26, 34) + IPPROTO_UDP + udpLength;
    if (internetChecksum(frame, udp, udp + udpLength, pseudo) !== 0) failOuter(frame, 'udpChecksum', udp, 0);
  }
  const vx = udp + 8;
  // The I flag (VXLAN_FLAG_I).
  if ((frame[vx]! & 0x08) === 0) failOuter(frame, 'flags', udp, 0);
  const vni = ((frame[vx + 4]! << 16) | (frame[vx + 5]! << 8) | frame[vx + 6]!) as Vni;
  const innerStart = vx + 8;
  const innerEnd = udp + udpLength;
  if (innerEnd - innerStart < 14) failOuter(frame, 'innerFrame', innerStart, innerEnd);
  return { vni, innerStart, innerEnd };
}

/** The `WireError` of `checkVxlanFrame`'s check `what`; `a` and `b` are the values it reports. */
function failOuter(frame: Uint8Array, what: string, a: number, b: number): never {
  const ip = ETHERNET_HEADER_LENGTH;
  switch (what) {
    case 'short':
      return fail('truncated', 'outer headers', `needs ${VXLAN_OVERHEAD} bytes, ${frame.length} left`, 0);
    case 'etherType': {
      const etherType = (frame[12]! << 8) | frame[13]!;
      return fail(
        'unsupported',
        'etherType',
        `outer EtherType 0x${etherType.toString(16)} (IPv4 only, untagged)`,
        12,
      );
    }
    case 'version':
      return fail('malformed', 'version', `IP version ${frame[ip]! >>> 4} with EtherType IPv4`, ip);
    case 'ihl':
      return fail('malformed', 'ihl', `IHL ${frame[ip]! & 0x0f} is below 5`, ip);
    case 'totalLength':
      return a < b
        ? fail('malformed', 'totalLength', `total length ${a} < header length ${b}`, ip + 2)
        : fail('truncated', 'totalLength', `total length ${a} but ${frame.length - ip} octets`, ip + 2);
    case 'reserved':
      return fail('malformed', 'flags', 'reserved flag bit set', ip + 6);
    case 'fragment':
      return fail('unsupported', 'fragment', 'outer IPv4 fragment', ip + 6);
    case 'protocol':
      return fail('unsupported', 'protocol', `outer protocol ${frame[ip + 9]!}, not UDP`, ip + 9);
    case 'checksum':
      return fail('checksum', 'checksum', 'outer IPv4 header checksum does not verify', ip + 10);
    case 'datagram':
      return fail('malformed', 'totalLength', 'outer datagram too short for UDP and VXLAN headers', ip + 2);
    case 'dstPort': {
      const dstPort = (frame[a + 2]! << 8) | frame[a + 3]!;
      return fail('unsupported', 'dstPort', `UDP port ${dstPort}, not ${VXLAN_PORT}`, a + 2);
    }
    case 'udpLength':
      return fail('malformed', 'udpLength', `UDP length ${b} does not fit the IPv4 payload`, a + 4);
    case 'udpChecksum':
      return fail('checksum', 'udpChecksum', 'outer UDP checksum does not verify', a + 6);
    case 'flags':
      return fail('malformed', 'flags', 'VXLAN I flag not set', a + 8);
    default:
      return fail(
        'malformed',
        'innerFrame',
        `inner frame of ${b - a} octets is shorter than an Ethernet header`,
        a,
      );
  }
}

/** Checks the outer stack of a received frame and returns the inner frame (see the module comment). */
export function decapsulateVxlan(frame: Uint8Array): VxlanDecapsulated {
  const { vni, innerStart, innerEnd } = checkVxlanFrame(frame);
  const ip = ETHERNET_HEADER_LENGTH;
  const udp = ip + (frame[ip]! & 0x0f) * 4;
  const tos = frame[ip + 1]!;
  return {
    vni,
    outerSrcMac: macFromBytes(frame, 6),
    outerDstMac: macFromBytes(frame, 0),
    outerSrcIp: ipv4FromBytes(frame, ip + 12),
    outerDstIp: ipv4FromBytes(frame, ip + 16),
    srcPort: (frame[udp]! << 8) | frame[udp + 1]!,
    ttl: frame[ip + 8]!,
    dscp: tos >>> 2,
    ecn: tos & 3,
    innerFrame: frame.subarray(innerStart, innerEnd),
  };
}
