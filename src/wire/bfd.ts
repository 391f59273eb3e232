/**
 * BFD Control packets (RFC 5880 §4) as carried in UDP to port 3784 (single hop, RFC 5881) or 4784
 * (multihop, RFC 5883).
 *
 * Owns the mandatory section and the optional authentication section. It applies the reception
 * checks of RFC 5880 §6.8.6 that concern the packet format (version, length, detect multiplier,
 * M bit, discriminators), so a decoded value is one a session may process; the checks that need
 * session state (matching the discriminator, the auth type in use, verifying a digest) are the
 * session's job. `bfdDigestLayout` says which bytes a keyed MD5/SHA1 digest covers.
 *
 * Guarantees: unknown auth types are kept byte-exact. The A bit is implied by `auth` and the Length
 * field is computed, so neither is stored. Bytes after Length (UDP payload longer than the packet)
 * and the reserved octet of MD5/SHA1 auth are ignored on receipt and not stored; canonical bytes are
 * exactly Length octets with that octet zero, and for those encode(decode(b)) equals b.
 */
import { Reader, Writer } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'bfd';

/** RFC 5881 §4: single-hop control packets. */
export const BFD_CONTROL_PORT = 3784;
/** RFC 5881 §4: echo packets. */
export const BFD_ECHO_PORT = 3785;
/** RFC 5883 §5: multihop control packets. */
export const BFD_MULTIHOP_PORT = 4784;
/** RFC 5881 §4: the source port MUST be in 49152..65535. */
export const BFD_SOURCE_PORT_MIN = 49152;
/** RFC 5881 §5: single-hop packets are sent with TTL / hop limit 255 and checked on receipt. */
export const BFD_SINGLE_HOP_TTL = 255;

export const BFD_VERSION = 1;
/** RFC 5880 §4.1: the mandatory section is 24 octets. */
export const BFD_CONTROL_LENGTH = 24;
/** RFC 5880 §6.8.6: the smallest Length with the A bit set (mandatory section + auth type/len). */
export const BFD_CONTROL_LENGTH_WITH_AUTH = 26;

// RFC 5880 §4.1: flag bits in the second octet, below the 2-bit state.
export const BFD_FLAG_POLL = 0x20;
export const BFD_FLAG_FINAL = 0x10;
export const BFD_FLAG_CONTROL_PLANE_INDEPENDENT = 0x08;
export const BFD_FLAG_AUTHENTICATION_PRESENT = 0x04;
export const BFD_FLAG_DEMAND = 0x02;
export const BFD_FLAG_MULTIPOINT = 0x01;

// RFC 5880 §4.1: session states.
export const BFD_STATE_ADMIN_DOWN = 0;
export const BFD_STATE_DOWN = 1;
export const BFD_STATE_INIT = 2;
export const BFD_STATE_UP = 3;
export type BfdState =
  typeof BFD_STATE_ADMIN_DOWN | typeof BFD_STATE_DOWN | typeof BFD_STATE_INIT | typeof BFD_STATE_UP;

// IANA "BFD Diagnostic Codes" (RFC 5880 §4.1; 9 from RFC 6428).
export const BFD_DIAG_NO_DIAGNOSTIC = 0;
export const BFD_DIAG_CONTROL_DETECTION_TIME_EXPIRED = 1;
export const BFD_DIAG_ECHO_FUNCTION_FAILED = 2;
export const BFD_DIAG_NEIGHBOR_SIGNALED_SESSION_DOWN = 3;
export const BFD_DIAG_FORWARDING_PLANE_RESET = 4;
export const BFD_DIAG_PATH_DOWN = 5;
export const BFD_DIAG_CONCATENATED_PATH_DOWN = 6;
export const BFD_DIAG_ADMINISTRATIVELY_DOWN = 7;
export const BFD_DIAG_REVERSE_CONCATENATED_PATH_DOWN = 8;
export const BFD_DIAG_MIS_CONNECTIVITY_DEFECT = 9;

