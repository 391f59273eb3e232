/**
 * twinleaf's M-LAG peer protocol (docs/mlag-peer-protocol.md): the messages two devices of one DFS
 * group exchange over the peer-link (a TCP connection in the daemon, the emulated peer-link in the
 * lab) and the DAD probe they exchange over the separate dual-active detection path.
 *
 * Owns: the 8-octet header, the bodies of HELLO, CONSISTENCY, MEMBER-PORT-STATE, MAC-SYNC,
 * NEIGHBOR-SYNC (ARP/ND), SYNC-REQUEST, SYNC-DONE and DAD-PROBE, and a stream framer that cuts the
 * peer-link byte stream into whole messages. What the messages mean is src/mlag's business.
 *
 * Guarantees:
 * - Decoding throws only `WireError` (protocol `mlag`) naming the field and absolute offset. A
 *   version other than 1 is `unsupported`; a message type we do not know is kept byte-exact as
 *   `{ type: 'unknown' }` (receivers ignore it, so a newer peer can add types), and so are unknown
 *   CONSISTENCY TLVs.
 * - Symmetry: decode(encode(v)) deep-equals v for every valid v. Reserved octets are written as
 *   zero and ignored on receipt, so encode(decode(b)) equals b for canonical b (reserved zero,
 *   CONSISTENCY TLVs known-first in ascending type order).
 * - Sequence numbers are 64-bit on the wire but limited to 2^53 - 1 so they stay exact JS numbers.
 */
import { macToBytes, readMac, ipFromBytes, ipToBytes, ipVersion } from './addr.js';
import type { IpAddress, Mac, Vni } from './addr.js';
import { Reader, StreamFramer, Writer } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'mlag';

/** "ML": the first two octets of every message, so a desynchronised stream fails at once. */
export const MLAG_MAGIC = 0x4d4c;
export const MLAG_VERSION = 1;
export const MLAG_HEADER_LENGTH = 8;
/** The 16-bit Length field caps a message; the engine splits sync batches to fit. */
export const MLAG_MAX_MESSAGE_LENGTH = 0xffff;
/** TCP port of the daemon's peer-link session and UDP port of DAD probes (unassigned by IANA). */
export const MLAG_PEER_PORT = 8471;
export const MLAG_DAD_PORT = 8472;
/**
 * Peer-link data is VXLAN between the two devices' own VTEP addresses. A copy the sender flooded
 * (BUM, unknown unicast) carries this VXLAN-GBP Group Policy ID (draft-smith-vxlan-group-policy §2.1:
 * G flag, 16-bit ID), so the receiver keeps it from dual-homed servers even where it knows the
 * destination MAC; unicast the sender redirected on purpose carries none.
 */
export const MLAG_FLOODED_GROUP_POLICY = 0x4d46;

// Message types.
export const MLAG_MSG_HELLO = 1;
export const MLAG_MSG_CONSISTENCY = 2;
export const MLAG_MSG_MEMBER_PORT_STATE = 3;
export const MLAG_MSG_MAC_SYNC = 4;
export const MLAG_MSG_NEIGHBOR_SYNC = 5;
export const MLAG_MSG_SYNC_REQUEST = 6;
export const MLAG_MSG_SYNC_DONE = 7;
export const MLAG_MSG_DAD_PROBE = 8;

// CONSISTENCY TLV types.
export const MLAG_TLV_SYSTEM_MAC = 1;
export const MLAG_TLV_VIRTUAL_VTEP_IP = 2;
export const MLAG_TLV_VNIS = 3;
export const MLAG_TLV_MLAG_IDS = 4;
export const MLAG_TLV_GATEWAYS = 5;

const HELLO_BODY_LENGTH = 36;
const DAD_PROBE_BODY_LENGTH = 28;
const MAC_SYNC_ENTRY_LENGTH = 28;
const MEMBER_PORT_ENTRY_LENGTH = 4;
const SYNC_REQUEST_BODY_LENGTH = 4;
const SYNC_DONE_BODY_LENGTH = 12;
/** Count + reserved before the entries of MAC-SYNC and NEIGHBOR-SYNC. */
const BATCH_PREFIX_LENGTH = 4;
const MEMBER_PORT_PREFIX_LENGTH = 8;

export const MLAG_MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
/** How many MAC-SYNC entries fit in one message. */
export const MLAG_MAX_MAC_SYNC_ENTRIES = Math.floor(
  (MLAG_MAX_MESSAGE_LENGTH - MLAG_HEADER_LENGTH - BATCH_PREFIX_LENGTH) / MAC_SYNC_ENTRY_LENGTH,
);
/** How many NEIGHBOR-SYNC entries fit in one message when all are IPv6 (the larger size). */
export const MLAG_MAX_NEIGHBOR_SYNC_ENTRIES = Math.floor(
  (MLAG_MAX_MESSAGE_LENGTH - MLAG_HEADER_LENGTH - BATCH_PREFIX_LENGTH) / neighborEntryLength(6),
);

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** DFS role (seed 001: the DFS group negotiates master and backup). 'none' before any election. */
export type MlagRole = 'none' | 'master' | 'backup';
const ROLES: readonly MlagRole[] = ['none', 'master', 'backup'];

/** The sender's DFS group state, as src/mlag names it (informational in HELLO). */
export type MlagDfsState =
  'init' | 'negotiating' | 'paired' | 'dad-check' | 'split' | 'alone' | 'dual-master';
