/**
 * IEEE 802.3 Slow Protocols payloads: LACPDUs and Marker PDUs (IEEE 802.1AX-2014 §6.4.2, §6.5.3).
 *
 * Owns what follows the Ethernet header of a frame to 01:80:c2:00:00:02 with ethertype 0x8809: the
 * subtype octet and the PDU. The Ethernet header itself belongs to the Ethernet codec.
 *
 * Guarantees:
 * - LACPDU (subtype 1) and Marker PDU (subtype 2) of version 1 decode to plain values; any other
 *   subtype is kept as `{ type: 'unknown', subtype, data }` (data = every byte after the subtype), so
 *   it re-encodes byte-exact. A version other than 1 is `unsupported`.
 * - TLV types and lengths are checked strictly: a wrong one is `malformed`, naming the TLV.
 * - Both PDUs are 110 octets. Bytes after them (Ethernet padding, an FCS left on by a capture) are
 *   ignored, and reserved fields are ignored on receipt and sent as zero (802.1AX §6.4.2.3), so
 *   neither is part of the value. Symmetry therefore holds on canonical bytes: exactly 110 octets,
 *   reserved fields zero. For any input b, decode(b) equals decode(encode(decode(b))).
 */
import { readMac, macToBytes, type Mac } from './addr.js';
import { Reader, Writer } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'lacp';

/** 802.1AX §6.2.11.2 / 802.3 Annex 57B: the Slow_Protocols_Multicast address. */
export const LACP_DST_MAC = '01:80:c2:00:00:02' as Mac;
/** 802.3 Annex 57A: Slow_Protocols_Type. */
export const SLOW_PROTOCOLS_ETHERTYPE = 0x8809;

// 802.3 Table 57A-3: Slow Protocols subtypes.
export const SLOW_PROTOCOLS_SUBTYPE_LACP = 1;
export const SLOW_PROTOCOLS_SUBTYPE_MARKER = 2;

export const LACP_VERSION = 1;
export const MARKER_VERSION = 1;
/** Both the LACPDU (§6.4.2.3) and the Marker PDU (§6.5.3.3) are 110 octets from the subtype on. */
export const LACPDU_LENGTH = 110;
export const MARKER_PDU_LENGTH = 110;

// 802.1AX §6.4.2.3: TLV types and their lengths (the length counts the type and length octets).
export const LACP_TLV_TERMINATOR = 0;
export const LACP_TLV_ACTOR_INFORMATION = 1;
export const LACP_TLV_PARTNER_INFORMATION = 2;
export const LACP_TLV_COLLECTOR_INFORMATION = 3;
const PORT_INFO_TLV_LENGTH = 20;
const COLLECTOR_TLV_LENGTH = 16;

// 802.1AX §6.5.3.3: Marker TLV types.
export const MARKER_TLV_INFORMATION = 1;
export const MARKER_TLV_RESPONSE = 2;
const MARKER_TLV_LENGTH = 16;

// 802.1AX §6.4.2.3 item k): Actor_State / Partner_State bits.
export const LACP_STATE_ACTIVITY = 0x01;
/** Set: short timeout (fast rate, 1 s); clear: long timeout (30 s). */
export const LACP_STATE_TIMEOUT = 0x02;
export const LACP_STATE_AGGREGATION = 0x04;
export const LACP_STATE_SYNCHRONIZATION = 0x08;
export const LACP_STATE_COLLECTING = 0x10;
export const LACP_STATE_DISTRIBUTING = 0x20;
export const LACP_STATE_DEFAULTED = 0x40;
export const LACP_STATE_EXPIRED = 0x80;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Actor or Partner information (802.1AX §6.4.2.3 items d–j and the matching partner fields). */
export interface LacpPortInfo {
  /** System_Priority, 0..65535 (lower is better). */
  readonly systemPriority: number;
  /** System ID (a MAC address). */
  readonly system: Mac;
  /** Operational Key, 0..65535. */
  readonly key: number;
  /** Port_Priority, 0..65535. */
  readonly portPriority: number;
  /** Port number, 0..65535. */
  readonly port: number;
  /** State octet, `LACP_STATE_*` bits (see `lacpStateFlags`, `formatLacpState`). */
  readonly state: number;
}

export interface Lacpdu {
  readonly type: 'lacp';
  readonly actor: LacpPortInfo;
  readonly partner: LacpPortInfo;
  /** CollectorMaxDelay in tens of microseconds, 0..65535 (§6.4.2.3 item m). */
  readonly collectorMaxDelay: number;
}

export interface MarkerPdu {
  readonly type: 'marker';
  /** Marker Information (a request) or Marker Response (§6.5.3.3 item c). */
  readonly markerType: 'information' | 'response';
  readonly requesterPort: number;
  readonly requesterSystem: Mac;
  /** Requester_Transaction_ID, 0..2^32-1. */
  readonly requesterTransactionId: number;
}

