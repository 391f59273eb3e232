/**
 * The M-LAG consistency check: the parameters both devices of a DFS group must share, compared
 * when they pair (seed 001: the pair must present one system, one virtual VTEP and one gateway to
 * the servers and the fabric). Pure functions over CONSISTENCY messages.
 */
import type { MlagConsistency, MlagGateway } from '../wire/mlag.js';

export type ConsistencyParameter =
  'dfs-group-id' | 'system-mac' | 'virtual-vtep-ip' | 'vnis' | 'mlag-ids' | 'gateways';

/** One parameter that differs, with both values as an operator reads them. */
export interface ConsistencyMismatch {
  readonly parameter: ConsistencyParameter;
  readonly local: string;
  readonly peer: string;
}

function listText(values: readonly number[]): string {
  return values.length === 0 ? '(none)' : values.join(',');
}

function gatewayText(gateways: readonly MlagGateway[]): string {
  if (gateways.length === 0) return '(none)';
  return gateways.map((g) => `vni ${g.vni} ${g.ip}/${g.prefixLength} ${g.mac}`).join('; ');
}

/** Canonical order for gateways so two devices configured in different orders compare equal. */
export function sortGateways(gateways: readonly MlagGateway[]): MlagGateway[] {
  const key = (g: MlagGateway) => `${String(g.vni).padStart(8, '0')}|${g.ip}|${g.prefixLength}|${g.mac}`;
  return [...gateways].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Every parameter that differs between the local and the peer's CONSISTENCY, in a fixed order. */
export function compareConsistency(local: MlagConsistency, peer: MlagConsistency): ConsistencyMismatch[] {
  const out: ConsistencyMismatch[] = [];
  if (local.systemMac !== peer.systemMac) {
    out.push({ parameter: 'system-mac', local: local.systemMac, peer: peer.systemMac });
  }
  if (local.virtualVtepIp !== peer.virtualVtepIp) {
    out.push({ parameter: 'virtual-vtep-ip', local: local.virtualVtepIp, peer: peer.virtualVtepIp });
  }
  const vl = listText(local.vnis);
  const vp = listText(peer.vnis);
  if (vl !== vp) out.push({ parameter: 'vnis', local: vl, peer: vp });
  const ml = listText(local.mlagIds);
  const mp = listText(peer.mlagIds);
  if (ml !== mp) out.push({ parameter: 'mlag-ids', local: ml, peer: mp });
  const gl = gatewayText(sortGateways(local.gateways));
  const gp = gatewayText(sortGateways(peer.gateways));
  if (gl !== gp) out.push({ parameter: 'gateways', local: gl, peer: gp });
  return out;
}
