/**
 * Fuzz targets for the BGP message framing and EVPN NLRI decoders, seeded from their arbitraries
 * and from the golden samples.
 */
import { BgpFrameDecoder, decodeBgpMessage, encodeBgpMessage } from '../../src/wire/bgp-message.js';
import { decodeEvpnNlriList, encodeEvpnNlriList } from '../../src/wire/evpn.js';
import { arbBgpMessage } from './arb-bgp-message.js';
import { arbEvpnRoute } from './arb-evpn.js';
import { arbUpdateMessage } from './arb-bgp-update.js';
import type { FuzzTarget } from './fuzz-lib.js';
import { sampleEncodings } from './fuzz-targets.js';
import fc from 'fast-check';

const OPTS = { fourOctetAs: true } as const;

export function extraFuzzTargets(): FuzzTarget[] {
  const evpnUpdates = sampleEncodings(arbUpdateMessage({ fourOctetAs: true, evpnRoute: arbEvpnRoute }), (m) =>
    encodeBgpMessage(m, OPTS),
  );
  const messages = [
    ...sampleEncodings(arbBgpMessage(OPTS), (m) => encodeBgpMessage(m, OPTS)),
    ...evpnUpdates,
  ];
  return [
    { name: 'bgp-message', decode: (b) => decodeBgpMessage(b, OPTS), seeds: messages },
    {
      name: 'bgp-message-2octet-extended',
      decode: (b) => decodeBgpMessage(b, { fourOctetAs: false, extendedMessage: true }),
      seeds: sampleEncodings(arbBgpMessage({ fourOctetAs: false }), (m) =>
        encodeBgpMessage(m, { fourOctetAs: false }),
      ),
    },
    {
      // A byte stream cut into whole messages: the framer must never buffer a bogus length or throw
      // anything but a WireError.
      name: 'bgp-stream',
      decode: (b) => {
        const d = new BgpFrameDecoder({ extendedMessage: false });
        const out = [...d.push(b.subarray(0, b.length >> 1)), ...d.push(b.subarray(b.length >> 1))];
        return out.map((m) => decodeBgpMessage(m, OPTS));
      },
      seeds: [concat(messages.slice(0, 8)), concat(messages.slice(8, 16))],
    },
    {
      name: 'evpn-nlri',
      decode: decodeEvpnNlriList,
      seeds: sampleEncodings(fc.array(arbEvpnRoute, { minLength: 1, maxLength: 4 }), encodeEvpnNlriList),
    },
  ];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
