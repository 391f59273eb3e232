/**
 * BGP-4 messages (RFC 4271 §4): the 19-octet header, OPEN with its optional parameters and
 * capabilities (RFC 5492, RFC 9072), NOTIFICATION, KEEPALIVE, ROUTE-REFRESH (RFC 2918, RFC 7313),
 * and a stream framer that cuts a TCP byte stream into whole messages.
 *
 * Owns: the message types, AFI/SAFI, NOTIFICATION codes and subcodes, capability codes, the OPEN
 * checks a receiver makes without knowing its configuration (§6.1, §6.2). UPDATE bodies are
 * bgp-update.ts's (readUpdateBody/writeUpdateBody); this module only frames them.
 *
 * Guarantees:
 * - Decoding throws only `BgpWireError` (a `WireError`), carrying the NOTIFICATION to send and
 *   `handling: 'session-reset'`: header errors 1/1, 1/2, 1/3; OPEN errors 2/0 (malformed optional
 *   parameters or capabilities), 2/1, 2/2 (AS 0, RFC 7607), 2/3, 2/6; ROUTE-REFRESH 7/1
 *   (RFC 7313 §5); UPDATE errors as bgp-update.ts reports them.
 * - Unknown optional parameters and capabilities are kept byte-exact as `{ type: 'unknown' }`. An
 *   unknown optional parameter is NOT an error here: the session answers it with 2/4
 *   (OPEN_ERR_UNSUPPORTED_OPTIONAL_PARAMETER). A known capability whose value we cannot represent
 *   exactly but that its spec says to ignore (ADD-PATH with a Send/Receive value outside 1..3,
 *   RFC 7911 §4; an FQDN capability that is not two length-prefixed UTF-8 strings) is kept as
 *   unknown too; other known capabilities with a bad length are 2/0.
 * - Symmetry: decode(encode(v)) deep-equals v for every valid v; encode(decode(b)) equals b for
 *   canonical b. Not canonical (ignored on receipt, written as zero): the multiprotocol reserved
 *   octet (RFC 4760 §8) and the reserved bits of the graceful restart flags (RFC 4724 §3).
 *   ROUTE-REFRESH keeps any subtype (RFC 7313 §3.2: the session ignores subtypes other than 0..2).
 */
import { readIpv4, ipv4ToBytes, type Ipv4Address } from './addr.js';
import { Reader, StreamFramer, Writer } from './bytes.js';
import {
  AS_TRANS,
  readUpdateBody,
  writeUpdateBody,
  type BgpCodecOptions,
  type UpdateMessage,
} from './bgp-update.js';
import { BgpWireError, WireError } from './errors.js';
export * from './bgp-constants.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_EXTENDED_MAX_MESSAGE_LENGTH,
  BGP_MSG_OPEN,
  BGP_MSG_UPDATE,
  BGP_MSG_NOTIFICATION,
  BGP_MSG_KEEPALIVE,
  BGP_MSG_ROUTE_REFRESH,
  BGP_ERR_MESSAGE_HEADER,
  BGP_ERR_OPEN_MESSAGE,
  BGP_ERR_UPDATE_MESSAGE,
  BGP_ERR_ROUTE_REFRESH,
  HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
  HEADER_ERR_BAD_MESSAGE_LENGTH,
  HEADER_ERR_BAD_MESSAGE_TYPE,
  OPEN_ERR_UNSPECIFIC,
  OPEN_ERR_UNSUPPORTED_VERSION,
  OPEN_ERR_BAD_PEER_AS,
  OPEN_ERR_BAD_BGP_IDENTIFIER,
  OPEN_ERR_UNACCEPTABLE_HOLD_TIME,
  UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST,
  ROUTE_REFRESH_ERR_INVALID_MESSAGE_LENGTH,
  ROUTE_REFRESH_BORR,
  ROUTE_REFRESH_EORR,
  OPEN_PARAM_CAPABILITIES,
  OPEN_PARAM_EXTENDED_LENGTH,
  CAP_MULTIPROTOCOL,
  CAP_ROUTE_REFRESH,
  CAP_EXTENDED_MESSAGE,
  CAP_GRACEFUL_RESTART,
  CAP_FOUR_OCTET_AS,
  CAP_ADD_PATH,
  CAP_ENHANCED_ROUTE_REFRESH,
  CAP_FQDN,
} from './bgp-constants.js';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Session options that change how messages are framed and checked. */
export interface BgpMessageOptions extends BgpCodecOptions {
  /** RFC 8654: both sides advertised Extended Message; the maximum length is 65535 (not for OPEN). */
  readonly extendedMessage?: boolean;
}

