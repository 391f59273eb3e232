/**
 * STUB — being implemented. Contract used by bgp-message.ts:
 * UPDATE body (RFC 4271 §4.3), path attributes, RFC 7606 error classification.
 */
import type { Reader, Writer } from './bytes.js';
import type { Ipv4Address } from './addr.js';

/** Options negotiated on a session that change how UPDATEs are encoded. */
export interface BgpCodecOptions {
  /** RFC 6793: both sides advertised the 4-octet AS capability (AS_PATH carries 4-byte ASNs). */
  readonly fourOctetAs: boolean;
}

export interface Ipv4Prefix {
  readonly prefix: Ipv4Address;
  readonly length: number;
}

export type PathAttribute = { readonly code: number };

export interface AttributeError {
  readonly code: number;
}

export interface UpdateMessage {
  readonly type: 'update';
  readonly withdrawn: readonly Ipv4Prefix[];
  readonly attributes: readonly PathAttribute[];
  readonly nlri: readonly Ipv4Prefix[];
  /** Present only on decode, when RFC 7606 errors were found and handled without a reset. */
  readonly errors?: readonly AttributeError[];
}

export function readUpdateBody(_r: Reader, _opts: BgpCodecOptions): UpdateMessage {
  throw new Error('not implemented');
}

export function writeUpdateBody(_w: Writer, _m: UpdateMessage, _opts: BgpCodecOptions): void {
  throw new Error('not implemented');
}
