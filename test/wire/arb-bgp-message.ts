/**
 * fast-check arbitraries for BGP messages (bgp-message.ts). Every value they produce is valid and
 * canonical, so decode(encode(v)) deep-equals v: OPENs with every capability type (unknown ones
 * included), unknown optional parameters, classic and RFC 9072 extended parameter encodings;
 * NOTIFICATIONs, KEEPALIVEs, ROUTE-REFRESHes (all RFC 7313 subtypes), and UPDATEs from
 * arb-bgp-update.ts, some large enough to need the RFC 8654 extended message length.
 */
import fc from 'fast-check';
import type { Ipv4Address } from '../../src/wire/addr.js';
import { ipv4FromBytes } from '../../src/wire/addr.js';
import {
  CAP_ADD_PATH,
  CAP_ENHANCED_ROUTE_REFRESH,
  CAP_EXTENDED_MESSAGE,
  CAP_FOUR_OCTET_AS,
  CAP_FQDN,
  CAP_GRACEFUL_RESTART,
  CAP_MULTIPROTOCOL,
  CAP_ROUTE_REFRESH,
  OPEN_PARAM_CAPABILITIES,
  OPEN_PARAM_EXTENDED_LENGTH,
  type BgpMessage,
  type BgpMessageOptions,
  type Capability,
  type KeepaliveMessage,
  type NotificationMessage,
  type OpenMessage,
  type OptionalParameter,
  type RouteRefreshMessage,
} from '../../src/wire/bgp-message.js';
import type { Ipv4Prefix, UpdateMessage } from '../../src/wire/bgp-update.js';
import type { EvpnRoute } from '../../src/wire/evpn.js';
import { arbUpdateMessage } from './arb-bgp-update.js';

function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const KNOWN_CAPS = new Set([
  CAP_MULTIPROTOCOL,
  CAP_ROUTE_REFRESH,
  CAP_EXTENDED_MESSAGE,
  CAP_GRACEFUL_RESTART,
  CAP_FOUR_OCTET_AS,
  CAP_ADD_PATH,
  CAP_ENHANCED_ROUTE_REFRESH,
  CAP_FQDN,
]);

const afi = fc.oneof(fc.constantFrom(1, 2, 25), fc.integer({ min: 0, max: 0xffff }));
const safi = fc.oneof(fc.constantFrom(1, 2, 70, 128), fc.integer({ min: 0, max: 0xff }));

/** A BGP Identifier: any non-zero IPv4 address. */
export const arbBgpId: fc.Arbitrary<Ipv4Address> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .filter((b) => b.some((x) => x !== 0))
  .map((b) => ipv4FromBytes(b));

/** Printable hostname/domain text, ASCII and some UTF-8, at most `max` UTF-8 octets. */
function arbLabelText(max: number): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,40}$/),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constant(''),
    )
    .filter((s) => {
      // Well-formed UTF-16 only (a lone surrogate does not survive UTF-8), and short enough.
      const b = new TextEncoder().encode(s);
      return b.length <= max && new TextDecoder().decode(b) === s;
    });
}