export type Capability =
  /** RFC 4760 §8 (the reserved octet is written 0 and ignored on receipt). */
  | { readonly type: 'multiprotocol'; readonly afi: number; readonly safi: number }
  /** RFC 2918. */
  | { readonly type: 'route-refresh' }
  /** RFC 7313. */
  | { readonly type: 'enhanced-route-refresh' }
  /** RFC 8654. */
  | { readonly type: 'extended-message' }
  /** RFC 6793. */
  | { readonly type: 'four-octet-as'; readonly asn: number }
  /** RFC 4724, with the N bit of RFC 8538. */
  | {
      readonly type: 'graceful-restart';
      readonly restartState: boolean;
      readonly notification: boolean;
      /** Seconds, 0..4095. */
      readonly restartTime: number;
      readonly families: readonly { afi: number; safi: number; forwardingState: boolean }[];
    }
  /** RFC 7911. */
  | {
      readonly type: 'add-path';
      readonly families: readonly { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[];
    }
  /** draft-walton-bgp-hostname (FRR and GoBGP send it); UTF-8 strings. */
  | { readonly type: 'fqdn'; readonly hostname: string; readonly domain: string }
  | { readonly type: 'unknown'; readonly code: number; readonly data: Uint8Array };

export type OptionalParameter =
  /** RFC 5492: one parameter may hold many capabilities; the grouping is kept as received. */
  | { readonly type: 'capabilities'; readonly capabilities: readonly Capability[] }
  /** Kept by the decoder; the session answers it with NOTIFICATION 2/4. */
  | { readonly type: 'unknown'; readonly code: number; readonly data: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 16-bit My Autonomous System field (AS_TRANS when the real ASN needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  readonly bgpId: Ipv4Address;
  readonly optionalParameters: readonly OptionalParameter[];
  /** RFC 9072 extended optional parameters length encoding used; absent = classic encoding. */
  readonly extendedParameters?: true;
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 §3.2: 0 normal request, 1 BoRR, 2 EoRR (others are kept; the session ignores them). */
  readonly subtype: number;
}

export type BgpMessage =
  OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);
const PROTOCOL = 'bgp';

function bgpFail(
  kind: 'truncated' | 'malformed',
  field: string,
  offset: number,
  reason: string,
  code: number,
  subcode: number,
  data: Uint8Array = EMPTY,
): never {
  throw new BgpWireError({
    kind,
    protocol: PROTOCOL,
    field,
    offset,
    reason,
    notify: { code, subcode, data },
    handling: 'session-reset',
  });
}

function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

function badLength(field: string, offset: number, length: number, reason: string): never {
  bgpFail(
    'malformed',
    field,
    offset,
    reason,
    BGP_ERR_MESSAGE_HEADER,
    HEADER_ERR_BAD_MESSAGE_LENGTH,
    u16Bytes(length),
  );
}

function openFail(r: Reader, field: string, reason: string, offset: number = r.offset): never {
  bgpFail('malformed', field, offset, reason, BGP_ERR_OPEN_MESSAGE, OPEN_ERR_UNSPECIFIC);
}

function encodeFail(w: Writer, field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: w.offset, reason });
}

