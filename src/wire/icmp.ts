/**
 * ICMP for IPv4 (RFC 792): Echo and Echo Reply decoded, every other message kept as-is.
 *
 * Owns the whole ICMP message (the IPv4 payload). Echo (type 8) and Echo Reply (type 0) with code
 * 0 decode to `{ kind, id, seq, data }`; any other type/code (Destination Unreachable, Time
 * Exceeded, an echo with a non-zero code, ...) is `{ kind: 'other', type, code, rest }` where `rest`
 * is everything after the checksum, so it re-encodes byte-exact.
 *
 * Guarantees: the checksum (RFC 792, over the whole message) is computed on encode and verified on
 * decode (`checksum` kind). An echo shorter than 8 octets is `truncated`. For every input b that
 * decodes (and whose checksum is not the 0xffff spelling of a computed zero) encode(decode(b)) = b;
 * decode(encode(v)) deep-equals v for every valid value. `data`/`rest` are zero-copy views.
 */
import { internetChecksum, Reader } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'icmp';

// IANA "ICMP Type Numbers".
export const ICMP_TYPE_ECHO_REPLY = 0;
export const ICMP_TYPE_DESTINATION_UNREACHABLE = 3;
export const ICMP_TYPE_REDIRECT = 5;
export const ICMP_TYPE_ECHO_REQUEST = 8;
export const ICMP_TYPE_TIME_EXCEEDED = 11;
/** RFC 792: Destination Unreachable code 4 "fragmentation needed and DF set" (RFC 1191 PMTUD). */
export const ICMP_CODE_FRAGMENTATION_NEEDED = 4;

export interface IcmpEcho {
  readonly kind: 'echo-request' | 'echo-reply';
  /** Identifier, 0..65535. */
  readonly id: number;
  /** Sequence Number, 0..65535. */
  readonly seq: number;
  readonly data: Uint8Array;
}

/** Any message other than an Echo / Echo Reply with code 0. */
export interface IcmpOther {
  readonly kind: 'other';
  readonly type: number;
  readonly code: number;
  /** Every octet after the checksum (for errors: unused/pointer/MTU word + the original header). */
  readonly rest: Uint8Array;
}

export type IcmpMessage = IcmpEcho | IcmpOther;

/*
 * RFC 792: Echo or Echo Reply Message
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   |           Identifier          |        Sequence Number        |
 *   |     Data ...
 *   +-+-+-+-+-
 * Every other message shares the first word (type, code, checksum).
 */

export function decodeIcmp(buf: Uint8Array): IcmpMessage {
  const r = new Reader(buf, PROTOCOL);
  r.need(4, 'header');
  const type = r.u8('type');
  const code = r.u8('code');
  r.skip(2, 'checksum');
  if (internetChecksum(buf) !== 0) r.fail('checksum', 'checksum', 'checksum does not verify', 2);
  if (code === 0 && (type === ICMP_TYPE_ECHO_REQUEST || type === ICMP_TYPE_ECHO_REPLY)) {
    const id = r.u16('id');
    const seq = r.u16('seq');
    return { kind: type === ICMP_TYPE_ECHO_REQUEST ? 'echo-request' : 'echo-reply', id, seq, data: r.rest() };
  }
  return { kind: 'other', type, code, rest: r.rest() };
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(field, `${v} is not an integer in 0..${max}`);
  return v;
}

export function icmpLength(v: IcmpMessage): number {
  switch (v.kind) {
    case 'echo-request':
    case 'echo-reply':
      return 8 + v.data.length;
    case 'other':
      return 4 + v.rest.length;
    default:
      return invalid('kind', `unknown ICMP message kind ${String((v as { kind: unknown }).kind)}`);
  }
}

/** Writes the message at `offset` (the caller has sized `out` with `icmpLength`); returns the offset after it. */
export function emitIcmp(v: IcmpMessage, out: Uint8Array, offset: number): number {
  const o = offset;
  let end: number;
  switch (v.kind) {
    case 'echo-request':
    case 'echo-reply': {
      const id = checkUint(v.id, 0xffff, 'id');
      const seq = checkUint(v.seq, 0xffff, 'seq');
      out[o] = v.kind === 'echo-request' ? ICMP_TYPE_ECHO_REQUEST : ICMP_TYPE_ECHO_REPLY;
      out[o + 1] = 0;
      out[o + 4] = id >>> 8;
      out[o + 5] = id & 0xff;
      out[o + 6] = seq >>> 8;
      out[o + 7] = seq & 0xff;
      out.set(v.data, o + 8);
      end = o + 8 + v.data.length;
      break;
    }
    case 'other': {
      const type = checkUint(v.type, 0xff, 'type');
      const code = checkUint(v.code, 0xff, 'code');
      if (code === 0 && (type === ICMP_TYPE_ECHO_REQUEST || type === ICMP_TYPE_ECHO_REPLY)) {
        invalid('type', `type ${type} code 0 is an echo; use an 'echo-request'/'echo-reply' value`);
      }
      out[o] = type;
      out[o + 1] = code;
      out.set(v.rest, o + 4);
      end = o + 4 + v.rest.length;
      break;
    }
    default:
      return invalid('kind', `unknown ICMP message kind ${String((v as { kind: unknown }).kind)}`);
  }
  out[o + 2] = 0;
  out[o + 3] = 0;
  const c = internetChecksum(out, o, end);
  out[o + 2] = c >>> 8;
  out[o + 3] = c & 0xff;
  return end;
}

export function encodeIcmp(v: IcmpMessage): Uint8Array {
  const out = new Uint8Array(icmpLength(v));
  emitIcmp(v, out, 0);
  return out;
}