/** Every capability variant, including unknown codes with arbitrary values. */
export const arbCapability: fc.Arbitrary<Capability> = fc.oneof(
  rec({ type: fc.constant('multiprotocol' as const), afi, safi }),
  fc.constant<Capability>({ type: 'route-refresh' }),
  fc.constant<Capability>({ type: 'enhanced-route-refresh' }),
  fc.constant<Capability>({ type: 'extended-message' }),
  rec({ type: fc.constant('four-octet-as' as const), asn: fc.integer({ min: 1, max: 0xffffffff }) }),
  rec({
    type: fc.constant('graceful-restart' as const),
    restartState: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 0x0fff }),
    families: fc.array(rec({ afi, safi, forwardingState: fc.boolean() }), { maxLength: 8 }),
  }),
  rec({
    type: fc.constant('add-path' as const),
    families: fc.array(rec({ afi, safi, sendReceive: fc.constantFrom(1 as const, 2 as const, 3 as const) }), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc
    .tuple(arbLabelText(120), arbLabelText(120))
    .map(([hostname, domain]): Capability => ({ type: 'fqdn', hostname, domain })),
  rec({
    type: fc.constant('unknown' as const),
    code: fc.integer({ min: 0, max: 255 }).filter((c) => !KNOWN_CAPS.has(c)),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);

const arbCapabilitiesParam: fc.Arbitrary<OptionalParameter> = fc
  .array(arbCapability, { maxLength: 6 })
  .map((capabilities) => ({ type: 'capabilities', capabilities }));

const arbUnknownParam: fc.Arbitrary<OptionalParameter> = rec({
  type: fc.constant('unknown' as const),
  code: fc
    .integer({ min: 0, max: 255 })
    .filter((c) => c !== OPEN_PARAM_CAPABILITIES && c !== OPEN_PARAM_EXTENDED_LENGTH),
  data: fc.uint8Array({ maxLength: 40 }),
});

/** Encoded size of the optional parameters with 1-octet lengths (classic encoding). */
function classicSize(params: readonly OptionalParameter[]): number {
  let n = 0;
  const enc = new TextEncoder();
  for (const p of params) {
    n += 2;
    if (p.type === 'unknown') {
      n += p.data.length;
      continue;
    }
    for (const c of p.capabilities) {
      n += 2;
      switch (c.type) {
        case 'multiprotocol':
        case 'four-octet-as':
          n += 4;
          break;
        case 'graceful-restart':
          n += 2 + 4 * c.families.length;
          break;
        case 'add-path':
          n += 4 * c.families.length;
          break;
        case 'fqdn':
          n += 2 + enc.encode(c.hostname).length + enc.encode(c.domain).length;
          break;
        case 'unknown':
          n += c.data.length;
          break;
        default:
          break;
      }
    }
  }
  return n;
}

function capSize(c: Capability): number {
  return classicSize([{ type: 'capabilities', capabilities: [c] }]) - 2;
}

/**
 * A valid OPEN (version 4, AS ≠ 0, hold time 0 or ≥ 3, BGP Identifier ≠ 0). Classic encoding when
 * the parameters fit in 255 octets (each parameter too), otherwise (or at random) RFC 9072.
 */
export const arbOpenMessage: fc.Arbitrary<OpenMessage> = fc
  .record({
    myAs: fc.integer({ min: 1, max: 0xffff }),
    holdTime: fc.oneof(fc.constantFrom(0, 3, 9, 90, 180), fc.integer({ min: 3, max: 0xffff })),
    bgpId: arbBgpId,
    params: fc.array(
      fc.oneof({ weight: 3, arbitrary: arbCapabilitiesParam }, { weight: 1, arbitrary: arbUnknownParam }),
      {
        maxLength: 5,
      },
    ),
    extended: fc.boolean(),
  })
  .map(({ myAs, holdTime, bgpId, params, extended }): OpenMessage => {
    // Each capability must fit its 1-octet length; drop the ones that do not.
    const optionalParameters = params.map((p) =>
      p.type === 'capabilities' ? { ...p, capabilities: p.capabilities.filter((c) => capSize(c) <= 255) } : p,
    );
    const classicOk =
      classicSize(optionalParameters) <= 255 && optionalParameters.every((p) => classicSize([p]) - 2 <= 255);
    const m: OpenMessage = { type: 'open', version: 4, myAs, holdTime, bgpId, optionalParameters };
    return extended || !classicOk ? { ...m, extendedParameters: true } : m;
  })
  // RFC 8654 §4: an OPEN never exceeds 4096 octets (29 fixed + parameters, 1 octet more per
  // parameter and 3 in all for the extended encoding).
  .filter((m) => 29 + 3 + classicSize(m.optionalParameters) + m.optionalParameters.length <= 4096);

export const arbNotificationMessage: fc.Arbitrary<NotificationMessage> = rec({
  type: fc.constant('notification' as const),
  code: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 255 })),
  subcode: fc.oneof(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 255 })),
  data: fc.uint8Array({ maxLength: 64 }),
});

export const arbKeepaliveMessage: fc.Arbitrary<KeepaliveMessage> = fc.constant({ type: 'keepalive' });

export const arbRouteRefreshMessage: fc.Arbitrary<RouteRefreshMessage> = rec({
  type: fc.constant('route-refresh' as const),
  afi,
  safi,
  subtype: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 255 })),
});

/** Prefixes enough to push an UPDATE past 4096 octets (only valid with extendedMessage). */
function arbBigUpdate(): fc.Arbitrary<UpdateMessage> {
  return fc.integer({ min: 1100, max: 1500 }).map((n): UpdateMessage => {
    const withdrawn: Ipv4Prefix[] = [];
    for (let i = 0; i < n; i++) {
      withdrawn.push({ prefix: `10.${(i >> 8) & 0xff}.${i & 0xff}.0` as Ipv4Address, length: 24 });
    }
    return { type: 'update', withdrawn, attributes: [], nlri: [] };
  });
}

/**
 * Any message valid on a session with these options. `evpnRoute` (from arb-evpn.ts) adds EVPN NLRI
 * to UPDATEs; with `extendedMessage` some UPDATEs exceed 4096 octets.
 */
export function arbBgpMessage(
  opts: BgpMessageOptions & { readonly evpnRoute?: fc.Arbitrary<EvpnRoute> },
): fc.Arbitrary<BgpMessage> {
  const updates: fc.Arbitrary<UpdateMessage> = arbUpdateMessage({
    fourOctetAs: opts.fourOctetAs,
    ...(opts.evpnRoute ? { evpnRoute: opts.evpnRoute } : {}),
  });
  return fc.oneof(
    { weight: 3, arbitrary: arbOpenMessage },
    { weight: 3, arbitrary: updates },
    { weight: 1, arbitrary: arbNotificationMessage },
    { weight: 1, arbitrary: arbKeepaliveMessage },
    { weight: 1, arbitrary: arbRouteRefreshMessage },
    ...(opts.extendedMessage === true ? [{ weight: 1, arbitrary: arbBigUpdate() }] : []),
  );
}
