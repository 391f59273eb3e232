import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex } from '../../src/wire/bytes.js';
import { WireError } from '../../src/wire/errors.js';
import {
  encodePcap,
  encodePcapHeader,
  LINKTYPE_ETHERNET,
  PcapWriter,
  readPcap,
  type PcapResolution,
} from '../../src/wire/pcap.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';

// A broadcast ARP request for 10.0.0.2 from 10.0.0.1 (00:00:00:00:00:01), padded to 60 bytes.
const ARP_REQUEST = fromHex(
  'ffffffffffff000000000001080600010800060400010000000000010a000001000000000000' +
    '0a000002' +
    '00'.repeat(18),
);

describe('pcap', () => {
  it('writes a header tshark and tcpdump recognise (nanosecond magic, Ethernet)', () => {
    const header = encodePcapHeader();
    assert.deepEqual([...header.subarray(0, 4)], [0x4d, 0x3c, 0xb2, 0xa1]);
    const file = readPcap(header);
    assert.equal(file.linkType, LINKTYPE_ETHERNET);
    assert.equal(file.resolution, 'ns');
    assert.equal(file.records.length, 0);
  });

  it('round-trips records in both resolutions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PcapResolution>('us', 'ns'),
        fc.array(
          fc.record({
            timestampNs: fc.integer({ min: 0, max: 2 ** 40 }),
            data: fc.uint8Array({ maxLength: 200 }),
          }),
          { maxLength: 10 },
        ),
        (resolution, frames) => {
          const file = readPcap(encodePcap(frames, { resolution }));
          assert.equal(file.resolution, resolution);
          assert.equal(file.records.length, frames.length);
          file.records.forEach((rec, i) => {
            const want = frames[i]!;
            const ts = resolution === 'us' ? want.timestampNs - (want.timestampNs % 1000) : want.timestampNs;
            assert.equal(rec.timestampNs, ts);
            assert.deepEqual(rec.data, want.data);
            assert.equal(rec.originalLength, want.data.length);
          });
        },
      ),
    );
  });

  it('truncates to the snap length but records the original length', () => {
    const w = new PcapWriter({ snapLength: 10 });
    w.add(5, new Uint8Array(64));
    const rec = readPcap(w.finish()).records[0]!;
    assert.equal(rec.data.length, 10);
    assert.equal(rec.originalLength, 64);
  });

  it('reads big-endian files', () => {
    const be = fromHex(
      'a1b2c3d4000200040000000000000000000400000000000100000001000007d00000000200000002abcd',
    );
    const file = readPcap(be);
    assert.equal(file.resolution, 'us');
    assert.equal(file.records[0]!.timestampNs, 1_002_000_000);
    assert.deepEqual([...file.records[0]!.data], [0xab, 0xcd]);
  });

  it('rejects bad input with a WireError only', () => {
    assert.throws(
      () => readPcap(new Uint8Array(10)),
      (e) => e instanceof WireError && e.kind === 'truncated',
    );
    assert.throws(
      () => readPcap(new Uint8Array(24)),
      (e) => e instanceof WireError && e.field === 'magic' && e.kind === 'malformed',
    );
    const good = encodePcap([{ timestampNs: 1, data: ARP_REQUEST }]);
    for (let cut = 0; cut < good.length; cut++) {
      try {
        readPcap(good.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof WireError, `cut at ${cut}: ${String(e)}`);
      }
    }
  });

  it('is read by tshark with the timestamps and bytes we wrote', () => {
    withPcap([ARP_REQUEST, ARP_REQUEST], (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const frames = tsharkFields(path, ['frame.time_epoch', 'arp.dst.proto_ipv4', 'frame.len']);
      assert.equal(frames.length, 2);
      assert.deepEqual(frames[0]!['arp.dst.proto_ipv4'], ['10.0.0.2']);
      assert.deepEqual(frames[1]!['frame.len'], ['60']);
      assert.match(frames[1]!['frame.time_epoch']![0]!, /^0?\.002000000|^2\.000000000e-03|0\.002/);
    });
  });
});
