/** Configuration of the EVPN service: the VNIs (EVIs) and tenant VRFs of one device. */
import type { IpAddress, Mac } from '../wire/addr.js';

export type RouteTargetSetting = 'auto' | string;

export interface VniConfig {
  readonly vni: number;
  /** `auto` = router-id:EVI (FRR's convention), else a Route Distinguisher in text form. */
  readonly rd: string;
  readonly importTargets: readonly RouteTargetSetting[];
  readonly exportTargets: readonly RouteTargetSetting[];
  /**
   * The tenant VRF (by name) this VNI's gateway routes in: its MAC+IP routes then carry the L3VNI
   * as Label2, the VRF's route target and our router MAC (symmetric IRB, RFC 9135 §5.1).
   */
  readonly vrf?: string;
  /** Static local MAC (and MAC+IP) entries advertised as Type-2 routes (control-plane-only devices). */
  readonly macs: readonly { readonly mac: Mac; readonly ip?: IpAddress }[];
}

export interface VrfConfig {
  readonly name: string;
  readonly l3vni: number;
  readonly routerMac: Mac;
  readonly rd: string;
  readonly importTargets: readonly RouteTargetSetting[];
  readonly exportTargets: readonly RouteTargetSetting[];
  /** Prefixes advertised as Type-5 routes. */
  readonly prefixes: readonly string[];
}