/** A Slow Protocols subtype we do not decode (OAM 3, OSSP/ESMC 10, ...), kept byte-exact. */
export interface UnknownSlowProtocolsPdu {
  readonly type: 'unknown';
  readonly subtype: number;
  /** Every byte after the subtype octet, padding included. */
  readonly data: Uint8Array;
}

export type SlowProtocolsPdu = Lacpdu | MarkerPdu | UnknownSlowProtocolsPdu;

// ---------------------------------------------------------------------------------------------
// State octet helpers
// ---------------------------------------------------------------------------------------------

/** The eight state bits by their 802.1AX names (`timeout` set = short timeout). */
export interface LacpStateFlags {
  readonly activity: boolean;
  readonly timeout: boolean;
  readonly aggregation: boolean;
  readonly synchronization: boolean;
  readonly collecting: boolean;
  readonly distributing: boolean;
  readonly defaulted: boolean;
  readonly expired: boolean;
}

export function lacpStateFlags(n: number): LacpStateFlags {
  return {
    activity: (n & LACP_STATE_ACTIVITY) !== 0,
    timeout: (n & LACP_STATE_TIMEOUT) !== 0,
    aggregation: (n & LACP_STATE_AGGREGATION) !== 0,
    synchronization: (n & LACP_STATE_SYNCHRONIZATION) !== 0,
    collecting: (n & LACP_STATE_COLLECTING) !== 0,
    distributing: (n & LACP_STATE_DISTRIBUTING) !== 0,
    defaulted: (n & LACP_STATE_DEFAULTED) !== 0,
    expired: (n & LACP_STATE_EXPIRED) !== 0,
  };
}

/** The state octet from flags; absent flags are clear. */
export function lacpState(flags: Partial<LacpStateFlags>): number {
  return (
    (flags.activity === true ? LACP_STATE_ACTIVITY : 0) |
    (flags.timeout === true ? LACP_STATE_TIMEOUT : 0) |
    (flags.aggregation === true ? LACP_STATE_AGGREGATION : 0) |
    (flags.synchronization === true ? LACP_STATE_SYNCHRONIZATION : 0) |
    (flags.collecting === true ? LACP_STATE_COLLECTING : 0) |
    (flags.distributing === true ? LACP_STATE_DISTRIBUTING : 0) |
    (flags.defaulted === true ? LACP_STATE_DEFAULTED : 0) |
    (flags.expired === true ? LACP_STATE_EXPIRED : 0)
  );
}

/** One letter per bit, bit 0 first; '.' when clear. */
const STATE_LETTERS = 'ATGSCDFE';

/**
 * Fixed-width text for a state octet: eight characters, bit 0 (Activity) first, the bit's letter
 * when set and '.' when clear — A=Activity, T=short Timeout, G=aGgregation, S=Synchronization,
 * C=Collecting, D=Distributing, F=deFaulted, E=Expired. A bundled fast-rate member is `ATGSCD..`,
 * a slow-rate one `A.GSCD..`, a member that never heard its partner `ATG...F.`.
 */
export function formatLacpState(n: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += (n & (1 << i)) !== 0 ? STATE_LETTERS[i]! : '.';
  return s;
}

// ---------------------------------------------------------------------------------------------
// Codec
// ---------------------------------------------------------------------------------------------

/*
 * 802.1AX-2014 §6.4.2.3, Figure 6-7: LACPDU (octets, after the Ethernet header)
 *   Subtype = 1 (1) | Version = 1 (1)
 *   TLV_type = 1 Actor (1) | Actor_Information_Length = 20 (1)
 *     Actor_System_Priority (2) | Actor_System (6) | Actor_Key (2)
 *     Actor_Port_Priority (2) | Actor_Port (2) | Actor_State (1) | Reserved (3)
 *   TLV_type = 2 Partner (1) | Partner_Information_Length = 20 (1)
 *     ... same 18 octets for the partner ...
 *   TLV_type = 3 Collector (1) | Collector_Information_Length = 16 (1)
 *     CollectorMaxDelay (2) | Reserved (12)
 *   TLV_type = 0 Terminator (1) | Terminator_Length = 0 (1)
 *   Reserved (50)                                                    = 110 octets
 *
 * 802.1AX-2014 §6.5.3.3, Figure 6-21: Marker PDU
 *   Subtype = 2 (1) | Version = 1 (1)
 *   TLV_type = 1 Marker Information or 2 Marker Response (1) | Length = 16 (1)
 *     Requester_Port (2) | Requester_System (6) | Requester_Transaction_ID (4) | Pad = 0 (2)
 *   TLV_type = 0 Terminator (1) | Terminator_Length = 0 (1)
 *   Reserved (90)                                                    = 110 octets
 */