function checkUint(w: Writer, v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) encodeFail(w, field, `${v} is not an integer in 0..${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

/** The smallest valid length of each message type (RFC 4271 §4, RFC 2918 §3). */
function minLength(type: number): number {
  switch (type) {
    case BGP_MSG_OPEN:
      return 29;
    case BGP_MSG_UPDATE:
      return 23;
    case BGP_MSG_NOTIFICATION:
      return 21;
    case BGP_MSG_KEEPALIVE:
      return 19;
    default:
      return 23; // ROUTE-REFRESH
  }
}

/**
 * RFC 4271 §6.1 checks of a header whose 19 octets start at `at` in `buf` (caller checked they are
 * there): marker all ones (1/1), length within 19..max (1/2). Returns the length.
 */
function checkHeader(buf: Uint8Array, at: number, max: number): number {
  for (let i = at; i < at + 16; i++) {
    if (buf[i] !== 0xff) {
      bgpFail(
        'malformed',
        'header.marker',
        i,
        'marker is not all ones',
        BGP_ERR_MESSAGE_HEADER,
        HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
      );
    }
  }
  const length = (buf[at + 16]! << 8) | buf[at + 17]!;
  if (length < BGP_HEADER_LENGTH || length > max) {
    badLength('header.length', at + 16, length, `length ${length} is not in ${BGP_HEADER_LENGTH}..${max}`);
  }
  return length;
}

function maxLength(opts: { readonly extendedMessage?: boolean }): number {
  return opts.extendedMessage === true ? BGP_EXTENDED_MAX_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/**
 * RFC 4271 §4.1 message header, followed by the body of `Length - 19` octets:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                           Marker (16 octets, all ones)        +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Length               |      Type     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Reads one whole message from r.offset; throws BgpWireError 'truncated' if it is not all there.
 */
export function readBgpMessage(r: Reader, opts: BgpMessageOptions): BgpMessage {
  const start = r.offset;
  const avail = r.end - start;
  if (avail < BGP_HEADER_LENGTH) {
    // Check what we have of the marker first so garbage is reported as 1/1 even when short.
    for (let i = 0; i < avail && i < 16; i++) {
      if (r.buf[start + i] !== 0xff) {
        bgpFail(
          'malformed',
          'header.marker',
          start + i,
          'marker is not all ones',
          BGP_ERR_MESSAGE_HEADER,
          HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
        );
      }
    }
    const data = avail >= 18 ? r.buf.slice(start + 16, start + 18) : EMPTY;
    bgpFail(
      'truncated',
      'header',
      start,
      `needs ${BGP_HEADER_LENGTH} bytes, ${avail} left`,
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
      data,
    );
  }
  const length = checkHeader(r.buf, start, maxLength(opts));
  const type = r.buf[start + 18]!;
  if (type < BGP_MSG_OPEN || type > BGP_MSG_ROUTE_REFRESH) {
    bgpFail(
      'malformed',
      'header.type',
      start + 18,
      `unknown message type ${type}`,
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_TYPE,
      Uint8Array.of(type),
    );
  }
  // RFC 4271 §6.1: a length wrong for the type is Bad Message Length. RFC 8654 §4: OPEN and
  // KEEPALIVE never exceed 4096 octets.
  if (
    length < minLength(type) ||
    (type === BGP_MSG_KEEPALIVE && length !== BGP_HEADER_LENGTH) ||
    (type === BGP_MSG_OPEN && length > BGP_MAX_MESSAGE_LENGTH)
  ) {
    badLength(
      'header.length',
      start + 16,
      length,
      `length ${length} is invalid for ${messageTypeName(type)}`,
    );
  }
  if (length > avail) {
    bgpFail(
      'truncated',
      'header.length',
      start + 16,
      `message of ${length} octets but only ${avail} available`,
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
      u16Bytes(length),
    );
  }
  const body = new Reader(r.buf, r.protocol, start + BGP_HEADER_LENGTH, start + length);
  r.offset = start + length;
  try {
    switch (type) {
      case BGP_MSG_OPEN:
        return readOpenBody(body);
      case BGP_MSG_UPDATE:
        return readUpdateBody(body, opts);
      case BGP_MSG_NOTIFICATION:
        return readNotificationBody(body);
      case BGP_MSG_KEEPALIVE:
        return KEEPALIVE;
      default:
        return readRouteRefreshBody(body, start);
    }
  } catch (e) {
    if (e instanceof WireError && !(e instanceof BgpWireError)) {
      // Defensive: every length is checked before it is used, so this means a bug; the session
      // still needs a NOTIFICATION rather than a stray error.
      const code =
        type === BGP_MSG_UPDATE ? BGP_ERR_UPDATE_MESSAGE : type === BGP_MSG_OPEN ? BGP_ERR_OPEN_MESSAGE : 1;
      const subcode =
        type === BGP_MSG_UPDATE
          ? UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST
          : type === BGP_MSG_OPEN
            ? OPEN_ERR_UNSPECIFIC
            : HEADER_ERR_BAD_MESSAGE_LENGTH;
      bgpFail('malformed', e.field, e.offset, e.reason, code, subcode);
    }
    throw e;
  }
}

const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: 'keepalive' });

/** Decodes exactly one whole message, header included. */
export function decodeBgpMessage(buf: Uint8Array, opts: BgpMessageOptions): BgpMessage {
  const r = new Reader(buf, PROTOCOL);
  const m = readBgpMessage(r, opts);
  if (r.offset !== buf.length) {
    const length = buf.length >= 18 ? (buf[16]! << 8) | buf[17]! : 0;
    badLength(
      'header.length',
      16,
      length,
      `${buf.length - r.offset} octets follow the ${length}-octet message`,
    );
  }
  return m;
}

/**
 * RFC 4271 §4.2 OPEN body, with the RFC 9072 §2 extended optional parameters length:
 *
 *   +-+-+-+-+-+-+-+-+
 *   |    Version    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     My Autonomous System      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Hold Time           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         BGP Identifier                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Opt Parm Len  |  Optional Parameters (Parm. Type, Parm. Length, Parm. Value)...
 *   +-+-+-+-+-+-+-+-+
 *   RFC 9072: | 255 | 255 | Extended Opt. Parm. Length (2) | params with 2-octet Parm. Length ...
 */
function readOpenBody(r: Reader): OpenMessage {
  const version = r.u8('open.version');
  // RFC 4271 §6.2: data is the largest supported version number, as 2 octets.
  if (version !== 4) {
    bgpFail(
      'malformed',
      'open.version',
      r.offset - 1,
      `version ${version} is not 4`,
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_UNSUPPORTED_VERSION,
      u16Bytes(4),
    );
  }
  const myAs = r.u16('open.myAs');
  // RFC 7607 §2: AS 0 in an OPEN is Bad Peer AS.
  if (myAs === 0) {
    bgpFail(
      'malformed',
      'open.myAs',
      r.offset - 2,
      'AS 0',
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_BAD_PEER_AS,
      u16Bytes(0),
    );
  }
  const holdTime = r.u16('open.holdTime');
  // RFC 4271 §6.2: a Hold Time of one or two seconds MUST be rejected.
  if (holdTime === 1 || holdTime === 2) {
    bgpFail(
      'malformed',
      'open.holdTime',
      r.offset - 2,
      `hold time ${holdTime} s`,
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_UNACCEPTABLE_HOLD_TIME,
    );
  }
  const idAt = r.offset;
  const bgpId = readIpv4(r, 'open.bgpId');
  // RFC 6286 §2.2: the BGP Identifier is a non-zero 4-octet unsigned integer.
  if (bgpId === '0.0.0.0') {
    bgpFail(
      'malformed',
      'open.bgpId',
      idAt,
      'BGP Identifier 0.0.0.0',
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_BAD_BGP_IDENTIFIER,
    );
  }
  const lenAt = r.offset;
  let optLen = r.u8('open.optParmLen');
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 selects 2-octet lengths.
  const extended = optLen === 255 && r.remaining >= 1 && r.buf[r.offset] === OPEN_PARAM_EXTENDED_LENGTH;
  if (extended) {
    r.skip(1, 'open.nonExtOpType');
    if (r.remaining < 2) openFail(r, 'open.extOptParmLen', 'extended optional parameters length missing');
    optLen = r.u16('open.extOptParmLen');
  }
  if (optLen !== r.remaining) {
    openFail(
      r,
      'open.optParmLen',
      `optional parameters length ${optLen} but ${r.remaining} octets follow`,
      lenAt,
    );
  }
  const optionalParameters: OptionalParameter[] = [];
  const hdr = extended ? 3 : 2;
  while (r.remaining > 0) {
    const at = r.offset;
    if (r.remaining < hdr)
      openFail(r, 'open.param', `${r.remaining} octets left, parameter header needs ${hdr}`);
    const code = r.u8('open.param.type');
    const len = extended ? r.u16('open.param.length') : r.u8('open.param.length');
    if (len > r.remaining) openFail(r, 'open.param.length', `parameter length ${len} overruns the OPEN`, at);
    const v = r.sub(len, 'open.param.value');
    if (code === OPEN_PARAM_CAPABILITIES) {
      optionalParameters.push({ type: 'capabilities', capabilities: readCapabilities(v) });
    } else {
      optionalParameters.push({ type: 'unknown', code, data: v.copy(len, 'open.param.value') });
    }
  }
  const m: OpenMessage = { type: 'open', version, myAs, holdTime, bgpId, optionalParameters };
  return extended ? { ...m, extendedParameters: true } : m;
}

/**
 * RFC 5492 §4 capabilities inside one optional parameter:
 *
 *   +------------------------------+
 *   | Capability Code (1 octet)    |
 *   +------------------------------+
 *   | Capability Length (1 octet)  |
 *   +------------------------------+
 *   | Capability Value (variable)  |
 *   +------------------------------+
 */
function readCapabilities(r: Reader): Capability[] {
  const out: Capability[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    if (r.remaining < 2) openFail(r, 'capability', 'capability header truncated by its parameter');
    const code = r.u8('capability.code');
    const len = r.u8('capability.length');
    if (len > r.remaining)
      openFail(r, 'capability.length', `capability ${code} length ${len} overruns its parameter`, at);
    out.push(readCapability(r.sub(len, 'capability.value'), code, len, at));
  }
  return out;
}

function capLength(r: Reader, code: number, len: number, ok: boolean, at: number): void {
  if (!ok)
    openFail(r, 'capability.length', `capability ${capabilityCodeName(code)} has invalid length ${len}`, at);
}

function readCapability(v: Reader, code: number, len: number, at: number): Capability {
  switch (code) {
    case CAP_MULTIPROTOCOL: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      capLength(v, code, len, len === 4, at);
      const afi = v.u16('capability.multiprotocol.afi');
      v.skip(1, 'capability.multiprotocol.reserved');
      return { type: 'multiprotocol', afi, safi: v.u8('capability.multiprotocol.safi') };
    }
    case CAP_ROUTE_REFRESH:
      capLength(v, code, len, len === 0, at);
      return ROUTE_REFRESH_CAP;
    case CAP_ENHANCED_ROUTE_REFRESH:
      capLength(v, code, len, len === 0, at);
      return ENHANCED_ROUTE_REFRESH_CAP;
    case CAP_EXTENDED_MESSAGE:
      capLength(v, code, len, len === 0, at);
      return EXTENDED_MESSAGE_CAP;
    case CAP_FOUR_OCTET_AS: {
      capLength(v, code, len, len === 4, at);
      const asn = v.u32('capability.fourOctetAs.asn');
      // RFC 7607 §2: AS 0 is Bad Peer AS.
      if (asn === 0) {
        bgpFail(
          'malformed',
          'capability.fourOctetAs.asn',
          at + 2,
          'AS 0',
          BGP_ERR_OPEN_MESSAGE,
          OPEN_ERR_BAD_PEER_AS,
        );
      }
      return { type: 'four-octet-as', asn };
    }
    case CAP_GRACEFUL_RESTART: {
      // RFC 4724 §3: Restart Flags (4 bits: R, N (RFC 8538), 2 reserved), Restart Time (12 bits),
      // then per family AFI (2), SAFI (1), Flags (1: F bit).
      capLength(v, code, len, len >= 2 && (len - 2) % 4 === 0, at);
      const word = v.u16('capability.gracefulRestart.flags');
      const families: { afi: number; safi: number; forwardingState: boolean }[] = [];
      while (v.remaining > 0) {
        const afi = v.u16('capability.gracefulRestart.afi');
        const safi = v.u8('capability.gracefulRestart.safi');
        const flags = v.u8('capability.gracefulRestart.afiFlags');
        families.push({ afi, safi, forwardingState: (flags & 0x80) !== 0 });
      }
      return {
        type: 'graceful-restart',
        restartState: (word & 0x8000) !== 0,
        notification: (word & 0x4000) !== 0,
        restartTime: word & 0x0fff,
        families,
      };
    }
    case CAP_ADD_PATH: {
      // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1), repeated.
      capLength(v, code, len, len > 0 && len % 4 === 0, at);
      const families: { afi: number; safi: number; sendReceive: 1 | 2 | 3 }[] = [];
      while (v.remaining > 0) {
        const afi = v.u16('capability.addPath.afi');
        const safi = v.u8('capability.addPath.safi');
        const sr = v.u8('capability.addPath.sendReceive');
        // RFC 7911 §4: any other value: treat the capability as not understood (kept as unknown).
        if (sr !== 1 && sr !== 2 && sr !== 3) return unknownCap(v, code, len, at);
        families.push({ afi, safi, sendReceive: sr });
      }
      return { type: 'add-path', families };
    }
    case CAP_FQDN:
      return readFqdn(v, len, at) ?? unknownCap(v, code, len, at);
    default:
      return { type: 'unknown', code, data: v.buf.slice(at + 2, at + 2 + len) };
  }
}

function unknownCap(v: Reader, code: number, len: number, at: number): Capability {
  return { type: 'unknown', code, data: v.buf.slice(at + 2, at + 2 + len) };
}

const ROUTE_REFRESH_CAP: Capability = Object.freeze({ type: 'route-refresh' });
const ENHANCED_ROUTE_REFRESH_CAP: Capability = Object.freeze({ type: 'enhanced-route-refresh' });
const EXTENDED_MESSAGE_CAP: Capability = Object.freeze({ type: 'extended-message' });

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/** draft-walton-bgp-hostname §3: Hostname Length (1), Hostname, Domain Length (1), Domain. */
function readFqdn(v: Reader, len: number, at: number): Capability | undefined {
  const b = v.buf;
  const s = at + 2;
  if (len < 2) return undefined;
  const hl = b[s]!;
  if (1 + hl + 1 > len) return undefined;
  const dl = b[s + 1 + hl]!;
  if (2 + hl + dl !== len) return undefined;
  try {
    const hostname = UTF8.decode(b.subarray(s + 1, s + 1 + hl));
    const domain = UTF8.decode(b.subarray(s + 2 + hl, s + 2 + hl + dl));
    return { type: 'fqdn', hostname, domain };
  } catch {
    return undefined;
  }
}

/** RFC 4271 §4.5: Error code (1), Error subcode (1), Data (the rest). */
function readNotificationBody(r: Reader): NotificationMessage {
  const code = r.u8('notification.code');
  const subcode = r.u8('notification.subcode');
  return { type: 'notification', code, subcode, data: r.copy(r.remaining, 'notification.data') };
}

/**
 * RFC 2918 §3 / RFC 7313 §3.2 ROUTE-REFRESH body:
 *
 *   0       7      15      23      31
 *   +-------+-------+-------+-------+
 *   |      AFI      | Subtype | SAFI |
 *   +-------+-------+-------+-------+
 */
function readRouteRefreshBody(r: Reader, start: number): RouteRefreshMessage {
  const afi = r.u16('routeRefresh.afi');
  const subtype = r.u8('routeRefresh.subtype');
  const safi = r.u8('routeRefresh.safi');
  if (r.remaining > 0) {
    const length = r.end - start;
    // RFC 7313 §5: a BoRR/EoRR of the wrong length is 7/1 with the whole message as data.
    if (subtype === ROUTE_REFRESH_BORR || subtype === ROUTE_REFRESH_EORR) {
      bgpFail(
        'malformed',
        'routeRefresh.length',
        start + 16,
        `${length}-octet ROUTE-REFRESH subtype ${subtype}`,
        BGP_ERR_ROUTE_REFRESH,
        ROUTE_REFRESH_ERR_INVALID_MESSAGE_LENGTH,
        r.buf.slice(start, r.end),
      );
    }
    // ORF entries (RFC 5291) are never negotiated by twinleaf: any other length is 1/2.
    badLength(
      'header.length',
      start + 16,
      length,
      `ROUTE-REFRESH of ${length} octets (ORF is not supported)`,
    );
  }
  return { type: 'route-refresh', afi, safi, subtype };
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * Writes one whole message (header included) at w.offset. Throws WireError 'malformed' when a
 * field does not fit or the message exceeds the maximum length (4096 for OPEN; 65535 for the
 * others when `opts.extendedMessage`).
 */
export function writeBgpMessage(w: Writer, m: BgpMessage, opts: BgpMessageOptions): void {
  const start = w.offset;
  for (let i = 0; i < 4; i++) w.u32(0xffffffff);
  const lenAt = w.reserve(2);
  switch (m.type) {
    case 'open':
      w.u8(BGP_MSG_OPEN);
      writeOpenBody(w, m);
      break;
    case 'update':
      w.u8(BGP_MSG_UPDATE);
      writeUpdateBody(w, m, opts);
      break;
    case 'notification':
      w.u8(BGP_MSG_NOTIFICATION);
      w.u8(checkUint(w, m.code, 0xff, 'notification.code'));
      w.u8(checkUint(w, m.subcode, 0xff, 'notification.subcode'));
      w.bytes(m.data);
      break;
    case 'keepalive':
      w.u8(BGP_MSG_KEEPALIVE);
      break;
    case 'route-refresh':
      w.u8(BGP_MSG_ROUTE_REFRESH);
      w.u16(checkUint(w, m.afi, 0xffff, 'routeRefresh.afi'));
      w.u8(checkUint(w, m.subtype, 0xff, 'routeRefresh.subtype'));
      w.u8(checkUint(w, m.safi, 0xff, 'routeRefresh.safi'));
      break;
    default:
      encodeFail(w, 'type', `unknown message type ${(m as { type: unknown }).type as string}`);
  }
  const length = w.offset - start;
  const max = m.type === 'open' ? BGP_MAX_MESSAGE_LENGTH : maxLength(opts);
  if (length > max) encodeFail(w, 'length', `${m.type} message of ${length} octets exceeds ${max}`);
  w.patchU16(lenAt, length);
}

/** Encodes one whole message, header included. */
export function encodeBgpMessage(m: BgpMessage, opts: BgpMessageOptions): Uint8Array {
  const w = new Writer(m.type === 'update' ? 512 : 64);
  writeBgpMessage(w, m, opts);
  return w.finish();
}

function writeOpenBody(w: Writer, m: OpenMessage): void {
  w.u8(checkUint(w, m.version, 0xff, 'open.version'));
  w.u16(checkUint(w, m.myAs, 0xffff, 'open.myAs'));
  w.u16(checkUint(w, m.holdTime, 0xffff, 'open.holdTime'));
  w.bytes(ipv4ToBytes(m.bgpId));
  const extended = m.extendedParameters === true;
  let lenAt: number;
  if (extended) {
    w.u8(255).u8(OPEN_PARAM_EXTENDED_LENGTH);
    lenAt = w.reserve(2);
  } else {
    lenAt = w.reserve(1);
  }
  const paramsStart = w.offset;
  const maxParam = extended ? 0xffff : 0xff;
  for (const p of m.optionalParameters) {
    const code =
      p.type === 'capabilities' ? OPEN_PARAM_CAPABILITIES : checkUint(w, p.code, 0xff, 'open.param.type');
    w.u8(code);
    const at = extended ? w.reserve(2) : w.reserve(1);
    if (p.type === 'capabilities') {
      for (const c of p.capabilities) writeCapability(w, c);
    } else {
      w.bytes(p.data);
    }
    const len = w.offset - at - (extended ? 2 : 1);
    if (len > maxParam) encodeFail(w, 'open.param.length', `parameter of ${len} octets exceeds ${maxParam}`);
    if (extended) w.patchU16(at, len);
    else w.patchU8(at, len);
  }
  const optLen = w.offset - paramsStart;
  if (extended) {
    if (optLen > 0xffff)
      encodeFail(w, 'open.extOptParmLen', `optional parameters of ${optLen} octets exceed 65535`);
    w.patchU16(lenAt, optLen);
  } else {
    if (optLen > 0xff) {
      encodeFail(
        w,
        'open.optParmLen',
        `optional parameters of ${optLen} octets exceed 255 (use extendedParameters)`,
      );
    }
    // RFC 9072 §2: 255 followed by parameter type 255 would read as the extended encoding.
    if (optLen === 255 && w.view(paramsStart, paramsStart + 1)[0] === OPEN_PARAM_EXTENDED_LENGTH) {
      encodeFail(w, 'open.param.type', 'parameter type 255 first in 255 octets reads as RFC 9072 encoding');
    }
    w.patchU8(lenAt, optLen);
  }
}

function writeCapability(w: Writer, c: Capability): void {
  const start = w.offset;
  w.u8(c.type === 'unknown' ? checkUint(w, c.code, 0xff, 'capability.code') : capabilityCode(c));
  const lenAt = w.reserve(1);
  switch (c.type) {
    case 'multiprotocol':
      w.u16(checkUint(w, c.afi, 0xffff, 'capability.multiprotocol.afi'));
      w.u8(0);
      w.u8(checkUint(w, c.safi, 0xff, 'capability.multiprotocol.safi'));
      break;
    case 'route-refresh':
    case 'enhanced-route-refresh':
    case 'extended-message':
      break;
    case 'four-octet-as':
      w.u32(checkUint(w, c.asn, 0xffffffff, 'capability.fourOctetAs.asn'));
      break;
    case 'graceful-restart':
      w.u16(
        (c.restartState ? 0x8000 : 0) |
          (c.notification ? 0x4000 : 0) |
          checkUint(w, c.restartTime, 0x0fff, 'capability.gracefulRestart.restartTime'),
      );
      for (const f of c.families) {
        w.u16(checkUint(w, f.afi, 0xffff, 'capability.gracefulRestart.afi'));
        w.u8(checkUint(w, f.safi, 0xff, 'capability.gracefulRestart.safi'));
        w.u8(f.forwardingState ? 0x80 : 0);
      }
      break;
    case 'add-path':
      if (c.families.length === 0) encodeFail(w, 'capability.addPath', 'no families');
      for (const f of c.families) {
        w.u16(checkUint(w, f.afi, 0xffff, 'capability.addPath.afi'));
        w.u8(checkUint(w, f.safi, 0xff, 'capability.addPath.safi'));
        if (f.sendReceive !== 1 && f.sendReceive !== 2 && f.sendReceive !== 3) {
          encodeFail(w, 'capability.addPath.sendReceive', `${String(f.sendReceive)} is not 1, 2 or 3`);
        }
        w.u8(f.sendReceive);
      }
      break;
    case 'fqdn': {
      const h = UTF8_ENCODER.encode(c.hostname);
      const d = UTF8_ENCODER.encode(c.domain);
      if (h.length > 0xff) encodeFail(w, 'capability.fqdn.hostname', `${h.length} octets exceed 255`);
      w.u8(h.length).bytes(h);
      if (d.length > 0xff) encodeFail(w, 'capability.fqdn.domain', `${d.length} octets exceed 255`);
      w.u8(d.length).bytes(d);
      break;
    }
    case 'unknown':
      w.bytes(c.data);
      break;
  }
  const len = w.offset - start - 2;
  if (len > 0xff)
    encodeFail(w, 'capability.length', `capability ${capabilityName(c)} of ${len} octets exceeds 255`);
  w.patchU8(lenAt, len);
}

function capabilityCode(c: Exclude<Capability, { type: 'unknown' }>): number {
  switch (c.type) {
    case 'multiprotocol':
      return CAP_MULTIPROTOCOL;
    case 'route-refresh':
      return CAP_ROUTE_REFRESH;
    case 'enhanced-route-refresh':
      return CAP_ENHANCED_ROUTE_REFRESH;
    case 'extended-message':
      return CAP_EXTENDED_MESSAGE;
    case 'four-octet-as':
      return CAP_FOUR_OCTET_AS;
    case 'graceful-restart':
      return CAP_GRACEFUL_RESTART;
    case 'add-path':
      return CAP_ADD_PATH;
    case 'fqdn':
      return CAP_FQDN;
  }
}

// ---------------------------------------------------------------------------------------------
// Stream framing
// ---------------------------------------------------------------------------------------------

/**
 * Splits a TCP byte stream into whole messages. Validates marker and length as soon as the 19-byte
 * header is in (throws BgpWireError 1/1 or 1/2 early, before buffering a bogus length), so it never
 * holds more than one maximum-size message. Messages wholly inside one chunk are returned as
 * zero-copy views of it (the caller must not reuse the chunk's memory while it uses them); only a
 * message that spans chunks is copied. After a throw the decoder is unusable (every push throws
 * the same error): the session must close the connection.
 */
export class BgpFrameDecoder extends StreamFramer {
  /** RFC 8654: set once both sides advertised the Extended Message capability. */
  extendedMessage: boolean;
  /** The partial message (header first, then sized to its length once the header is checked). */
  private partial: Uint8Array = new Uint8Array(BGP_HEADER_LENGTH);

  constructor(opts: { extendedMessage: boolean }) {
    super();
    this.extendedMessage = opts.extendedMessage;
  }

  protected split(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.extendedMessage ? BGP_EXTENDED_MAX_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
    let o = 0;
    const n = chunk.length;
    // Finish a message started in an earlier chunk.
    if (this.have > 0) {
      if (this.have < BGP_HEADER_LENGTH) {
        const take = Math.min(BGP_HEADER_LENGTH - this.have, n);
        this.partial.set(chunk.subarray(0, take), this.have);
        this.have += take;
        o = take;
        if (this.have < BGP_HEADER_LENGTH) {
          this.checkPartialMarker();
          return out;
        }
        const length = checkHeader(this.partial, 0, max);
        const msg = new Uint8Array(length);
        msg.set(this.partial.subarray(0, BGP_HEADER_LENGTH));
        this.partial = msg;
      }
      const length = this.partial.length;
      const take = Math.min(length - this.have, n - o);
      this.partial.set(chunk.subarray(o, o + take), this.have);
      this.have += take;
      o += take;
      if (this.have < length) return out;
      out.push(this.partial);
      this.partial = new Uint8Array(BGP_HEADER_LENGTH);
      this.have = 0;
    }
    // Whole messages inside this chunk: zero-copy views.
    while (n - o >= BGP_HEADER_LENGTH) {
      const length = checkHeader(chunk, o, max);
      if (n - o < length) break;
      out.push(chunk.subarray(o, o + length));
      o += length;
    }
    // Keep the tail.
    const rest = n - o;
    if (rest > 0) {
      if (rest >= BGP_HEADER_LENGTH) {
        const length = checkHeader(chunk, o, max);
        this.partial = new Uint8Array(length);
      }
      this.partial.set(chunk.subarray(o, n), 0);
      this.have = rest;
      if (rest < BGP_HEADER_LENGTH) this.checkPartialMarker();
    }
    return out;
  }

  /** Fails early on a marker that is already wrong in a partial header. */
  private checkPartialMarker(): void {
    const end = Math.min(this.have, 16);
    for (let i = 0; i < end; i++) {
      if (this.partial[i] !== 0xff) {
        bgpFail(
          'malformed',
          'header.marker',
          i,
          'marker is not all ones',
          BGP_ERR_MESSAGE_HEADER,
          HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Queries and names
// ---------------------------------------------------------------------------------------------

/** The peer's AS: the 4-octet AS capability value if present (RFC 6793 §4.1), else My AS. */
export function openAsn(open: OpenMessage): number {
  for (const p of open.optionalParameters) {
    if (p.type !== 'capabilities') continue;
    for (const c of p.capabilities) if (c.type === 'four-octet-as') return c.asn;
  }
  return open.myAs;
}

/** Every capability of the OPEN, flattened over all capability parameters, in order. */
export function openCapabilities(open: OpenMessage): Capability[] {
  const out: Capability[] = [];
  for (const p of open.optionalParameters) if (p.type === 'capabilities') out.push(...p.capabilities);
  return out;
}

const MESSAGE_TYPE_NAMES: readonly string[] = [
  '',
  'OPEN',
  'UPDATE',
  'NOTIFICATION',
  'KEEPALIVE',
  'ROUTE-REFRESH',
];

/** `OPEN`, `UPDATE`, ..., `type 9`. */
export function messageTypeName(type: number): string {
  return (type >= 1 && type <= 5 ? MESSAGE_TYPE_NAMES[type] : undefined) ?? `type ${type}`;
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const SUBCODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

/**
 * `Cease/Maximum Number of Prefixes Reached`, `Hold Timer Expired` (subcode 0: the code alone),
 * `Cease/subcode 42`, `code 9/subcode 3`.
 */
export function notificationName(code: number, subcode: number): string {
  const c = CODE_NAMES[code];
  if (c === undefined) return `code ${code}/subcode ${subcode}`;
  if (subcode === 0) return c;
  return `${c}/${SUBCODE_NAMES[code]?.[subcode] ?? `subcode ${subcode}`}`;
}

function capabilityCodeName(code: number): string {
  return CAPABILITY_NAMES[code] ?? `capability ${code}`;
}

const CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  1: 'multiprotocol',
  2: 'route-refresh',
  5: 'extended-next-hop',
  6: 'extended-message',
  9: 'bgp-role',
  64: 'graceful-restart',
  65: 'four-octet-as',
  69: 'add-path',
  70: 'enhanced-route-refresh',
  71: 'long-lived-graceful-restart',
  73: 'fqdn',
  128: 'route-refresh-cisco',
};

/** `multiprotocol ipv4-unicast`, `four-octet-as 4200000001`, `fqdn leaf1.lab`, `capability 128`. */
export function capabilityName(c: Capability): string {
  switch (c.type) {
    case 'multiprotocol':
      return `multiprotocol ${afiSafiName(c.afi, c.safi)}`;
    case 'four-octet-as':
      return `four-octet-as ${c.asn}`;
    case 'graceful-restart':
      return `graceful-restart ${c.restartTime}s`;
    case 'add-path':
      return `add-path ${c.families.map((f) => afiSafiName(f.afi, f.safi)).join(',')}`;
    case 'fqdn':
      return `fqdn ${c.domain === '' ? c.hostname : `${c.hostname}.${c.domain}`}`;
    case 'unknown':
      return capabilityCodeName(c.code);
    default:
      return c.type;
  }
}

const AFI_NAMES: Readonly<Record<number, string>> = { 1: 'ipv4', 2: 'ipv6', 25: 'l2vpn' };
const SAFI_NAMES: Readonly<Record<number, string>> = {
  1: 'unicast',
  2: 'multicast',
  4: 'labeled-unicast',
  65: 'vpls',
  70: 'evpn',
  128: 'vpn',
  133: 'flowspec',
};

/** `ipv4-unicast`, `l2vpn-evpn`, `afi 3/safi 5` (either unknown). */
export function afiSafiName(afi: number, safi: number): string {
  const a = AFI_NAMES[afi];
  const s = SAFI_NAMES[safi];
  return a !== undefined && s !== undefined ? `${a}-${s}` : `afi ${afi}/safi ${safi}`;
}

/** Re-exported for OPEN builders: the My AS value for a 4-octet ASN (RFC 6793 §4.2.3). */
export function openMyAs(asn: number): number {
  return asn > 0xffff ? AS_TRANS : asn;
}
