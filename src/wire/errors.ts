/**
 * Errors raised by the wire layer.
 *
 * Every decoder in `src/wire` reports bad input by throwing a `WireError` that names the protocol,
 * the field and the byte offset where decoding stopped; it never lets a RangeError or TypeError
 * escape. Callers catch it at one boundary per input (a BGP session turns it into a NOTIFICATION
 * or a treat-as-withdraw, a port into a drop counter).
 */

export type WireErrorKind =
  /** The buffer ended before the field did (more bytes might make it valid). */
  | 'truncated'
  /** The bytes are there but break a rule of the protocol. */
  | 'malformed'
  /** Well-formed but a version/type/option we do not implement. */
  | 'unsupported'
  /** A checksum did not verify. */
  | 'checksum';

export interface WireErrorInit {
  readonly kind: WireErrorKind;
  readonly protocol: string;
  readonly field: string;
  readonly offset: number;
  readonly reason: string;
}

export class WireError extends Error {
  readonly kind: WireErrorKind;
  readonly protocol: string;
  readonly field: string;
  readonly offset: number;
  readonly reason: string;
  /** Stable machine-readable code, e.g. `WIRE_TRUNCATED`. */
  readonly code: string;

  constructor(init: WireErrorInit) {
    super(`${init.protocol}: ${init.kind} ${init.field} at offset ${init.offset}: ${init.reason}`);
    this.name = 'WireError';
    this.kind = init.kind;
    this.protocol = init.protocol;
    this.field = init.field;
    this.offset = init.offset;
    this.reason = init.reason;
    this.code = `WIRE_${init.kind.toUpperCase()}`;
  }
}

/**
 * RFC 7606 §2: how a BGP speaker must react to an error found in an UPDATE.
 * Ordered from least to most severe; when several errors occur the most severe one applies (§3).
 */
export type BgpErrorHandling =
  'attribute-discard' | 'treat-as-withdraw' | 'afi-safi-disable' | 'session-reset';

export const BGP_ERROR_HANDLING_SEVERITY: Readonly<Record<BgpErrorHandling, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afi-safi-disable': 2,
  'session-reset': 3,
};

/** The NOTIFICATION a session-reset error maps onto (RFC 4271 §4.5, §6). */
export interface BgpNotifyData {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/**
 * A BGP decoding error: a WireError that also carries the NOTIFICATION to send (for
 * session-reset) and the RFC 7606 handling to apply.
 */
export class BgpWireError extends WireError {
  readonly notify: BgpNotifyData;
  readonly handling: BgpErrorHandling;

  constructor(init: WireErrorInit & { notify: BgpNotifyData; handling: BgpErrorHandling }) {
    super(init);
    this.name = 'BgpWireError';
    this.notify = init.notify;
    this.handling = init.handling;
  }
}
