/**
 * Classic libpcap capture files (the format tshark, Wireshark and tcpdump all read).
 *
 * Owns: the 24-byte global header and 16-byte record headers, in microsecond or nanosecond
 * resolution. Pure: `PcapWriter` builds bytes in memory and `encodePcapRecord` lets a caller stream
 * records to a file itself. `readPcap` accepts both byte orders and both resolutions.
 *
 *   global header: magic(4) version_major(2)=2 version_minor(2)=4 thiszone(4) sigfigs(4) snaplen(4) linktype(4)
 *   record header: ts_sec(4) ts_frac(4) incl_len(4) orig_len(4)
 */
import { Reader } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'pcap';

/** https://www.tcpdump.org/linktypes.html */
export const LINKTYPE_ETHERNET = 1;
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const PCAP_DEFAULT_SNAPLEN = 262144;

export type PcapResolution = 'us' | 'ns';

export interface PcapOptions {
  readonly resolution?: PcapResolution;
  readonly linkType?: number;
  readonly snapLength?: number;
}

export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch (or since the simulation started, in the lab). */
  readonly timestampNs: number;
  /** Bytes captured (at most the snap length). */
  readonly data: Uint8Array;
  /** Length of the frame on the wire (>= data.length). */
  readonly originalLength: number;
}

export interface PcapFile {
  readonly resolution: PcapResolution;
  readonly linkType: number;
  readonly snapLength: number;
  readonly records: readonly PcapRecord[];
}

const NS_PER_SECOND = 1_000_000_000;

function timestampError(reason: string): WireError {
  return new WireError({ kind: 'malformed', protocol: PROTOCOL, field: 'timestamp', offset: 0, reason });
}

/** The 24-byte file header. Written little-endian, as tcpdump does on x86. */
export function encodePcapHeader(options: PcapOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_GLOBAL_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.resolution === 'us' ? PCAP_MAGIC_MICROSECONDS : PCAP_MAGIC_NANOSECONDS, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, options.snapLength ?? PCAP_DEFAULT_SNAPLEN, true);
  view.setUint32(20, options.linkType ?? LINKTYPE_ETHERNET, true);
  return out;
}

/** One record (header + captured bytes, truncated to the snap length). */
export function encodePcapRecord(
  timestampNs: number,
  frame: Uint8Array,
  options: PcapOptions = {},
): Uint8Array {
  if (!Number.isSafeInteger(timestampNs) || timestampNs < 0) {
    throw timestampError(`timestamp ${timestampNs} ns is not a non-negative integer`);
  }
  const snap = options.snapLength ?? PCAP_DEFAULT_SNAPLEN;
  const captured = frame.length > snap ? frame.subarray(0, snap) : frame;
  const out = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + captured.length);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(timestampNs / NS_PER_SECOND);
  const fractionNs = timestampNs - seconds * NS_PER_SECOND;
  if (seconds > 0xffffffff) {
    throw timestampError(`timestamp ${timestampNs} ns overflows 32-bit seconds`);
  }
  view.setUint32(0, seconds, true);
  view.setUint32(4, options.resolution === 'us' ? Math.floor(fractionNs / 1000) : fractionNs, true);
  view.setUint32(8, captured.length, true);
  view.setUint32(12, frame.length, true);
  out.set(captured, PCAP_RECORD_HEADER_LENGTH);
  return out;
}

/** Collects frames in memory and returns one pcap file. For long captures, stream `encodePcapRecord` instead. */
export class PcapWriter {
  private readonly options: PcapOptions;
  private readonly chunks: Uint8Array[];
  private total: number;

  constructor(options: PcapOptions = {}) {
    this.options = options;
    const header = encodePcapHeader(options);
    this.chunks = [header];
    this.total = header.length;
  }

  add(timestampNs: number, frame: Uint8Array): void {
    const record = encodePcapRecord(timestampNs, frame, this.options);
    this.chunks.push(record);
    this.total += record.length;
  }

  get recordCount(): number {
    return this.chunks.length - 1;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** Parses a classic pcap file of either byte order and resolution. */
export function readPcap(buf: Uint8Array): PcapFile {
  const r = new Reader(buf, PROTOCOL);
  r.need(PCAP_GLOBAL_HEADER_LENGTH, 'global header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magicLe = view.getUint32(0, true);
  let littleEndian: boolean;
  let resolution: PcapResolution;
  if (magicLe === PCAP_MAGIC_MICROSECONDS || magicLe === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = true;
    resolution = magicLe === PCAP_MAGIC_NANOSECONDS ? 'ns' : 'us';
  } else {
    const magicBe = view.getUint32(0, false);
    if (magicBe !== PCAP_MAGIC_MICROSECONDS && magicBe !== PCAP_MAGIC_NANOSECONDS) {
      return r.fail('malformed', 'magic', `0x${magicLe.toString(16)} is not a classic pcap magic number`);
    }
    littleEndian = false;
    resolution = magicBe === PCAP_MAGIC_NANOSECONDS ? 'ns' : 'us';
  }
  const major = view.getUint16(4, littleEndian);
  if (major !== 2) return r.fail('unsupported', 'version', `pcap version ${major} (expected 2)`);
  const snapLength = view.getUint32(16, littleEndian);
  const linkType = view.getUint32(20, littleEndian);
  r.skip(PCAP_GLOBAL_HEADER_LENGTH, 'global header');
  const records: PcapRecord[] = [];
  while (!r.atEnd) {
    const at = r.offset;
    r.need(PCAP_RECORD_HEADER_LENGTH, 'record header');
    const seconds = view.getUint32(at, littleEndian);
    const fraction = view.getUint32(at + 4, littleEndian);
    const included = view.getUint32(at + 8, littleEndian);
    const originalLength = view.getUint32(at + 12, littleEndian);
    r.skip(PCAP_RECORD_HEADER_LENGTH, 'record header');
    if (included > originalLength) {
      return r.fail(
        'malformed',
        'incl_len',
        `captured length ${included} exceeds original length ${originalLength}`,
      );
    }
    const data = r.bytes(included, 'packet data');
    const timestampNs = seconds * NS_PER_SECOND + (resolution === 'ns' ? fraction : fraction * 1000);
    records.push({ timestampNs, data, originalLength });
  }
  return { resolution, linkType, snapLength, records };
}

/** Convenience for tests: a whole file from (timestamp, frame) pairs. */
export function encodePcap(
  frames: readonly { readonly timestampNs: number; readonly data: Uint8Array }[],
  options: PcapOptions = {},
): Uint8Array {
  const writer = new PcapWriter(options);
  for (const f of frames) writer.add(f.timestampNs, f.data);
  return writer.finish();
}