/** Reads a TLV header and checks its type and length (strict: anything else is malformed). */
function expectTlv(r: Reader, type: number, length: number, field: string): void {
  const at = r.offset;
  const t = r.u8(field);
  const l = r.u8(field);
  if (t !== type) r.fail('malformed', field, `TLV type ${t}, expected ${type}`, at);
  if (l !== length) r.fail('malformed', field, `TLV length ${l}, expected ${length}`, at + 1);
}

function readPortInfo(r: Reader, type: number, field: string): LacpPortInfo {
  expectTlv(r, type, PORT_INFO_TLV_LENGTH, field);
  r.need(PORT_INFO_TLV_LENGTH - 2, field);
  const systemPriority = r.u16(field);
  const system = readMac(r, field);
  const key = r.u16(field);
  const portPriority = r.u16(field);
  const port = r.u16(field);
  const state = r.u8(field);
  r.skip(3, field); // Reserved: ignored on receipt.
  return { systemPriority, system, key, portPriority, port, state };
}

function readVersion(r: Reader, expected: number): void {
  const at = r.offset;
  const v = r.u8('version');
  if (v !== expected) r.fail('unsupported', 'version', `version ${v} (only ${expected} is implemented)`, at);
}

/** The body after the subtype octet; the reader is left after the 110-octet PDU. */
function readLacpduBody(r: Reader): Lacpdu {
  readVersion(r, LACP_VERSION);
  const actor = readPortInfo(r, LACP_TLV_ACTOR_INFORMATION, 'actor information TLV');
  const partner = readPortInfo(r, LACP_TLV_PARTNER_INFORMATION, 'partner information TLV');
  expectTlv(r, LACP_TLV_COLLECTOR_INFORMATION, COLLECTOR_TLV_LENGTH, 'collector information TLV');
  const collectorMaxDelay = r.u16('collector information TLV');
  r.skip(12, 'collector information TLV');
  expectTlv(r, LACP_TLV_TERMINATOR, 0, 'terminator TLV');
  r.skip(50, 'reserved');
  return { type: 'lacp', actor, partner, collectorMaxDelay };
}

function readMarkerBody(r: Reader): MarkerPdu {
  readVersion(r, MARKER_VERSION);
  const field = 'marker TLV';
  const at = r.offset;
  const t = r.u8(field);
  const l = r.u8(field);
  if (t !== MARKER_TLV_INFORMATION && t !== MARKER_TLV_RESPONSE) {
    r.fail('malformed', field, `TLV type ${t}, expected 1 (information) or 2 (response)`, at);
  }
  if (l !== MARKER_TLV_LENGTH) r.fail('malformed', field, `TLV length ${l}, expected 16`, at + 1);
  const requesterPort = r.u16(field);
  const requesterSystem = readMac(r, field);
  const requesterTransactionId = r.u32(field);
  r.skip(2, field); // Pad: ignored on receipt.
  expectTlv(r, LACP_TLV_TERMINATOR, 0, 'terminator TLV');
  r.skip(90, 'reserved');
  return {
    type: 'marker',
    markerType: t === MARKER_TLV_INFORMATION ? 'information' : 'response',
    requesterPort,
    requesterSystem,
    requesterTransactionId,
  };
}

/**
 * Reads a Slow Protocols payload filling the rest of the reader's window (the frame after its
 * Ethernet header). Trailing bytes after a LACPDU or Marker PDU are skipped.
 */
export function readSlowProtocols(r: Reader): SlowProtocolsPdu {
  const subtype = r.u8('subtype');
  let pdu: SlowProtocolsPdu;
  if (subtype === SLOW_PROTOCOLS_SUBTYPE_LACP) pdu = readLacpduBody(r);
  else if (subtype === SLOW_PROTOCOLS_SUBTYPE_MARKER) pdu = readMarkerBody(r);
  else return { type: 'unknown', subtype, data: r.rest().slice() };
  r.rest(); // Ethernet padding.
  return pdu;
}

export function decodeSlowProtocols(payload: Uint8Array): SlowProtocolsPdu {
  return readSlowProtocols(new Reader(payload, PROTOCOL));
}

/** Decodes a payload that must be a LACPDU (another subtype is `malformed` at `subtype`). */
export function decodeLacpdu(payload: Uint8Array): Lacpdu {
  const r = new Reader(payload, PROTOCOL);
  const subtype = r.u8('subtype');
  if (subtype !== SLOW_PROTOCOLS_SUBTYPE_LACP)
    r.fail('malformed', 'subtype', `subtype ${subtype} is not LACP`, 0);
  return readLacpduBody(r);
}

