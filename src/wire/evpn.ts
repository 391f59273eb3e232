/**
 * STUB — being implemented. Contract used by bgp-update.ts (MP_REACH/MP_UNREACH for AFI 25 / SAFI 70):
 * EVPN NLRI (RFC 7432 §7, RFC 9136), Route Distinguishers, ESIs.
 */
import type { Reader, Writer } from './bytes.js';

export type EvpnRoute = { readonly routeType: number };

/** Reads one EVPN NLRI (route type, length, body) starting at r.offset. */
export function readEvpnNlri(_r: Reader): EvpnRoute {
  throw new Error('not implemented');
}

/** Writes one EVPN NLRI (route type, length, body). */
export function writeEvpnNlri(_w: Writer, _route: EvpnRoute): void {
  throw new Error('not implemented');
}