// IANA "BFD Authentication Types" (RFC 5880 §4.1).
export const BFD_AUTH_RESERVED = 0;
export const BFD_AUTH_SIMPLE_PASSWORD = 1;
export const BFD_AUTH_KEYED_MD5 = 2;
export const BFD_AUTH_METICULOUS_KEYED_MD5 = 3;
export const BFD_AUTH_KEYED_SHA1 = 4;
export const BFD_AUTH_METICULOUS_KEYED_SHA1 = 5;

const MD5_DIGEST_LENGTH = 16;
const SHA1_DIGEST_LENGTH = 20;
/** RFC 5880 §4.3/§4.4: Auth Len of keyed MD5 (24) and keyed SHA1 (28). */
const MD5_AUTH_LENGTH = 8 + MD5_DIGEST_LENGTH;
const SHA1_AUTH_LENGTH = 8 + SHA1_DIGEST_LENGTH;
/** Offset of the digest in a packet with MD5/SHA1 auth: header, type, len, key id, reserved, sequence. */
export const BFD_AUTH_DIGEST_OFFSET = BFD_CONTROL_LENGTH + 8;
/** Auth Len counts type and length octets; the whole packet must fit the 8-bit Length field. */
const MAX_AUTH_LENGTH = 0xff - BFD_CONTROL_LENGTH;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** RFC 5880 §4.2: Simple Password. */
export interface BfdSimplePasswordAuth {
  readonly type: 'simple-password';
  readonly keyId: number;
  /** 1..16 octets. */
  readonly password: Uint8Array;
}

/** RFC 5880 §4.3: Keyed MD5 and Meticulous Keyed MD5. */
export interface BfdKeyedMd5Auth {
  readonly type: 'keyed-md5' | 'meticulous-keyed-md5';
  readonly keyId: number;
  readonly sequence: number;
  /** 16 octets. */
  readonly digest: Uint8Array;
}

/** RFC 5880 §4.4: Keyed SHA1 and Meticulous Keyed SHA1. */
export interface BfdKeyedSha1Auth {
  readonly type: 'keyed-sha1' | 'meticulous-keyed-sha1';
  readonly keyId: number;
  readonly sequence: number;
  /** 20 octets. */
  readonly digest: Uint8Array;
}

/** An auth type we do not model (0, 6..255), kept byte-exact. */
export interface BfdUnknownAuth {
  readonly type: 'unknown';
  readonly code: number;
  /** The section after Auth Type and Auth Len. */
  readonly data: Uint8Array;
}

export type BfdAuth = BfdSimplePasswordAuth | BfdKeyedMd5Auth | BfdKeyedSha1Auth | BfdUnknownAuth;

/** RFC 5880 §4.1. Intervals are in microseconds. */
export interface BfdControlPacket {
  /** `BFD_DIAG_*`, 0..31. */
  readonly diagnostic: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  /** 1..255. */
  readonly detectMultiplier: number;
  /** 1..2^32-1. */
  readonly myDiscriminator: number;
  /** 0 only while the state is AdminDown or Down. */
  readonly yourDiscriminator: number;
  readonly desiredMinTxInterval: number;
  readonly requiredMinRxInterval: number;
  readonly requiredMinEchoRxInterval: number;
  /** Present iff the A bit is set. */
  readonly auth?: BfdAuth;
}

// ---------------------------------------------------------------------------------------------
// Names for logs
// ---------------------------------------------------------------------------------------------

const DIAGNOSTIC_NAMES: readonly string[] = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
  'Mis-Connectivity Defect',
];

/** The registry name of a diagnostic code, e.g. `Control Detection Time Expired`. */
export function bfdDiagnosticName(diagnostic: number): string {
  return DIAGNOSTIC_NAMES[diagnostic] ?? `Unassigned (${diagnostic})`;
}

