/**
 * fast-check arbitraries for the Slow Protocols (LACP, Marker) and BFD Control values. Every
 * variant the codecs support is generated; every generated value is valid, so it encodes.
 */
import fc from 'fast-check';
import { macFromBytes, type Mac } from '../../src/wire/addr.js';
import type { BfdAuth, BfdControlPacket, BfdState } from '../../src/wire/bfd.js';
import type {
  LacpPortInfo,
  Lacpdu,
  MarkerPdu,
  SlowProtocolsPdu,
  UnknownSlowProtocolsPdu,
} from '../../src/wire/lacp.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const arbMac: fc.Arbitrary<Mac> = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => macFromBytes(b));

// ---------- LACP ----------

export const arbLacpPortInfo: fc.Arbitrary<LacpPortInfo> = fc.record(
  {
    systemPriority: u16,
    system: arbMac,
    key: u16,
    portPriority: u16,
    port: u16,
    state: u8,
  },
  { noNullPrototype: true },
);

export const arbLacpdu: fc.Arbitrary<Lacpdu> = fc.record(
  {
    type: fc.constant('lacp' as const),
    actor: arbLacpPortInfo,
    partner: arbLacpPortInfo,
    collectorMaxDelay: u16,
  },
  { noNullPrototype: true },
);

export const arbMarkerPdu: fc.Arbitrary<MarkerPdu> = fc.record(
  {
    type: fc.constant('marker' as const),
    markerType: fc.constantFrom('information' as const, 'response' as const),
    requesterPort: u16,
    requesterSystem: arbMac,
    requesterTransactionId: u32,
  },
  { noNullPrototype: true },
);

/** Subtypes other than LACP (1) and Marker (2), e.g. OAM (3) and OSSP (10). */
export const arbUnknownSlowProtocolsPdu: fc.Arbitrary<UnknownSlowProtocolsPdu> = fc.record(
  {
    type: fc.constant('unknown' as const),
    subtype: fc.oneof(fc.constantFrom(0, 3, 10), fc.integer({ min: 3, max: 0xff })),
    data: fc.uint8Array({ maxLength: 120 }),
  },
  { noNullPrototype: true },
);

export const arbSlowProtocolsPdu: fc.Arbitrary<SlowProtocolsPdu> = fc.oneof(
  { arbitrary: arbLacpdu, weight: 3 },
  { arbitrary: arbMarkerPdu, weight: 2 },
  { arbitrary: arbUnknownSlowProtocolsPdu, weight: 1 },
);

// ---------- BFD ----------

const keyId = u8;

export const arbBfdAuth: fc.Arbitrary<BfdAuth> = fc.oneof(
  fc.record(
    {
      type: fc.constant('simple-password' as const),
      keyId,
      password: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      type: fc.constantFrom('keyed-md5' as const, 'meticulous-keyed-md5' as const),
      keyId,
      sequence: u32,
      digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      type: fc.constantFrom('keyed-sha1' as const, 'meticulous-keyed-sha1' as const),
      keyId,
      sequence: u32,
      digest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      type: fc.constant('unknown' as const),
      code: fc.oneof(fc.constant(0), fc.integer({ min: 6, max: 0xff })),
      data: fc.uint8Array({ maxLength: 229 }),
    },
    { noNullPrototype: true },
  ),
);

export const arbBfdState: fc.Arbitrary<BfdState> = fc.constantFrom<BfdState>(0, 1, 2, 3);

/** Intervals biased towards the values sessions use (0, 1 s, 300 ms, 50 ms) as well as any u32. */
const interval = fc.oneof(fc.constantFrom(0, 1_000_000, 300_000, 50_000), u32);

export const arbBfdControlPacket: fc.Arbitrary<BfdControlPacket> = fc
  .record(
    {
      diagnostic: fc.integer({ min: 0, max: 31 }),
      state: arbBfdState,
      poll: fc.boolean(),
      final: fc.boolean(),
      controlPlaneIndependent: fc.boolean(),
      demand: fc.boolean(),
      detectMultiplier: fc.integer({ min: 1, max: 0xff }),
      myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
      yourDiscriminator: fc.oneof(fc.constant(0), u32),
      desiredMinTxInterval: interval,
      requiredMinRxInterval: interval,
      requiredMinEchoRxInterval: interval,
      auth: arbBfdAuth,
    },
    {
      noNullPrototype: true,
      requiredKeys: [
        'diagnostic',
        'state',
        'poll',
        'final',
        'controlPlaneIndependent',
        'demand',
        'detectMultiplier',
        'myDiscriminator',
        'yourDiscriminator',
        'desiredMinTxInterval',
        'requiredMinRxInterval',
        'requiredMinEchoRxInterval',
      ],
    },
  )
  // RFC 5880 §6.8.6: Your Discriminator may be zero only in Down and AdminDown.
  .map((p) => (p.yourDiscriminator === 0 && p.state >= 2 ? { ...p, yourDiscriminator: 1 } : p));