const DFS_STATES: readonly MlagDfsState[] = [
  'init',
  'negotiating',
  'paired',
  'dad-check',
  'split',
  'alone',
  'dual-master',
];

/** Heartbeat over the peer-link; also carries what the two-way handshake and elections need. */
export interface MlagHello {
  readonly type: 'hello';
  readonly groupId: number;
  /** The sender's own MAC (election tie-break: lower wins). */
  readonly localMac: Mac;
  /** 0..65535, higher wins the election. */
  readonly priority: number;
  /** The role the sender currently holds (no pre-emption: a held master role is kept). */
  readonly role: MlagRole;
  readonly state: MlagDfsState;
  /** Nonzero, new at every start of the sender: a change means the peer restarted. */
  readonly bootId: number;
  /** Boot id of the peer the sender last heard, 0 if none: equal to ours means two-way. */
  readonly peerBootId: number;
  readonly uptimeSeconds: number;
  /** The sender's Lamport clock (highest sync sequence used or seen). */
  readonly clock: number;
}

export interface MlagGateway {
  readonly vni: Vni;
  readonly ip: IpAddress;
  readonly prefixLength: number;
  readonly mac: Mac;
}

export interface MlagUnknownTlv {
  readonly tlvType: number;
  readonly data: Uint8Array;
}

/** Parameters both devices must agree on (seed 001: DFS group pairing; the shared virtual VTEP). */
export interface MlagConsistency {
  readonly type: 'consistency';
  readonly systemMac: Mac;
  readonly virtualVtepIp: IpAddress;
  /** Strictly ascending. */
  readonly vnis: readonly Vni[];
  /** Strictly ascending, 1..65535. */
  readonly mlagIds: readonly number[];
  readonly gateways: readonly MlagGateway[];
  /** TLVs a newer peer sent that we do not know, in the order received. */
  readonly unknownTlvs: readonly MlagUnknownTlv[];
}

export interface MlagMemberPort {
  readonly mlagId: number;
  readonly up: boolean;
  /** LACP Synchronization reached with the server on this member. */
  readonly lacpSync: boolean;
}

/** The sender's member ports, a whole snapshot; `seq` grows per snapshot within one boot. */
export interface MlagMemberPortState {
  readonly type: 'member-port-state';
  readonly seq: number;
  readonly ports: readonly MlagMemberPort[];
}

/** Where a synced MAC lives: behind an M-LAG (dual-homed) or on a single-homed port of `origin`. */
export type MlagMacLocation =
  { readonly kind: 'mlag'; readonly mlagId: number } | { readonly kind: 'single-homed' };

export type MlagSyncOp = 'add' | 'move' | 'delete';

interface SyncVersion {
  /** The device (its local MAC) that made this change. */
  readonly origin: Mac;
  /** Lamport sequence number of this change, 1..2^53-1. */
  readonly seq: number;
}

export type MlagMacEntry = SyncVersion & {
  readonly vni: Vni;
  readonly mac: Mac;
} & ({ readonly op: 'add' | 'move'; readonly location: MlagMacLocation } | { readonly op: 'delete' });

export interface MlagMacSync {
  readonly type: 'mac-sync';
  readonly entries: readonly MlagMacEntry[];
}

export type MlagNeighborEntry = SyncVersion & {
  /** The VNI (or L3 VNI of the VRF) the neighbor lives in. */
  readonly vni: Vni;
  readonly ip: IpAddress;
} & ({ readonly op: 'add' | 'move'; readonly mac: Mac } | { readonly op: 'delete' });

export interface MlagNeighborSync {
  readonly type: 'neighbor-sync';
  readonly entries: readonly MlagNeighborEntry[];
}

/** Asks the peer for every entry it asserts (full sync, at pairing and when a member port comes up). */
export interface MlagSyncRequest {
  readonly type: 'sync-request';
  readonly requestId: number;
}

/** Ends the answer to a SYNC-REQUEST; the counts say how many entries the answer held. */
export interface MlagSyncDone {
  readonly type: 'sync-done';
  readonly requestId: number;
  readonly macCount: number;
  readonly neighborCount: number;
}

/** Sent over the DAD link (seed 001: dual-active detection), never over the peer-link. */
export interface MlagDadProbe {
  readonly type: 'dad-probe';
  readonly groupId: number;
  readonly systemMac: Mac;
  readonly localMac: Mac;
  readonly priority: number;
  readonly role: MlagRole;
  /** The sender's view of the peer-link. */
  readonly peerLinkUp: boolean;
  readonly bootId: number;
  readonly sequence: number;
}

/** A message type this version does not know, kept byte-exact. */
export interface MlagUnknownMessage {
  readonly type: 'unknown';
  readonly code: number;
  readonly body: Uint8Array;
}

export type MlagMessage =
  | MlagHello
  | MlagConsistency
  | MlagMemberPortState
  | MlagMacSync
  | MlagNeighborSync
  | MlagSyncRequest
  | MlagSyncDone
  | MlagDadProbe
  | MlagUnknownMessage;

const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  [MLAG_MSG_HELLO]: 'HELLO',
  [MLAG_MSG_CONSISTENCY]: 'CONSISTENCY',
  [MLAG_MSG_MEMBER_PORT_STATE]: 'MEMBER-PORT-STATE',
  [MLAG_MSG_MAC_SYNC]: 'MAC-SYNC',
  [MLAG_MSG_NEIGHBOR_SYNC]: 'NEIGHBOR-SYNC',
  [MLAG_MSG_SYNC_REQUEST]: 'SYNC-REQUEST',
  [MLAG_MSG_SYNC_DONE]: 'SYNC-DONE',
  [MLAG_MSG_DAD_PROBE]: 'DAD-PROBE',
};