/** Decodes a payload that must be a Marker PDU (another subtype is `malformed` at `subtype`). */
export function decodeMarkerPdu(payload: Uint8Array): MarkerPdu {
  const r = new Reader(payload, PROTOCOL);
  const subtype = r.u8('subtype');
  if (subtype !== SLOW_PROTOCOLS_SUBTYPE_MARKER) {
    r.fail('malformed', 'subtype', `subtype ${subtype} is not Marker`, 0);
  }
  return readMarkerBody(r);
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(field, `${v} is not an integer in 0..${max}`);
  return v;
}

function writeMac(w: Writer, m: Mac, field: string): void {
  if (typeof m !== 'string' || m.length !== 17) invalid(field, `${String(m)} is not a canonical MAC address`);
  w.bytes(macToBytes(m));
}

function writePortInfo(w: Writer, type: number, p: LacpPortInfo, prefix: string): void {
  w.u8(type).u8(PORT_INFO_TLV_LENGTH);
  w.u16(checkUint(p.systemPriority, 0xffff, `${prefix} system priority`));
  writeMac(w, p.system, `${prefix} system`);
  w.u16(checkUint(p.key, 0xffff, `${prefix} key`));
  w.u16(checkUint(p.portPriority, 0xffff, `${prefix} port priority`));
  w.u16(checkUint(p.port, 0xffff, `${prefix} port`));
  w.u8(checkUint(p.state, 0xff, `${prefix} state`));
  w.zeros(3);
}

/** Octets `writeSlowProtocols` will write for this value. */
export function slowProtocolsLength(v: SlowProtocolsPdu): number {
  return v.type === 'unknown' ? 1 + v.data.length : LACPDU_LENGTH;
}

/** Writes the subtype octet and the PDU (no Ethernet padding: a LACPDU already exceeds 46 octets). */
export function writeSlowProtocols(w: Writer, v: SlowProtocolsPdu): void {
  switch (v.type) {
    case 'lacp':
      w.u8(SLOW_PROTOCOLS_SUBTYPE_LACP).u8(LACP_VERSION);
      writePortInfo(w, LACP_TLV_ACTOR_INFORMATION, v.actor, 'actor');
      writePortInfo(w, LACP_TLV_PARTNER_INFORMATION, v.partner, 'partner');
      w.u8(LACP_TLV_COLLECTOR_INFORMATION).u8(COLLECTOR_TLV_LENGTH);
      w.u16(checkUint(v.collectorMaxDelay, 0xffff, 'collector max delay')).zeros(12);
      w.u8(LACP_TLV_TERMINATOR).u8(0).zeros(50);
      return;
    case 'marker': {
      let t: number;
      if (v.markerType === 'information') t = MARKER_TLV_INFORMATION;
      else if (v.markerType === 'response') t = MARKER_TLV_RESPONSE;
      else invalid('marker type', `${String(v.markerType)} is not 'information' or 'response'`);
      w.u8(SLOW_PROTOCOLS_SUBTYPE_MARKER).u8(MARKER_VERSION).u8(t).u8(MARKER_TLV_LENGTH);
      w.u16(checkUint(v.requesterPort, 0xffff, 'requester port'));
      writeMac(w, v.requesterSystem, 'requester system');
      w.u32(checkUint(v.requesterTransactionId, 0xffffffff, 'requester transaction id')).zeros(2);
      w.u8(LACP_TLV_TERMINATOR).u8(0).zeros(90);
      return;
    }
    case 'unknown':
      checkUint(v.subtype, 0xff, 'subtype');
      // Subtypes 1 and 2 would decode as LACP/Marker, not as this value.
      if (v.subtype === SLOW_PROTOCOLS_SUBTYPE_LACP || v.subtype === SLOW_PROTOCOLS_SUBTYPE_MARKER) {
        invalid('subtype', `subtype ${v.subtype} has a codec; use a 'lacp' or 'marker' value`);
      }
      w.u8(v.subtype).bytes(v.data);
      return;
    default:
      return invalid('type', `unknown Slow Protocols value type ${String((v as { type: unknown }).type)}`);
  }
}

export function encodeSlowProtocols(v: SlowProtocolsPdu): Uint8Array {
  const w = new Writer(slowProtocolsLength(v));
  writeSlowProtocols(w, v);
  return w.finish();
}

/** The 110-octet LACPDU (subtype included), ready to follow an Ethernet header. */
export function encodeLacpdu(v: Lacpdu): Uint8Array {
  return encodeSlowProtocols(v);
}

export function encodeMarkerPdu(v: MarkerPdu): Uint8Array {
  return encodeSlowProtocols(v);
}
