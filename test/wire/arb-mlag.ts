/**
 * fast-check arbitraries for the M-LAG peer protocol messages. Every variant the codec supports is
 * generated; every generated value is valid, so it encodes.
 */
import fc from 'fast-check';
import type { Vni } from '../../src/wire/addr.js';
import {
  MLAG_MAX_SEQUENCE,
  type MlagConsistency,
  type MlagDadProbe,
  type MlagDfsState,
  type MlagGateway,
  type MlagHello,
  type MlagMacEntry,
  type MlagMacLocation,
  type MlagMacSync,
  type MlagMemberPortState,
  type MlagMessage,
  type MlagNeighborEntry,
  type MlagNeighborSync,
  type MlagRole,
  type MlagSyncDone,
  type MlagSyncRequest,
  type MlagUnknownMessage,
} from '../../src/wire/mlag.js';
import { arbIpAddress, arbIpv4Address, arbMac } from './arb-bgp-update.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bootId = fc.integer({ min: 1, max: 0xffffffff });
const mlagId = fc.integer({ min: 1, max: 0xffff });
/** Small and huge sequence numbers: the high word of the 64-bit field must round-trip too. */
const seq = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: MLAG_MAX_SEQUENCE }));

export const arbVni: fc.Arbitrary<Vni> = fc.integer({ min: 0, max: 0xffffff }).map((n) => n as Vni);
export const arbRole: fc.Arbitrary<MlagRole> = fc.constantFrom('none', 'master', 'backup');
const arbDfsState: fc.Arbitrary<MlagDfsState> = fc.constantFrom(
  'init',
  'negotiating',
  'paired',
  'dad-check',
  'split',
  'alone',
  'dual-master',
);

const opts = { noNullPrototype: true } as const;

export const arbHello: fc.Arbitrary<MlagHello> = fc.record(
  {
    type: fc.constant('hello' as const),
    groupId: u32,
    localMac: arbMac,
    priority: u16,
    role: arbRole,
    state: arbDfsState,
    bootId,
    peerBootId: u32,
    uptimeSeconds: u32,
    clock: fc.oneof(fc.constant(0), seq),
  },
  opts,
);

function ascending(arb: fc.Arbitrary<number>, maxLength: number): fc.Arbitrary<number[]> {
  return fc.uniqueArray(arb, { maxLength }).map((a) => [...a].sort((x, y) => x - y));
}

const arbGateway: fc.Arbitrary<MlagGateway> = arbIpAddress.chain((ip) =>
  fc.record(
    {
      vni: arbVni,
      ip: fc.constant(ip),
      prefixLength: fc.integer({ min: 0, max: ip.includes(':') ? 128 : 32 }),
      mac: arbMac,
    },
    opts,
  ),
);

export const arbConsistency: fc.Arbitrary<MlagConsistency> = fc.record(
  {
    type: fc.constant('consistency' as const),
    systemMac: arbMac,
    virtualVtepIp: fc.oneof(arbIpv4Address, arbIpAddress),
    vnis: ascending(arbVni, 12) as fc.Arbitrary<Vni[]>,
    mlagIds: ascending(mlagId, 12),
    gateways: fc.array(arbGateway, { maxLength: 4 }),
    unknownTlvs: fc
      .uniqueArray(fc.integer({ min: 6, max: 0xffff }), { maxLength: 3 })
      .chain((types) =>
        fc.tuple(
          ...types.map((tlvType) =>
            fc.record({ tlvType: fc.constant(tlvType), data: fc.uint8Array({ maxLength: 24 }) }, opts),
          ),
        ),
      ),
  },
  opts,
);

export const arbMemberPortState: fc.Arbitrary<MlagMemberPortState> = fc.record(
  {
    type: fc.constant('member-port-state' as const),
    seq: u32,
    ports: fc.uniqueArray(fc.record({ mlagId, up: fc.boolean(), lacpSync: fc.boolean() }, opts), {
      maxLength: 12,
      selector: (p) => p.mlagId,
    }),
  },
  opts,
);

export const arbMacLocation: fc.Arbitrary<MlagMacLocation> = fc.oneof(
  mlagId.map((id) => ({ kind: 'mlag' as const, mlagId: id })),
  fc.constant({ kind: 'single-homed' as const }),
);

export const arbMacEntry: fc.Arbitrary<MlagMacEntry> = fc.oneof(
  fc.record(
    {
      op: fc.constantFrom('add' as const, 'move' as const),
      vni: arbVni,
      mac: arbMac,
      location: arbMacLocation,
      origin: arbMac,
      seq,
    },
    opts,
  ),
  fc.record({ op: fc.constant('delete' as const), vni: arbVni, mac: arbMac, origin: arbMac, seq }, opts),
);

export const arbMacSync: fc.Arbitrary<MlagMacSync> = fc.record(
  { type: fc.constant('mac-sync' as const), entries: fc.array(arbMacEntry, { maxLength: 8 }) },
  opts,
);

export const arbNeighborEntry: fc.Arbitrary<MlagNeighborEntry> = fc.oneof(
  fc.record(
    {
      op: fc.constantFrom('add' as const, 'move' as const),
      vni: arbVni,
      ip: arbIpAddress,
      mac: arbMac,
      origin: arbMac,
      seq,
    },
    opts,
  ),
  fc.record({ op: fc.constant('delete' as const), vni: arbVni, ip: arbIpAddress, origin: arbMac, seq }, opts),
);

export const arbNeighborSync: fc.Arbitrary<MlagNeighborSync> = fc.record(
  { type: fc.constant('neighbor-sync' as const), entries: fc.array(arbNeighborEntry, { maxLength: 8 }) },
  opts,
);

export const arbSyncRequest: fc.Arbitrary<MlagSyncRequest> = fc.record(
  { type: fc.constant('sync-request' as const), requestId: u32 },
  opts,
);

export const arbSyncDone: fc.Arbitrary<MlagSyncDone> = fc.record(
  { type: fc.constant('sync-done' as const), requestId: u32, macCount: u32, neighborCount: u32 },
  opts,
);

export const arbDadProbe: fc.Arbitrary<MlagDadProbe> = fc.record(
  {
    type: fc.constant('dad-probe' as const),
    groupId: u32,
    systemMac: arbMac,
    localMac: arbMac,
    priority: u16,
    role: arbRole,
    peerLinkUp: fc.boolean(),
    bootId,
    sequence: u32,
  },
  opts,
);

/** Types 0 and 9..255: kept byte-exact. */
export const arbUnknownMessage: fc.Arbitrary<MlagUnknownMessage> = fc.record(
  {
    type: fc.constant('unknown' as const),
    code: fc.oneof(fc.constant(0), fc.integer({ min: 9, max: 0xff })),
    body: fc.uint8Array({ maxLength: 64 }),
  },
  opts,
);

export const arbMlagMessage: fc.Arbitrary<MlagMessage> = fc.oneof(
  arbHello,
  arbConsistency,
  arbMemberPortState,
  arbMacSync,
  arbNeighborSync,
  arbSyncRequest,
  arbSyncDone,
  arbDadProbe,
  arbUnknownMessage,
);