/** `HELLO`, `MAC-SYNC`, ..., `type 42`. */
export function mlagMessageTypeName(code: number): string {
  return MESSAGE_TYPE_NAMES[code] ?? `type ${code}`;
}

export function mlagMessageTypeCode(m: MlagMessage): number {
  switch (m.type) {
    case 'hello':
      return MLAG_MSG_HELLO;
    case 'consistency':
      return MLAG_MSG_CONSISTENCY;
    case 'member-port-state':
      return MLAG_MSG_MEMBER_PORT_STATE;
    case 'mac-sync':
      return MLAG_MSG_MAC_SYNC;
    case 'neighbor-sync':
      return MLAG_MSG_NEIGHBOR_SYNC;
    case 'sync-request':
      return MLAG_MSG_SYNC_REQUEST;
    case 'sync-done':
      return MLAG_MSG_SYNC_DONE;
    case 'dad-probe':
      return MLAG_MSG_DAD_PROBE;
    case 'unknown':
      return m.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------

/*
 * Header (every message):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Magic 0x4d4c ("ML") |    Version    |     Type      |
 *   |     Length (whole message)    |           Reserved            |
 *
 * HELLO (36):      Group ID(4) | Local MAC(6) | Priority(2) | Role(1) | State(1) | Reserved(2) |
 *                  Boot ID(4) | Peer Boot ID(4) | Uptime s(4) | Clock(8)
 * CONSISTENCY:     TLVs: Type(2) | Length(2) | Value
 *                    1 system MAC (6)         2 virtual VTEP IP (4 or 16)
 *                    3 VNIs (4 each)          4 M-LAG IDs (2 each)
 *                    5 gateways: VNI(4) | Family(1: 4 or 6) | Prefix length(1) | IP(4/16) | MAC(6)
 * MEMBER-PORT-STATE: Seq(4) | Count(2) | Reserved(2) | Count x { M-LAG ID(2) | State(1) | Flags(1) }
 * MAC-SYNC:        Count(2) | Reserved(2) | Count x { Op(1) | Location(1) | M-LAG ID(2) | VNI(4) |
 *                  MAC(6) | Origin(6) | Seq(8) }                                     (28 each)
 * NEIGHBOR-SYNC:   Count(2) | Reserved(2) | Count x { Op(1) | Family(1) | Reserved(2) | VNI(4) |
 *                  IP(4/16) | MAC(6) | Origin(6) | Seq(8) }                           (32 / 44 each)
 * SYNC-REQUEST (4): Request ID(4)
 * SYNC-DONE (12):  Request ID(4) | MAC count(4) | Neighbor count(4)
 * DAD-PROBE (28):  Group ID(4) | System MAC(6) | Local MAC(6) | Priority(2) | Role(1) | Flags(1) |
 *                  Boot ID(4) | Sequence(4)
 */

const OP_CODES: Readonly<Record<MlagSyncOp, number>> = { add: 1, move: 2, delete: 3 };
const OPS: readonly (MlagSyncOp | undefined)[] = [undefined, 'add', 'move', 'delete'];
const LOCATION_NONE = 0;
const LOCATION_MLAG = 1;
const LOCATION_SINGLE_HOMED = 2;
const MEMBER_STATE_DOWN = 0;
const MEMBER_STATE_UP = 1;
const MEMBER_FLAG_LACP_SYNC = 0x01;
const DAD_FLAG_PEER_LINK_UP = 0x01;

function neighborEntryLength(family: 4 | 6): number {
  return 1 + 1 + 2 + 4 + (family === 4 ? 4 : 16) + 6 + 6 + 8;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

function readSeq(r: Reader, field: string): number {
  const at = r.offset;
  const high = r.u32(field);
  const low = r.u32(field);
  const seq = high * 0x1_0000_0000 + low;
  if (seq === 0 || seq > MLAG_MAX_SEQUENCE)
    r.fail('malformed', field, `sequence ${seq} not in 1..2^53-1`, at);
  return seq;
}

function readClock(r: Reader, field: string): number {
  const at = r.offset;
  const high = r.u32(field);
  const low = r.u32(field);
  const v = high * 0x1_0000_0000 + low;
  if (v > MLAG_MAX_SEQUENCE) r.fail('malformed', field, `clock ${v} exceeds 2^53-1`, at);
  return v;
}

function readRole(r: Reader): MlagRole {
  const at = r.offset;
  const code = r.u8('role');
  const role = ROLES[code];
  if (role === undefined)
    r.fail('malformed', 'role', `role ${code} is not 0 (none), 1 (master) or 2 (backup)`, at);
  return role;
}

function readVni(r: Reader, field: string): Vni {
  const at = r.offset;
  const v = r.u32(field);
  if (v > 0xffffff) r.fail('malformed', field, `VNI ${v} exceeds 24 bits`, at);
  return v as Vni;
}

function readFamily(r: Reader): 4 | 6 {
  const at = r.offset;
  const f = r.u8('family');
  if (f !== 4 && f !== 6) r.fail('malformed', 'family', `address family ${f}, expected 4 or 6`, at);
  return f;
}

function readIp(r: Reader, family: 4 | 6, field: string): IpAddress {
  return ipFromBytes(r.bytes(family === 4 ? 4 : 16, field));
}

function readBootId(r: Reader, field: string): number {
  const at = r.offset;
  const v = r.u32(field);
  if (v === 0) r.fail('malformed', field, 'boot id is zero', at);
  return v;
}

function readHello(r: Reader): MlagHello {
  const groupId = r.u32('group id');
  const localMac = readMac(r, 'local mac');
  const priority = r.u16('priority');
  const role = readRole(r);
  const stateAt = r.offset;
  const stateCode = r.u8('state');
  const state = DFS_STATES[stateCode];
  if (state === undefined) r.fail('malformed', 'state', `DFS state ${stateCode} is not 0..6`, stateAt);
  r.skip(2, 'reserved');
  const bootId = readBootId(r, 'boot id');
  const peerBootId = r.u32('peer boot id');
  const uptimeSeconds = r.u32('uptime');
  const clock = readClock(r, 'clock');
  r.expectEnd('hello');
  return {
    type: 'hello',
    groupId,
    localMac,
    priority,
    role,
    state,
    bootId,
    peerBootId,
    uptimeSeconds,
    clock,
  };
}

function readAscending(r: Reader, width: 2 | 4, field: string, min: number, max: number): number[] {
  if (r.remaining % width !== 0)
    r.fail('malformed', field, `length ${r.remaining} is not a multiple of ${width}`);
  const out: number[] = [];
  while (!r.atEnd) {
    const at = r.offset;
    const v = width === 2 ? r.u16(field) : r.u32(field);
    if (v < min || v > max) r.fail('malformed', field, `${v} is not in ${min}..${max}`, at);
    const prev = out[out.length - 1];
    if (prev !== undefined && v <= prev)
      r.fail('malformed', field, `${v} follows ${prev}: not strictly ascending`, at);
    out.push(v);
  }
  return out;
}

function readGateways(r: Reader): MlagGateway[] {
  const out: MlagGateway[] = [];
  while (!r.atEnd) {
    const vni = readVni(r, 'gateway vni');
    const family = readFamily(r);
    const plAt = r.offset;
    const prefixLength = r.u8('gateway prefix length');
    const maxLength = family === 4 ? 32 : 128;
    if (prefixLength > maxLength) {
      r.fail(
        'malformed',
        'gateway prefix length',
        `prefix length ${prefixLength} exceeds ${maxLength}`,
        plAt,
      );
    }
    const ip = readIp(r, family, 'gateway ip');
    const mac = readMac(r, 'gateway mac');
    out.push({ vni, ip, prefixLength, mac });
  }
  return out;
}

function readConsistency(r: Reader): MlagConsistency {
  const seen = new Set<number>();
  let systemMac: Mac | undefined;
  let virtualVtepIp: IpAddress | undefined;
  let vnis: Vni[] | undefined;
  let mlagIds: number[] | undefined;
  let gateways: MlagGateway[] | undefined;
  const unknownTlvs: MlagUnknownTlv[] = [];
  while (!r.atEnd) {
    const at = r.offset;
    const tlvType = r.u16('tlv type');
    const length = r.u16('tlv length');
    const v = r.sub(length, 'tlv value');
    if (seen.has(tlvType)) r.fail('malformed', 'tlv type', `TLV ${tlvType} appears twice`, at);
    seen.add(tlvType);
    switch (tlvType) {
      case MLAG_TLV_SYSTEM_MAC:
        systemMac = readMac(v, 'system mac');
        v.expectEnd('system mac');
        break;
      case MLAG_TLV_VIRTUAL_VTEP_IP:
        if (length !== 4 && length !== 16) {
          r.fail('malformed', 'virtual vtep ip', `length ${length}, expected 4 or 16`, at + 2);
        }
        virtualVtepIp = ipFromBytes(v.rest());
        break;
      case MLAG_TLV_VNIS:
        vnis = readAscending(v, 4, 'vnis', 0, 0xffffff) as Vni[];
        break;
      case MLAG_TLV_MLAG_IDS:
        mlagIds = readAscending(v, 2, 'mlag ids', 1, 0xffff);
        break;
      case MLAG_TLV_GATEWAYS:
        gateways = readGateways(v);
        break;
      default:
        unknownTlvs.push({ tlvType, data: v.rest().slice() });
    }
  }
  const missing = (name: string): never => r.fail('malformed', name, `CONSISTENCY lacks the ${name} TLV`);
  return {
    type: 'consistency',
    systemMac: systemMac ?? missing('system mac'),
    virtualVtepIp: virtualVtepIp ?? missing('virtual vtep ip'),
    vnis: vnis ?? missing('vnis'),
    mlagIds: mlagIds ?? missing('mlag ids'),
    gateways: gateways ?? missing('gateways'),
    unknownTlvs,
  };
}

function readMemberPortState(r: Reader): MlagMemberPortState {
  const seq = r.u32('seq');
  const count = r.u16('count');
  r.skip(2, 'reserved');
  if (r.remaining !== count * MEMBER_PORT_ENTRY_LENGTH) {
    r.fail(
      'malformed',
      'count',
      `${count} ports need ${count * MEMBER_PORT_ENTRY_LENGTH} octets, ${r.remaining} left`,
      r.offset - 4,
    );
  }
  const ports: MlagMemberPort[] = [];
  const ids = new Set<number>();
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const mlagId = r.u16('mlag id');
    if (mlagId === 0) r.fail('malformed', 'mlag id', 'M-LAG id 0', at);
    if (ids.has(mlagId)) r.fail('malformed', 'mlag id', `M-LAG id ${mlagId} listed twice`, at);
    ids.add(mlagId);
    const state = r.u8('member state');
    if (state !== MEMBER_STATE_DOWN && state !== MEMBER_STATE_UP) {
      r.fail('malformed', 'member state', `state ${state}, expected 0 (down) or 1 (up)`, at + 2);
    }
    const flags = r.u8('member flags');
    ports.push({ mlagId, up: state === MEMBER_STATE_UP, lacpSync: (flags & MEMBER_FLAG_LACP_SYNC) !== 0 });
  }
  return { type: 'member-port-state', seq, ports };
}

function readOp(r: Reader): MlagSyncOp {
  const at = r.offset;
  const code = r.u8('op');
  const op = OPS[code];
  if (op === undefined) r.fail('malformed', 'op', `op ${code} is not 1 (add), 2 (move) or 3 (delete)`, at);
  return op;
}

function readBatchCount(r: Reader, entryLength: number | undefined): number {
  const at = r.offset;
  const count = r.u16('count');
  r.skip(2, 'reserved');
  if (entryLength !== undefined && r.remaining !== count * entryLength) {
    r.fail(
      'malformed',
      'count',
      `${count} entries need ${count * entryLength} octets, ${r.remaining} left`,
      at,
    );
  }
  return count;
}

function readMacSync(r: Reader): MlagMacSync {
  const count = readBatchCount(r, MAC_SYNC_ENTRY_LENGTH);
  const entries: MlagMacEntry[] = [];
  for (let i = 0; i < count; i++) {
    const op = readOp(r);
    const locAt = r.offset;
    const loc = r.u8('location');
    const mlagId = r.u16('mlag id');
    const vni = readVni(r, 'vni');
    const mac = readMac(r, 'mac');
    const origin = readMac(r, 'origin');
    const seq = readSeq(r, 'seq');
    if (op === 'delete') {
      if (loc !== LOCATION_NONE || mlagId !== 0) {
        r.fail('malformed', 'location', 'a delete carries location 0 and M-LAG id 0', locAt);
      }
      entries.push({ op, vni, mac, origin, seq });
      continue;
    }
    let location: MlagMacLocation;
    if (loc === LOCATION_MLAG) {
      if (mlagId === 0) r.fail('malformed', 'mlag id', 'location M-LAG with id 0', locAt + 1);
      location = { kind: 'mlag', mlagId };
    } else if (loc === LOCATION_SINGLE_HOMED) {
      if (mlagId !== 0)
        r.fail('malformed', 'mlag id', `single-homed location with M-LAG id ${mlagId}`, locAt + 1);
      location = { kind: 'single-homed' };
    } else {
      return r.fail('malformed', 'location', `location ${loc} is not 1 (M-LAG) or 2 (single-homed)`, locAt);
    }
    entries.push({ op, vni, mac, origin, seq, location });
  }
  return { type: 'mac-sync', entries };
}

function readNeighborSync(r: Reader): MlagNeighborSync {
  const count = readBatchCount(r, undefined);
  const entries: MlagNeighborEntry[] = [];
  for (let i = 0; i < count; i++) {
    const op = readOp(r);
    const family = readFamily(r);
    r.skip(2, 'reserved');
    const vni = readVni(r, 'vni');
    const ip = readIp(r, family, 'ip');
    const macAt = r.offset;
    const mac = readMac(r, 'mac');
    const origin = readMac(r, 'origin');
    const seq = readSeq(r, 'seq');
    if (op === 'delete') {
      if (mac !== ZERO_MAC) r.fail('malformed', 'mac', 'a delete carries MAC 00:00:00:00:00:00', macAt);
      entries.push({ op, vni, ip, origin, seq });
    } else {
      entries.push({ op, vni, ip, mac, origin, seq });
    }
  }
  r.expectEnd('neighbor-sync');
  return { type: 'neighbor-sync', entries };
}

const ZERO_MAC = '00:00:00:00:00:00' as Mac;

function readDadProbe(r: Reader): MlagDadProbe {
  const groupId = r.u32('group id');
  const systemMac = readMac(r, 'system mac');
  const localMac = readMac(r, 'local mac');
  const priority = r.u16('priority');
  const role = readRole(r);
  const flags = r.u8('flags');
  const bootId = readBootId(r, 'boot id');
  const sequence = r.u32('sequence');
  r.expectEnd('dad-probe');
  return {
    type: 'dad-probe',
    groupId,
    systemMac,
    localMac,
    priority,
    role,
    peerLinkUp: (flags & DAD_FLAG_PEER_LINK_UP) !== 0,
    bootId,
    sequence,
  };
}

function expectBodyLength(r: Reader, want: number, name: string): void {
  if (r.remaining !== want) {
    r.fail('malformed', 'length', `${name} body is ${r.remaining} octets, expected ${want}`, r.offset - 4);
  }
}

/**
 * Checks a header whose 8 octets start at `at` (the caller made sure they are there) and returns the
 * message length. Used by the framer before buffering, so a bogus length fails at once.
 */
function checkHeader(buf: Uint8Array, at: number): number {
  const magic = (buf[at]! << 8) | buf[at + 1]!;
  if (magic !== MLAG_MAGIC) {
    throw new WireError({
      kind: 'malformed',
      protocol: PROTOCOL,
      field: 'magic',
      offset: at,
      reason: `magic 0x${magic.toString(16).padStart(4, '0')}, expected 0x4d4c`,
    });
  }
  const version = buf[at + 2]!;
  if (version !== MLAG_VERSION) {
    throw new WireError({
      kind: 'unsupported',
      protocol: PROTOCOL,
      field: 'version',
      offset: at + 2,
      reason: `version ${version}, this speaker implements ${MLAG_VERSION}`,
    });
  }
  const length = (buf[at + 4]! << 8) | buf[at + 5]!;
  if (length < MLAG_HEADER_LENGTH) {
    throw new WireError({
      kind: 'malformed',
      protocol: PROTOCOL,
      field: 'length',
      offset: at + 4,
      reason: `length ${length} is below the ${MLAG_HEADER_LENGTH}-octet header`,
    });
  }
  return length;
}

/** Reads one whole message starting at `r.offset`; the reader ends just after it. */
export function readMlagMessage(r: Reader): MlagMessage {
  const start = r.offset;
  r.need(MLAG_HEADER_LENGTH, 'header');
  const length = checkHeader(r.buf, start);
  const code = r.buf[start + 3]!;
  r.skip(MLAG_HEADER_LENGTH, 'header');
  if (length - MLAG_HEADER_LENGTH > r.remaining) {
    r.fail(
      'truncated',
      'length',
      `length ${length} exceeds the ${r.remaining + MLAG_HEADER_LENGTH} octets present`,
      start + 4,
    );
  }
  const body = r.sub(length - MLAG_HEADER_LENGTH, 'body');
  switch (code) {
    case MLAG_MSG_HELLO:
      expectBodyLength(body, HELLO_BODY_LENGTH, 'HELLO');
      return readHello(body);
    case MLAG_MSG_CONSISTENCY:
      return readConsistency(body);
    case MLAG_MSG_MEMBER_PORT_STATE:
      if (body.remaining < MEMBER_PORT_PREFIX_LENGTH) {
        body.fail('truncated', 'member-port-state', `body is ${body.remaining} octets, needs at least 8`);
      }
      return readMemberPortState(body);
    case MLAG_MSG_MAC_SYNC:
      return readMacSync(body);
    case MLAG_MSG_NEIGHBOR_SYNC:
      return readNeighborSync(body);
    case MLAG_MSG_SYNC_REQUEST: {
      expectBodyLength(body, SYNC_REQUEST_BODY_LENGTH, 'SYNC-REQUEST');
      return { type: 'sync-request', requestId: body.u32('request id') };
    }
    case MLAG_MSG_SYNC_DONE: {
      expectBodyLength(body, SYNC_DONE_BODY_LENGTH, 'SYNC-DONE');
      const requestId = body.u32('request id');
      const macCount = body.u32('mac count');
      const neighborCount = body.u32('neighbor count');
      return { type: 'sync-done', requestId, macCount, neighborCount };
    }
    case MLAG_MSG_DAD_PROBE:
      expectBodyLength(body, DAD_PROBE_BODY_LENGTH, 'DAD-PROBE');
      return readDadProbe(body);
    default:
      return { type: 'unknown', code, body: body.rest().slice() };
  }
}

/** Decodes exactly one message (a DAD datagram, or one frame from `MlagFrameDecoder`). */
export function decodeMlagMessage(bytes: Uint8Array): MlagMessage {
  const r = new Reader(bytes, PROTOCOL);
  const m = readMlagMessage(r);
  r.expectEnd('message');
  return m;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < min || v > max) invalid(field, `${v} is not an integer in ${min}..${max}`);
  return v;
}

function writeU64(w: Writer, v: number): void {
  w.u32(Math.floor(v / 0x1_0000_0000)).u32(v % 0x1_0000_0000);
}

function writeMac(w: Writer, m: Mac): void {
  w.bytes(macToBytes(m));
}

function familyOf(ip: IpAddress): 4 | 6 {
  return ipVersion(ip);
}

function tlvBodyLength(m: MlagConsistency): number {
  let n =
    4 + 6 + 4 + ipToBytes(m.virtualVtepIp).length + 4 + 4 * m.vnis.length + 4 + 2 * m.mlagIds.length + 4;
  for (const g of m.gateways) n += 4 + 1 + 1 + (familyOf(g.ip) === 4 ? 4 : 16) + 6;
  for (const t of m.unknownTlvs) n += 4 + t.data.length;
  return n;
}

function bodyLength(m: MlagMessage): number {
  switch (m.type) {
    case 'hello':
      return HELLO_BODY_LENGTH;
    case 'consistency':
      return tlvBodyLength(m);
    case 'member-port-state':
      return MEMBER_PORT_PREFIX_LENGTH + MEMBER_PORT_ENTRY_LENGTH * m.ports.length;
    case 'mac-sync':
      return BATCH_PREFIX_LENGTH + MAC_SYNC_ENTRY_LENGTH * m.entries.length;
    case 'neighbor-sync': {
      let n = BATCH_PREFIX_LENGTH;
      for (const e of m.entries) n += neighborEntryLength(familyOf(e.ip));
      return n;
    }
    case 'sync-request':
      return SYNC_REQUEST_BODY_LENGTH;
    case 'sync-done':
      return SYNC_DONE_BODY_LENGTH;
    case 'dad-probe':
      return DAD_PROBE_BODY_LENGTH;
    case 'unknown':
      return m.body.length;
  }
}

/** Encoded size of a message, header included. */
export function mlagMessageLength(m: MlagMessage): number {
  return MLAG_HEADER_LENGTH + bodyLength(m);
}

function checkAscending(values: readonly number[], min: number, max: number, field: string): void {
  let prev = -1;
  for (const v of values) {
    checkUint(v, min, max, field);
    if (v <= prev) invalid(field, `${v} follows ${prev}: not strictly ascending`);
    prev = v;
  }
}

function writeTlvHeader(w: Writer, type: number, length: number): void {
  w.u16(type).u16(checkUint(length, 0, 0xffff, 'tlv length'));
}

function writeConsistency(w: Writer, m: MlagConsistency): void {
  writeTlvHeader(w, MLAG_TLV_SYSTEM_MAC, 6);
  writeMac(w, m.systemMac);
  const vtep = ipToBytes(m.virtualVtepIp);
  writeTlvHeader(w, MLAG_TLV_VIRTUAL_VTEP_IP, vtep.length);
  w.bytes(vtep);
  checkAscending(m.vnis, 0, 0xffffff, 'vnis');
  writeTlvHeader(w, MLAG_TLV_VNIS, 4 * m.vnis.length);
  for (const v of m.vnis) w.u32(v);
  checkAscending(m.mlagIds, 1, 0xffff, 'mlag ids');
  writeTlvHeader(w, MLAG_TLV_MLAG_IDS, 2 * m.mlagIds.length);
  for (const id of m.mlagIds) w.u16(id);
  let gwLength = 0;
  for (const g of m.gateways) gwLength += 4 + 1 + 1 + (familyOf(g.ip) === 4 ? 4 : 16) + 6;
  writeTlvHeader(w, MLAG_TLV_GATEWAYS, gwLength);
  for (const g of m.gateways) {
    const family = familyOf(g.ip);
    w.u32(checkUint(g.vni, 0, 0xffffff, 'gateway vni')).u8(family);
    w.u8(checkUint(g.prefixLength, 0, family === 4 ? 32 : 128, 'gateway prefix length'));
    w.bytes(ipToBytes(g.ip));
    writeMac(w, g.mac);
  }
  const seen = new Set<number>();
  for (const t of m.unknownTlvs) {
    checkUint(t.tlvType, 0, 0xffff, 'tlv type');
    if (t.tlvType >= MLAG_TLV_SYSTEM_MAC && t.tlvType <= MLAG_TLV_GATEWAYS) {
      invalid('tlv type', `TLV ${t.tlvType} is a known type and has its own field`);
    }
    if (seen.has(t.tlvType)) invalid('tlv type', `TLV ${t.tlvType} twice`);
    seen.add(t.tlvType);
    writeTlvHeader(w, t.tlvType, t.data.length);
    w.bytes(t.data);
  }
}

function writeSyncVersion(w: Writer, e: SyncVersion): void {
  writeMac(w, e.origin);
  writeU64(w, checkUint(e.seq, 1, MLAG_MAX_SEQUENCE, 'seq'));
}

function writeBody(w: Writer, m: MlagMessage): void {
  switch (m.type) {
    case 'hello':
      w.u32(checkUint(m.groupId, 0, 0xffffffff, 'group id'));
      writeMac(w, m.localMac);
      w.u16(checkUint(m.priority, 0, 0xffff, 'priority'));
      w.u8(ROLES.indexOf(m.role)).u8(DFS_STATES.indexOf(m.state)).u16(0);
      w.u32(checkUint(m.bootId, 1, 0xffffffff, 'boot id'));
      w.u32(checkUint(m.peerBootId, 0, 0xffffffff, 'peer boot id'));
      w.u32(checkUint(m.uptimeSeconds, 0, 0xffffffff, 'uptime'));
      writeU64(w, checkUint(m.clock, 0, MLAG_MAX_SEQUENCE, 'clock'));
      return;
    case 'consistency':
      return writeConsistency(w, m);
    case 'member-port-state': {
      w.u32(checkUint(m.seq, 0, 0xffffffff, 'seq'))
        .u16(checkUint(m.ports.length, 0, 0xffff, 'count'))
        .u16(0);
      const ids = new Set<number>();
      for (const p of m.ports) {
        checkUint(p.mlagId, 1, 0xffff, 'mlag id');
        if (ids.has(p.mlagId)) invalid('mlag id', `M-LAG id ${p.mlagId} listed twice`);
        ids.add(p.mlagId);
        w.u16(p.mlagId)
          .u8(p.up ? MEMBER_STATE_UP : MEMBER_STATE_DOWN)
          .u8(p.lacpSync ? MEMBER_FLAG_LACP_SYNC : 0);
      }
      return;
    }
    case 'mac-sync':
      w.u16(checkUint(m.entries.length, 0, MLAG_MAX_MAC_SYNC_ENTRIES, 'count')).u16(0);
      for (const e of m.entries) {
        w.u8(OP_CODES[e.op]);
        if (e.op === 'delete') w.u8(LOCATION_NONE).u16(0);
        else if (e.location.kind === 'mlag')
          w.u8(LOCATION_MLAG).u16(checkUint(e.location.mlagId, 1, 0xffff, 'mlag id'));
        else w.u8(LOCATION_SINGLE_HOMED).u16(0);
        w.u32(checkUint(e.vni, 0, 0xffffff, 'vni'));
        writeMac(w, e.mac);
        writeSyncVersion(w, e);
      }
      return;
    case 'neighbor-sync':
      w.u16(checkUint(m.entries.length, 0, 0xffff, 'count')).u16(0);
      for (const e of m.entries) {
        w.u8(OP_CODES[e.op]).u8(familyOf(e.ip)).u16(0);
        w.u32(checkUint(e.vni, 0, 0xffffff, 'vni'));
        w.bytes(ipToBytes(e.ip));
        writeMac(w, e.op === 'delete' ? ZERO_MAC : e.mac);
        writeSyncVersion(w, e);
      }
      return;
    case 'sync-request':
      w.u32(checkUint(m.requestId, 0, 0xffffffff, 'request id'));
      return;
    case 'sync-done':
      w.u32(checkUint(m.requestId, 0, 0xffffffff, 'request id'));
      w.u32(checkUint(m.macCount, 0, 0xffffffff, 'mac count'));
      w.u32(checkUint(m.neighborCount, 0, 0xffffffff, 'neighbor count'));
      return;
    case 'dad-probe':
      w.u32(checkUint(m.groupId, 0, 0xffffffff, 'group id'));
      writeMac(w, m.systemMac);
      writeMac(w, m.localMac);
      w.u16(checkUint(m.priority, 0, 0xffff, 'priority'));
      w.u8(ROLES.indexOf(m.role)).u8(m.peerLinkUp ? DAD_FLAG_PEER_LINK_UP : 0);
      w.u32(checkUint(m.bootId, 1, 0xffffffff, 'boot id'));
      w.u32(checkUint(m.sequence, 0, 0xffffffff, 'sequence'));
      return;
    case 'unknown':
      checkUint(m.code, 0, 0xff, 'type');
      if (m.code >= MLAG_MSG_HELLO && m.code <= MLAG_MSG_DAD_PROBE) {
        invalid('type', `type ${m.code} (${mlagMessageTypeName(m.code)}) has its own value type`);
      }
      w.bytes(m.body);
      return;
  }
}

/** Writes one message. Throws `malformed` for a value the format cannot carry. */
export function writeMlagMessage(w: Writer, m: MlagMessage): void {
  const length = mlagMessageLength(m);
  if (length > MLAG_MAX_MESSAGE_LENGTH)
    invalid('length', `message of ${length} octets exceeds ${MLAG_MAX_MESSAGE_LENGTH}`);
  const start = w.offset;
  w.u16(MLAG_MAGIC).u8(MLAG_VERSION).u8(mlagMessageTypeCode(m)).u16(length).u16(0);
  writeBody(w, m);
  if (w.offset - start !== length) invalid('length', `wrote ${w.offset - start} octets, computed ${length}`);
}

export function encodeMlagMessage(m: MlagMessage): Uint8Array {
  const w = new Writer(mlagMessageLength(m));
  writeMlagMessage(w, m);
  return w.finish();
}

/** Splits entries into batches that each fit one message (`maxPerMessage` entries). */
export function chunkEntries<T>(entries: readonly T[], maxPerMessage: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < entries.length; i += maxPerMessage) out.push(entries.slice(i, i + maxPerMessage));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stream framing
// ---------------------------------------------------------------------------------------------

/**
 * Splits the peer-link byte stream into whole messages. The header is checked (magic, version,
 * length) as soon as its 8 octets are in, so a desynchronised or hostile stream fails before
 * anything is buffered; it never holds more than one message (64 KiB). "Need more bytes" is a
 * normal result (an empty array). Whole messages are returned as copies, so the caller may reuse
 * its chunk. After a throw the decoder is unusable (every push rethrows): the stream has lost
 * message boundaries and the connection must be reset.
 */
export class MlagFrameDecoder extends StreamFramer {
  private partial: Uint8Array = new Uint8Array(MLAG_MAX_MESSAGE_LENGTH);
  /** Length of the message being assembled, once its header is in. */
  private want: number | undefined;

  protected split(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let o = 0;
    while (o < chunk.length) {
      const target = this.want ?? MLAG_HEADER_LENGTH;
      const take = Math.min(target - this.have, chunk.length - o);
      this.partial.set(chunk.subarray(o, o + take), this.have);
      this.have += take;
      o += take;
      if (this.want === undefined) {
        this.checkPartialHeader();
        if (this.have < MLAG_HEADER_LENGTH) break;
        this.want = checkHeader(this.partial, 0);
      }
      if (this.have === this.want) {
        out.push(this.partial.slice(0, this.have));
        this.have = 0;
        this.want = undefined;
      }
    }
    return out;
  }

  /** Fails on the first wrong magic or version octet, before the rest of the header arrives. */
  private checkPartialHeader(): void {
    const magic = [MLAG_MAGIC >> 8, MLAG_MAGIC & 0xff];
    for (let i = 0; i < Math.min(this.have, 2); i++) {
      if (this.partial[i] !== magic[i]) {
        throw new WireError({
          kind: 'malformed',
          protocol: PROTOCOL,
          field: 'magic',
          offset: i,
          reason: `octet ${i} of the magic is 0x${this.partial[i]!.toString(16).padStart(2, '0')}`,
        });
      }
    }
    if (this.have > 2 && this.partial[2] !== MLAG_VERSION) {
      throw new WireError({
        kind: 'unsupported',
        protocol: PROTOCOL,
        field: 'version',
        offset: 2,
        reason: `version ${this.partial[2]}, this speaker implements ${MLAG_VERSION}`,
      });
    }
  }
}