const STATE_NAMES: readonly string[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** RFC 5880 state name: `AdminDown`, `Down`, `Init`, `Up`. */
export function bfdStateName(state: number): string {
  return STATE_NAMES[state] ?? `Invalid (${state})`;
}

const AUTH_TYPE_NAMES: readonly string[] = [
  'Reserved',
  'Simple Password',
  'Keyed MD5',
  'Meticulous Keyed MD5',
  'Keyed SHA1',
  'Meticulous Keyed SHA1',
];

export function bfdAuthTypeName(code: number): string {
  return AUTH_TYPE_NAMES[code] ?? `Unassigned (${code})`;
}

/** The Auth Type code of an auth section value. */
export function bfdAuthTypeCode(auth: BfdAuth): number {
  switch (auth.type) {
    case 'simple-password':
      return BFD_AUTH_SIMPLE_PASSWORD;
    case 'keyed-md5':
      return BFD_AUTH_KEYED_MD5;
    case 'meticulous-keyed-md5':
      return BFD_AUTH_METICULOUS_KEYED_MD5;
    case 'keyed-sha1':
      return BFD_AUTH_KEYED_SHA1;
    case 'meticulous-keyed-sha1':
      return BFD_AUTH_METICULOUS_KEYED_SHA1;
    case 'unknown':
      return auth.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Codec
// ---------------------------------------------------------------------------------------------

/*
 * RFC 5880 §4.1: Generic BFD Control Packet Format
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
 *   |                       My Discriminator                        |
 *   |                      Your Discriminator                       |
 *   |                    Desired Min TX Interval                    |
 *   |                   Required Min RX Interval                    |
 *   |                 Required Min Echo RX Interval                 |
 *   An optional Authentication Section MAY be present:
 *   |   Auth Type   |   Auth Len    |    Authentication Data...     |
 *
 * RFC 5880 §4.2 Simple Password:  Auth Type=1 | Auth Len=3+n | Auth Key ID | Password (n = 1..16)
 * RFC 5880 §4.3 Keyed MD5:        Auth Type=2/3 | Auth Len=24 | Auth Key ID | Reserved |
 *                                 Sequence Number (4) | Auth Key/Digest (16)
 * RFC 5880 §4.4 Keyed SHA1:       Auth Type=4/5 | Auth Len=28 | Auth Key ID | Reserved |
 *                                 Sequence Number (4) | Auth Key/Hash (20)
 */

function readAuth(r: Reader, authLength: number): BfdAuth {
  const at = r.offset;
  const code = r.u8('auth type');
  const len = r.u8('auth len');
  // RFC 5880 §4.1: the section fills the rest of the packet as sized by Length.
  if (len !== authLength) {
    r.fail('malformed', 'auth len', `auth len ${len}, but Length leaves ${authLength} octets for it`, at + 1);
  }
  switch (code) {
    case BFD_AUTH_SIMPLE_PASSWORD: {
      // RFC 5880 §4.2: the password is 1 to 16 bytes.
      if (len < 4 || len > 19) {
        r.fail('malformed', 'auth len', `simple password auth len ${len}, expected 4..19`, at + 1);
      }
      const keyId = r.u8('auth key id');
      return { type: 'simple-password', keyId, password: r.copy(len - 3, 'password') };
    }
    case BFD_AUTH_KEYED_MD5:
    case BFD_AUTH_METICULOUS_KEYED_MD5:
    case BFD_AUTH_KEYED_SHA1:
    case BFD_AUTH_METICULOUS_KEYED_SHA1: {
      const md5 = code === BFD_AUTH_KEYED_MD5 || code === BFD_AUTH_METICULOUS_KEYED_MD5;
      const want = md5 ? MD5_AUTH_LENGTH : SHA1_AUTH_LENGTH;
      if (len !== want) {
        r.fail('malformed', 'auth len', `${bfdAuthTypeName(code)} auth len ${len}, expected ${want}`, at + 1);
      }
      const keyId = r.u8('auth key id');
      r.skip(1, 'reserved'); // RFC 5880 §4.3/§4.4: ignored on receipt.
      const sequence = r.u32('sequence number');
      const digest = r.copy(md5 ? MD5_DIGEST_LENGTH : SHA1_DIGEST_LENGTH, 'auth digest');
      if (md5) {
        return {
          type: code === BFD_AUTH_KEYED_MD5 ? 'keyed-md5' : 'meticulous-keyed-md5',
          keyId,
          sequence,
          digest,
        };
      }
      return {
        type: code === BFD_AUTH_KEYED_SHA1 ? 'keyed-sha1' : 'meticulous-keyed-sha1',
        keyId,
        sequence,
        digest,
      };
    }
    default:
      return { type: 'unknown', code, data: r.copy(len - 2, 'auth data') };
  }
}

/**
 * Reads a Control packet that starts at `r.offset` and whose UDP payload ends at `r.end`; the
 * reader is left at `r.end` (octets after Length are ignored).
 */
export function readBfdControl(r: Reader): BfdControlPacket {
  const start = r.offset;
  const payload = r.remaining;
  const b0 = r.u8('version');
  // RFC 5880 §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if (b0 >>> 5 !== BFD_VERSION) r.fail('malformed', 'version', `version ${b0 >>> 5}, expected 1`, start);
  const b1 = r.u8('state');
  // RFC 5880 §6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
  if ((b1 & BFD_FLAG_MULTIPOINT) !== 0) r.fail('malformed', 'multipoint', 'the M bit is set', start + 1);
  const detectMultiplier = r.u8('detect mult');
  // RFC 5880 §6.8.6: "If the Detect Mult field is zero, the packet MUST be discarded."
  if (detectMultiplier === 0) r.fail('malformed', 'detect mult', 'detect mult is zero', start + 2);
  const length = r.u8('length');
  const hasAuth = (b1 & BFD_FLAG_AUTHENTICATION_PRESENT) !== 0;
  // RFC 5880 §6.8.6: Length below 24 (26 with the A bit) or beyond the payload MUST be discarded.
  const min = hasAuth ? BFD_CONTROL_LENGTH_WITH_AUTH : BFD_CONTROL_LENGTH;
  if (length < min) {
    r.fail(
      'malformed',
      'length',
      `length ${length} is below ${min}${hasAuth ? ' (A bit set)' : ''}`,
      start + 3,
    );
  }
  if (length > payload) {
    r.fail('malformed', 'length', `length ${length} exceeds the ${payload}-octet payload`, start + 3);
  }
  // RFC 5880 §4.1: without the A bit the packet is the 24-octet mandatory section.
  if (!hasAuth && length !== BFD_CONTROL_LENGTH) {
    r.fail('malformed', 'length', `length ${length} without authentication, expected 24`, start + 3);
  }
  const myDiscriminator = r.u32('my discriminator');
  // RFC 5880 §6.8.6: "If the My Discriminator field is zero, the packet MUST be discarded."
  if (myDiscriminator === 0) r.fail('malformed', 'my discriminator', 'my discriminator is zero', start + 4);
  const yourDiscriminator = r.u32('your discriminator');
  const state = (b1 >>> 6) as BfdState;
  // RFC 5880 §6.8.6: "If the Your Discriminator field is zero and the State field is not Down or
  // AdminDown, the packet MUST be discarded."
  if (yourDiscriminator === 0 && state !== BFD_STATE_DOWN && state !== BFD_STATE_ADMIN_DOWN) {
    r.fail(
      'malformed',
      'your discriminator',
      `your discriminator is zero in state ${bfdStateName(state)}`,
      start + 8,
    );
  }
  const desiredMinTxInterval = r.u32('desired min tx interval');
  const requiredMinRxInterval = r.u32('required min rx interval');
  const requiredMinEchoRxInterval = r.u32('required min echo rx interval');
  const base = {
    diagnostic: b0 & 0x1f,
    state,
    poll: (b1 & BFD_FLAG_POLL) !== 0,
    final: (b1 & BFD_FLAG_FINAL) !== 0,
    controlPlaneIndependent: (b1 & BFD_FLAG_CONTROL_PLANE_INDEPENDENT) !== 0,
    demand: (b1 & BFD_FLAG_DEMAND) !== 0,
    detectMultiplier,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxInterval,
    requiredMinRxInterval,
    requiredMinEchoRxInterval,
  };
  let packet: BfdControlPacket = base;
  if (hasAuth) packet = { ...base, auth: readAuth(r, length - BFD_CONTROL_LENGTH) };
  r.rest();
  return packet;
}

/** Decodes a UDP payload holding one Control packet. */
export function decodeBfdControl(payload: Uint8Array): BfdControlPacket {
  return readBfdControl(new Reader(payload, PROTOCOL));
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < min || v > max) invalid(field, `${v} is not an integer in ${min}..${max}`);
  return v;
}

function checkBytes(b: Uint8Array, min: number, max: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length < min || b.length > max) {
    invalid(field, `needs ${min === max ? min : `${min}..${max}`} octets, got ${String(b?.length)}`);
  }
  return b;
}

function authLength(auth: BfdAuth): number {
  switch (auth.type) {
    case 'simple-password':
      return 3 + auth.password.length;
    case 'keyed-md5':
    case 'meticulous-keyed-md5':
      return MD5_AUTH_LENGTH;
    case 'keyed-sha1':
    case 'meticulous-keyed-sha1':
      return SHA1_AUTH_LENGTH;
    case 'unknown':
      return 2 + auth.data.length;
    default:
      return invalid('auth type', `unknown auth value type ${String((auth as { type: unknown }).type)}`);
  }
}

/** The Length field (and encoded size) of a packet. */
export function bfdControlLength(v: BfdControlPacket): number {
  return v.auth === undefined ? BFD_CONTROL_LENGTH : BFD_CONTROL_LENGTH + authLength(v.auth);
}

function writeAuth(w: Writer, auth: BfdAuth): void {
  switch (auth.type) {
    case 'simple-password':
      checkBytes(auth.password, 1, 16, 'password');
      w.u8(BFD_AUTH_SIMPLE_PASSWORD).u8(3 + auth.password.length);
      w.u8(checkUint(auth.keyId, 0, 0xff, 'auth key id')).bytes(auth.password);
      return;
    case 'keyed-md5':
    case 'meticulous-keyed-md5':
    case 'keyed-sha1':
    case 'meticulous-keyed-sha1': {
      const md5 = auth.type === 'keyed-md5' || auth.type === 'meticulous-keyed-md5';
      const n = md5 ? MD5_DIGEST_LENGTH : SHA1_DIGEST_LENGTH;
      checkBytes(auth.digest, n, n, 'auth digest');
      w.u8(bfdAuthTypeCode(auth)).u8(md5 ? MD5_AUTH_LENGTH : SHA1_AUTH_LENGTH);
      w.u8(checkUint(auth.keyId, 0, 0xff, 'auth key id')).u8(0);
      w.u32(checkUint(auth.sequence, 0, 0xffffffff, 'sequence number')).bytes(auth.digest);
      return;
    }
    case 'unknown':
      checkUint(auth.code, 0, 0xff, 'auth type');
      // Codes 1..5 have their own values; as 'unknown' they would not decode back to this value.
      if (auth.code >= BFD_AUTH_SIMPLE_PASSWORD && auth.code <= BFD_AUTH_METICULOUS_KEYED_SHA1) {
        invalid('auth type', `auth type ${auth.code} (${bfdAuthTypeName(auth.code)}) has its own value type`);
      }
      checkBytes(auth.data, 0, MAX_AUTH_LENGTH - 2, 'auth data');
      w.u8(auth.code)
        .u8(2 + auth.data.length)
        .bytes(auth.data);
      return;
  }
}

/** Writes one Control packet (Length octets). Throws `malformed` for a value that breaks §6.8.6. */
export function writeBfdControl(w: Writer, v: BfdControlPacket): void {
  checkUint(v.diagnostic, 0, 0x1f, 'diagnostic');
  checkUint(v.state, 0, 3, 'state');
  checkUint(v.detectMultiplier, 1, 0xff, 'detect mult');
  checkUint(v.myDiscriminator, 1, 0xffffffff, 'my discriminator');
  checkUint(v.yourDiscriminator, 0, 0xffffffff, 'your discriminator');
  if (v.yourDiscriminator === 0 && v.state !== BFD_STATE_DOWN && v.state !== BFD_STATE_ADMIN_DOWN) {
    invalid('your discriminator', `your discriminator is zero in state ${bfdStateName(v.state)}`);
  }
  checkUint(v.desiredMinTxInterval, 0, 0xffffffff, 'desired min tx interval');
  checkUint(v.requiredMinRxInterval, 0, 0xffffffff, 'required min rx interval');
  checkUint(v.requiredMinEchoRxInterval, 0, 0xffffffff, 'required min echo rx interval');
  const length = bfdControlLength(v);
  const flags =
    (v.poll ? BFD_FLAG_POLL : 0) |
    (v.final ? BFD_FLAG_FINAL : 0) |
    (v.controlPlaneIndependent ? BFD_FLAG_CONTROL_PLANE_INDEPENDENT : 0) |
    (v.auth !== undefined ? BFD_FLAG_AUTHENTICATION_PRESENT : 0) |
    (v.demand ? BFD_FLAG_DEMAND : 0);
  w.u8((BFD_VERSION << 5) | v.diagnostic);
  w.u8((v.state << 6) | flags);
  w.u8(v.detectMultiplier).u8(length);
  w.u32(v.myDiscriminator).u32(v.yourDiscriminator);
  w.u32(v.desiredMinTxInterval).u32(v.requiredMinRxInterval).u32(v.requiredMinEchoRxInterval);
  if (v.auth !== undefined) writeAuth(w, v.auth);
}

export function encodeBfdControl(v: BfdControlPacket): Uint8Array {
  const w = new Writer(bfdControlLength(v));
  writeBfdControl(w, v);
  return w.finish();
}

/**
 * RFC 5880 §6.7.3 (MD5) and §6.7.4 (SHA1): the digest is computed over the whole packet, octets
 * [0, packetLength), with the digest field [digestOffset, digestOffset + digestLength) holding the
 * key zero-padded to digestLength. The session fills that field, hashes, and writes the result back.
 */
export interface BfdDigestLayout {
  readonly packetLength: number;
  readonly digestOffset: number;
  readonly digestLength: number;
}

/** Where the digest sits in `encodeBfdControl(v)`, or undefined without keyed MD5/SHA1 auth. */
export function bfdDigestLayout(v: BfdControlPacket): BfdDigestLayout | undefined {
  const auth = v.auth;
  if (auth === undefined) return undefined;
  switch (auth.type) {
    case 'keyed-md5':
    case 'meticulous-keyed-md5':
      return {
        packetLength: BFD_CONTROL_LENGTH + MD5_AUTH_LENGTH,
        digestOffset: BFD_AUTH_DIGEST_OFFSET,
        digestLength: MD5_DIGEST_LENGTH,
      };
    case 'keyed-sha1':
    case 'meticulous-keyed-sha1':
      return {
        packetLength: BFD_CONTROL_LENGTH + SHA1_AUTH_LENGTH,
        digestOffset: BFD_AUTH_DIGEST_OFFSET,
        digestLength: SHA1_DIGEST_LENGTH,
      };
    default:
      return undefined;
  }
}
