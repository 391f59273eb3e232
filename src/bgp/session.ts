/**
 * One BGP peer's session: the RFC 4271 §8 finite state machine, sans-IO.
 *
 * Owns: the session state (Idle … Established), the ConnectRetry, Hold, Keepalive and IdleHold
 * timers, OPEN validation and capability negotiation, connection collision detection (§6.8), and
 * turning every protocol error into the right NOTIFICATION. It does not own routes: UPDATEs are
 * decoded here (the negotiated options decide how) and handed up as actions.
 *
 * Guarantees: no I/O and no clock reads. The driver feeds events with the current time in
 * milliseconds and performs the returned actions; `nextDeadline()` says when to call `poll(now)`.
 * A TCP connection is named by a number the driver picks; a session may briefly have two (one
 * outbound, one inbound) until collision detection closes one.
 */
import type { Ipv4Address } from '../wire/addr.js';
import { ipv4ToNumber } from '../wire/addr.js';
import {
  AFI_IPV4,
  BGP_ERR_CEASE,
  BGP_ERR_FSM,
  BGP_ERR_HOLD_TIMER_EXPIRED,
  BGP_ERR_OPEN_MESSAGE,
  BgpFrameDecoder,
  CEASE_ADMINISTRATIVE_RESET,
  CEASE_ADMINISTRATIVE_SHUTDOWN,
  CEASE_CONNECTION_COLLISION_RESOLUTION,
  OPEN_ERR_BAD_BGP_IDENTIFIER,
  OPEN_ERR_BAD_PEER_AS,
  OPEN_ERR_UNACCEPTABLE_HOLD_TIME,
  OPEN_ERR_UNSUPPORTED_OPTIONAL_PARAMETER,
  OPEN_ERR_UNSUPPORTED_CAPABILITY,
  SAFI_UNICAST,
  decodeBgpMessage,
  encodeBgpMessage,
  notificationName,
  openAsn,
  openCapabilities,
  type BgpMessage,
  type BgpMessageOptions,
  type Capability,
  type NotificationMessage,
  type OpenMessage,
  type RouteRefreshMessage,
} from '../wire/bgp-message.js';
import { AS_TRANS, type UpdateMessage } from '../wire/bgp-update.js';
import { BgpWireError, WireError } from '../wire/errors.js';
import { decodedEvpnPath } from './rib.js';

export type BgpState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface AddressFamily {
  readonly afi: number;
  readonly safi: number;
}

export function familyKey(f: AddressFamily): string {
  return `${f.afi}/${f.safi}`;
}

export interface SessionConfig {
  /** For logs: usually the peer's address. */
  readonly name: string;
  readonly localAs: number;
  readonly peerAs: number;
  readonly routerId: Ipv4Address;
  /** Address families we offer (multiprotocol capability, RFC 4760). */
  readonly families: readonly AddressFamily[];
  /** Seconds; 0 (no keepalives) or >= 3. RFC 4271 §10 suggests 90; fabrics use FRR's datacenter 9. */
  readonly holdTimeSeconds?: number;
  /** Seconds between KEEPALIVEs; default a third of the negotiated hold time (§10). */
  readonly keepaliveSeconds?: number;
  /** Seconds between connection attempts (§10: 120; FRR's datacenter profile: 10). */
  readonly connectRetrySeconds?: number;
  /** Wait for the peer to connect; never connect out. */
  readonly passive?: boolean;
  /** RFC 4724 graceful restart as a helper: advertise the capability with this restart time. */
  readonly gracefulRestartSeconds?: number;
  /** Hostname for the FQDN capability (FRR shows it in `show bgp summary`). */
  readonly hostname?: string;
}

export const DEFAULT_HOLD_TIME_SECONDS = 9;
export const DEFAULT_CONNECT_RETRY_SECONDS = 10;
/** RFC 4271 §8.2.2: the hold timer while waiting for OPEN is "a large value", suggested 4 minutes. */
const OPEN_WAIT_HOLD_MS = 240_000;
/** After the session drops, wait before starting again (RFC 4271 §8.1.1 IdleHoldTimer). */
const IDLE_HOLD_INITIAL_MS = 1_000;
const IDLE_HOLD_MAX_MS = 60_000;

/** What both sides agreed on in their OPENs. */
export interface NegotiatedSession {
  readonly peerRouterId: Ipv4Address;
  readonly peerAs: number;
  readonly holdTimeSeconds: number;
  readonly keepaliveSeconds: number;
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  readonly extendedMessage: boolean;
  /** Families both sides advertised. */
  readonly families: readonly AddressFamily[];
  /** The peer's graceful restart capability, if it sent one (we keep its routes as stale for restartTime). */
  readonly peerGracefulRestart?: {
    readonly restartTimeSeconds: number;
    readonly restarting: boolean;
    readonly families: readonly (AddressFamily & { readonly forwardingPreserved: boolean })[];
  };
  readonly peerHostname?: string;
  readonly peerCapabilities: readonly Capability[];
}

export type DownReason =
  | {
      readonly kind: 'notification-sent';
      readonly code: number;
      readonly subcode: number;
      readonly text: string;
    }
  | {
      readonly kind: 'notification-received';
      readonly code: number;
      readonly subcode: number;
      readonly text: string;
    }
  | { readonly kind: 'connection-closed'; readonly text: string }
  | { readonly kind: 'stopped'; readonly text: string };

export type SessionAction =
  /** Open a TCP connection to the peer; report back with connectionOpened or connectFailed. */
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly connection: number; readonly data: Uint8Array }
  /** Close the TCP connection (after flushing what was sent). */
  | { readonly type: 'close'; readonly connection: number }
  | { readonly type: 'state'; readonly from: BgpState; readonly to: BgpState; readonly reason: string }
  | { readonly type: 'established'; readonly negotiated: NegotiatedSession }
  | { readonly type: 'update'; readonly update: UpdateMessage; readonly size: number }
  | { readonly type: 'route-refresh'; readonly request: RouteRefreshMessage }
  /** The Established session ended; the routes learnt over it must be withdrawn (or kept stale, RFC 4724). */
  | { readonly type: 'down'; readonly reason: DownReason };

interface Connection {
  readonly id: number;
  readonly direction: 'outbound' | 'inbound';
  state: 'OpenSent' | 'OpenConfirm' | 'Established';
  readonly frames: BgpFrameDecoder;
  peerOpen?: OpenMessage;
  negotiated?: NegotiatedSession;
  holdDeadline: number;
  keepaliveDeadline: number;
}

export interface SessionCounters {
  messagesIn: number;
  messagesOut: number;
  updatesIn: number;
  updatesOut: number;
  notificationsIn: number;
  notificationsOut: number;
  keepalivesIn: number;
  keepalivesOut: number;
  establishedTransitions: number;
  droppedTransitions: number;
}

export class BgpSession {
  readonly config: SessionConfig;
  private started = false;
  private idleState: 'Idle' | 'Connect' | 'Active' = 'Idle';
  private readonly connections = new Map<number, Connection>();
  private established: Connection | undefined;
  private connectRetryDeadline: number | undefined;
  private idleHoldDeadline: number | undefined;
  private idleHoldMs = IDLE_HOLD_INITIAL_MS;
  private connecting = false;
  /** The connect under way lost a collision before it completed: close it when it does (§6.8). */
  private connectGivenUp = false;
  private lastState: BgpState = 'Idle';
  /** When the session last became Established or went down (ms, driver's clock). */
  lastChangeAt = 0;
  lastDown: DownReason | undefined;
  readonly counters: SessionCounters = {
    messagesIn: 0,
    messagesOut: 0,
    updatesIn: 0,
    updatesOut: 0,
    notificationsIn: 0,
    notificationsOut: 0,
    keepalivesIn: 0,
    keepalivesOut: 0,
    establishedTransitions: 0,
    droppedTransitions: 0,
  };

  constructor(config: SessionConfig) {
    const hold = config.holdTimeSeconds ?? DEFAULT_HOLD_TIME_SECONDS;
    if (hold !== 0 && (hold < 3 || hold > 65535)) {
      throw new RangeError(`peer ${config.name}: hold time ${hold} s must be 0 or 3..65535 (RFC 4271 §4.2)`);
    }
    this.config = config;
  }

  get state(): BgpState {
    if (this.established) return 'Established';
    let best: BgpState | undefined;
    for (const c of this.connections.values()) {
      if (c.state === 'OpenConfirm') best = 'OpenConfirm';
      else if (!best) best = 'OpenSent';
    }
    return best ?? this.idleState;
  }

  get negotiated(): NegotiatedSession | undefined {
    return this.established?.negotiated;
  }

  /** Codec options for UPDATEs on the established session. */
  get messageOptions(): BgpMessageOptions {
    const n = this.established?.negotiated;
    return { fourOctetAs: n?.fourOctetAs ?? true, extendedMessage: n?.extendedMessage ?? false };
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    consider(this.connectRetryDeadline);
    consider(this.idleHoldDeadline);
    for (const c of this.connections.values()) {
      consider(c.holdDeadline);
      consider(c.keepaliveDeadline);
    }
    return next;
  }

  // ---- events -------------------------------------------------------------------------------

  /** ManualStart (or ManualStart_with_PassiveTcpEstablishment when configured passive). */
  start(now: number): SessionAction[] {
    if (this.started) return [];
    this.started = true;
    this.idleHoldMs = IDLE_HOLD_INITIAL_MS;
    const actions: SessionAction[] = [];
    this.beginConnecting(now, actions, 'ManualStart');
    return actions;
  }

  /** ManualStop: Cease/Administrative Shutdown (RFC 4486) on every connection; back to Idle. */
  stop(now: number, message = ''): SessionAction[] {
    const actions: SessionAction[] = [];
    this.started = false;
    this.connectRetryDeadline = undefined;
    this.idleHoldDeadline = undefined;
    for (const c of [...this.connections.values()]) {
      this.notifyAndClose(
        c,
        now,
        actions,
        BGP_ERR_CEASE,
        CEASE_ADMINISTRATIVE_SHUTDOWN,
        shutdownData(message),
      );
    }
    this.idleState = 'Idle';
    this.noteState(now, actions, 'ManualStop');
    return actions;
  }

  /** Cease/Administrative Reset: drop the session and start again (`clear bgp`). */
  reset(now: number, message = ''): SessionAction[] {
    const actions: SessionAction[] = [];
    for (const c of [...this.connections.values()]) {
      this.notifyAndClose(c, now, actions, BGP_ERR_CEASE, CEASE_ADMINISTRATIVE_RESET, shutdownData(message));
    }
    if (this.started) this.scheduleRestart(now, actions);
    return actions;
  }

  /** Tcp_CR_Acked / TcpConnectionConfirmed: a TCP connection to the peer is up. */
  connectionOpened(connection: number, direction: 'outbound' | 'inbound', now: number): SessionAction[] {
    const actions: SessionAction[] = [];
    // Unless the connection it was given up for is gone meanwhile.
    const givenUp = direction === 'outbound' && this.connectGivenUp && this.connections.size > 0;
    if (direction === 'outbound') {
      this.connecting = false;
      this.connectGivenUp = false;
    }
    if (!this.started || this.connections.has(connection)) {
      actions.push({ type: 'close', connection });
      return actions;
    }
    if (this.established || givenUp) {
      // RFC 4271 §6.8: a collision with an Established connection closes the new one; so does one
      // with a connection the peer's OPEN reached while this one was still connecting.
      this.sendNotification(connection, now, actions, BGP_ERR_CEASE, CEASE_CONNECTION_COLLISION_RESOLUTION);
      actions.push({ type: 'close', connection });
      return actions;
    }
    const c: Connection = {
      id: connection,
      direction,
      state: 'OpenSent',
      frames: new BgpFrameDecoder({ extendedMessage: false }),
      holdDeadline: now + OPEN_WAIT_HOLD_MS,
      keepaliveDeadline: Number.POSITIVE_INFINITY,
    };
    this.connections.set(connection, c);
    this.connectRetryDeadline = undefined;
    this.send(c, now, actions, this.buildOpen());
    c.keepaliveDeadline = Number.POSITIVE_INFINITY;
    this.noteState(now, actions, direction === 'outbound' ? 'Tcp_CR_Acked' : 'TcpConnectionConfirmed');
    return actions;
  }

  /** TcpConnectionFails while connecting: wait for ConnectRetry (Connect → Active). */
  connectFailed(now: number, reason: string): SessionAction[] {
    const actions: SessionAction[] = [];
    this.connecting = false;
    this.connectGivenUp = false;
    if (!this.started || this.established) return actions;
    if (this.connections.size === 0) {
      this.idleState = 'Active';
      this.connectRetryDeadline ??= now + this.connectRetryMs();
      this.noteState(now, actions, `TcpConnectionFails: ${reason}`);
    }
    return actions;
  }

  /** TcpConnectionFails on an open connection (peer closed, reset, socket error). */
  connectionClosed(connection: number, now: number, reason: string): SessionAction[] {
    const actions: SessionAction[] = [];
    const c = this.connections.get(connection);
    if (!c) return actions;
    this.connections.delete(connection);
    if (c === this.established) {
      this.sessionDown(now, actions, { kind: 'connection-closed', text: reason });
    } else {
      this.afterConnectionLoss(now, actions, `TcpConnectionFails: ${reason}`);
    }
    return actions;
  }

  /** Bytes from the peer on a connection. Returns what to do, including decoded UPDATEs. */
  received(connection: number, chunk: Uint8Array, now: number): SessionAction[] {
    const actions: SessionAction[] = [];
    const c = this.connections.get(connection);
    if (!c) return actions;
    let frames: Uint8Array[];
    try {
      frames = c.frames.push(chunk);
    } catch (e) {
      this.protocolError(c, now, actions, e);
      return actions;
    }
    for (const frame of frames) {
      if (!this.connections.has(c.id)) break;
      let message: BgpMessage;
      try {
        message = decodeBgpMessage(frame, {
          fourOctetAs: c.negotiated?.fourOctetAs ?? true,
          extendedMessage: c.negotiated?.extendedMessage ?? false,
          compactEvpn: decodedEvpnPath,
        });
      } catch (e) {
        this.protocolError(c, now, actions, e);
        break;
      }
      this.counters.messagesIn++;
      this.handleMessage(c, message, frame.length, now, actions);
    }
    return actions;
  }

  /**
   * Bytes from the peer reached the transport and wait for processing (the control-plane CPU is
   * busy): the peer is alive, so its hold timer restarts now, not when they are processed. FRR and
   * BIRD do the same (a hold timer that fires while input is queued is restarted), so a long UPDATE
   * backlog does not drop the session whose KEEPALIVEs sit behind it.
   */
  inputArrived(connection: number, now: number): void {
    const c = this.connections.get(connection);
    if (c) this.restartHold(c, now);
  }

  /**
   * The peer became reachable (its interface came up): try now rather than when ConnectRetry or
   * IdleHold expire, as FRR's next-hop tracking restarts directly connected peers.
   */
  retryNow(now: number): SessionAction[] {
    if (!this.started || this.established) return [];
    if (this.idleHoldDeadline !== undefined) this.idleHoldDeadline = now;
    if (this.connectRetryDeadline !== undefined) this.connectRetryDeadline = now;
    return this.poll(now);
  }

  /** Fires expired timers. */
  poll(now: number): SessionAction[] {
    const actions: SessionAction[] = [];
    if (this.idleHoldDeadline !== undefined && now >= this.idleHoldDeadline) {
      this.idleHoldDeadline = undefined;
      if (this.started) this.beginConnecting(now, actions, 'IdleHoldTimer_Expires');
    }
    if (this.connectRetryDeadline !== undefined && now >= this.connectRetryDeadline) {
      // ConnectRetryTimer_Expires: try again (Active → Connect).
      this.connectRetryDeadline = now + this.connectRetryMs();
      if (this.started && !this.config.passive && !this.connecting && !this.hasOutbound()) {
        this.connecting = true;
        actions.push({ type: 'connect' });
        if (this.connections.size === 0) {
          this.idleState = 'Connect';
          this.noteState(now, actions, 'ConnectRetryTimer_Expires');
        }
      }
    }
    for (const c of [...this.connections.values()]) {
      if (now >= c.holdDeadline) {
        this.notifyAndClose(c, now, actions, BGP_ERR_HOLD_TIMER_EXPIRED, 0, new Uint8Array(0));
        continue;
      }
      if (now >= c.keepaliveDeadline) this.sendKeepalive(c, now, actions);
    }
    return actions;
  }

  /** Sends pre-encoded BGP messages (UPDATEs built by the Adj-RIB-Out) on the established connection. */
  sendRaw(messages: readonly Uint8Array[], now: number, updates = messages.length): SessionAction[] {
    const c = this.established;
    if (!c) return [];
    const actions: SessionAction[] = [];
    for (const data of messages) actions.push({ type: 'send', connection: c.id, data });
    this.counters.messagesOut += messages.length;
    this.counters.updatesOut += updates;
    this.restartKeepalive(c, now);
    return actions;
  }

  /** Encodes and sends one message on the established connection. */
  sendMessage(message: BgpMessage, now: number): SessionAction[] {
    const c = this.established;
    if (!c) return [];
    const actions: SessionAction[] = [];
    this.send(c, now, actions, message);
    return actions;
  }

  /** Ends an Established session because of a local policy (e.g. max-prefix): NOTIFICATION and close. */
  terminate(
    now: number,
    code: number,
    subcode: number,
    data: Uint8Array = new Uint8Array(0),
  ): SessionAction[] {
    const actions: SessionAction[] = [];
    const c = this.established;
    if (c) this.notifyAndClose(c, now, actions, code, subcode, data);
    return actions;
  }

  // ---- message handling ---------------------------------------------------------------------

  private handleMessage(
    c: Connection,
    m: BgpMessage,
    size: number,
    now: number,
    actions: SessionAction[],
  ): void {
    switch (m.type) {
      case 'open':
        return this.onOpen(c, m, now, actions);
      case 'keepalive':
        this.counters.keepalivesIn++;
        if (c.state === 'OpenSent') {
          return this.fsmError(c, now, actions, 'KEEPALIVE in OpenSent');
        }
        this.restartHold(c, now);
        if (c.state === 'OpenConfirm') this.onEstablished(c, now, actions);
        return;
      case 'update':
        this.counters.updatesIn++;
        if (c.state !== 'Established') return this.fsmError(c, now, actions, `UPDATE in ${c.state}`);
        this.restartHold(c, now);
        actions.push({ type: 'update', update: m, size });
        return;
      case 'notification':
        this.counters.notificationsIn++;
        return this.onNotification(c, m, now, actions);
      case 'route-refresh':
        if (c.state !== 'Established') return this.fsmError(c, now, actions, `ROUTE-REFRESH in ${c.state}`);
        this.restartHold(c, now);
        actions.push({ type: 'route-refresh', request: m });
        return;
    }
  }

  private onOpen(c: Connection, open: OpenMessage, now: number, actions: SessionAction[]): void {
    if (c.state !== 'OpenSent') return this.fsmError(c, now, actions, `OPEN in ${c.state}`);
    const peerAs = openAsn(open);
    // RFC 4271 §6.2: the OPEN checks the codec cannot make (they depend on our configuration).
    if (peerAs !== this.config.peerAs) {
      const data = new Uint8Array([(open.myAs >> 8) & 0xff, open.myAs & 0xff]);
      return this.notifyAndClose(c, now, actions, BGP_ERR_OPEN_MESSAGE, OPEN_ERR_BAD_PEER_AS, data);
    }
    if (open.bgpId === this.config.routerId && this.config.peerAs === this.config.localAs) {
      return this.notifyAndClose(c, now, actions, BGP_ERR_OPEN_MESSAGE, OPEN_ERR_BAD_BGP_IDENTIFIER);
    }
    if (open.holdTime !== 0 && open.holdTime < 3) {
      return this.notifyAndClose(c, now, actions, BGP_ERR_OPEN_MESSAGE, OPEN_ERR_UNACCEPTABLE_HOLD_TIME);
    }
    if (open.optionalParameters.some((p) => p.type === 'unknown')) {
      // RFC 4271 §6.2: an optional parameter we do not recognise.
      return this.notifyAndClose(
        c,
        now,
        actions,
        BGP_ERR_OPEN_MESSAGE,
        OPEN_ERR_UNSUPPORTED_OPTIONAL_PARAMETER,
      );
    }
    const negotiated = this.negotiate(open, peerAs);
    if (negotiated.families.length === 0) {
      // No family in common: nothing could ever be exchanged. FRR answers the same way.
      return this.notifyAndClose(c, now, actions, BGP_ERR_OPEN_MESSAGE, OPEN_ERR_UNSUPPORTED_CAPABILITY);
    }
    if (this.collisionLost(c, open, peerAs, now, actions)) return;
    c.peerOpen = open;
    c.negotiated = negotiated;
    // RFC 8654 §4: once both sides advertise Extended Message, frames may be up to 65535 octets.
    c.frames.extendedMessage = negotiated.extendedMessage;
    c.state = 'OpenConfirm';
    this.sendKeepalive(c, now, actions);
    this.restartHold(c, now);
    this.noteState(now, actions, 'BGPOpen');
  }

  /**
   * RFC 4271 §6.8 on an OPEN received on `c`: closes the losers with Cease/Connection Collision
   * Resolution (RFC 4486 §4) and says whether `c` lost. The connection initiated by the higher BGP
   * Identifier is kept (equal ones: the higher AS, RFC 6286 §2.3). Our KEEPALIVE commits to a
   * connection (the peer may go Established on it), so one is given up only while both ends agree:
   * - against one in OpenConfirm: the RFC's rule;
   * - against one in OpenSent (§6.8 allows it, the Identifier is known): the OpenSent one if it
   *   loses, `c` if it loses to ours; against the peer's, both stay, as the peer may have given
   *   that one up (its OPEN on it, then the rule above, or its close will follow);
   * - our connect still under way: the peer has no OPEN from us on it and may count on `c`.
   */
  private collisionLost(
    c: Connection,
    open: OpenMessage,
    peerAs: number,
    now: number,
    actions: SessionAction[],
  ): boolean {
    if (this.connecting) this.connectGivenUp = true;
    const local = ipv4ToNumber(this.config.routerId);
    const peer = ipv4ToNumber(open.bgpId);
    const localHigher = local > peer || (local === peer && this.config.localAs > peerAs);
    const kept = (x: Connection) => (x.direction === 'outbound') === localHigher;
    for (const other of [...this.connections.values()]) {
      if (other === c) continue;
      let loser: Connection | undefined;
      if (other.state === 'Established') loser = c;
      else if (other.state === 'OpenConfirm') loser = kept(c) ? other : c;
      else if (kept(c)) loser = other;
      else if (other.direction === 'outbound') loser = c;
      if (!loser) continue;
      this.notifyAndClose(loser, now, actions, BGP_ERR_CEASE, CEASE_CONNECTION_COLLISION_RESOLUTION);
      if (loser === c) return true;
    }
    return false;
  }

  private onEstablished(c: Connection, now: number, actions: SessionAction[]): void {
    c.state = 'Established';
    this.established = c;
    this.idleHoldMs = IDLE_HOLD_INITIAL_MS;
    this.connectRetryDeadline = undefined;
    this.counters.establishedTransitions++;
    this.lastChangeAt = now;
    // Any other connection still opening loses to the Established one (§6.8).
    for (const other of [...this.connections.values()]) {
      if (other !== c) {
        this.notifyAndClose(other, now, actions, BGP_ERR_CEASE, CEASE_CONNECTION_COLLISION_RESOLUTION);
      }
    }
    this.noteState(now, actions, 'KeepAliveMsg');
    actions.push({ type: 'established', negotiated: c.negotiated! });
  }

  private onNotification(c: Connection, m: NotificationMessage, now: number, actions: SessionAction[]): void {
    const text = notificationName(m.code, m.subcode);
    this.connections.delete(c.id);
    actions.push({ type: 'close', connection: c.id });
    const reason: DownReason = { kind: 'notification-received', code: m.code, subcode: m.subcode, text };
    if (c === this.established) this.sessionDown(now, actions, reason);
    else this.afterConnectionLoss(now, actions, `NotifMsg: ${text}`, reason);
  }

  private negotiate(open: OpenMessage, peerAs: number): NegotiatedSession {
    const caps = openCapabilities(open);
    const peerFamilies: AddressFamily[] = [];
    let fourOctetAs = false;
    let routeRefresh = false;
    let extendedMessage = false;
    let peerHostname: string | undefined;
    let peerGracefulRestart: NegotiatedSession['peerGracefulRestart'];
    for (const cap of caps) {
      switch (cap.type) {
        case 'multiprotocol':
          peerFamilies.push({ afi: cap.afi, safi: cap.safi });
          break;
        case 'four-octet-as':
          fourOctetAs = true;
          break;
        case 'route-refresh':
        case 'enhanced-route-refresh':
          routeRefresh = true;
          break;
        case 'extended-message':
          extendedMessage = true;
          break;
        case 'fqdn':
          peerHostname = cap.hostname;
          break;
        case 'graceful-restart':
          peerGracefulRestart = {
            restartTimeSeconds: cap.restartTime,
            restarting: cap.restartState,
            families: cap.families.map((f) => ({
              afi: f.afi,
              safi: f.safi,
              forwardingPreserved: f.forwardingState,
            })),
          };
          break;
        default:
          break;
      }
    }
    // RFC 4760 §8: a peer without the multiprotocol capability speaks IPv4 unicast only.
    const hasMp = caps.some((cap) => cap.type === 'multiprotocol');
    if (!hasMp) peerFamilies.push({ afi: AFI_IPV4, safi: SAFI_UNICAST });
    const ours = new Set(this.config.families.map(familyKey));
    const families = peerFamilies.filter((f) => ours.has(familyKey(f)));
    const localHold = this.config.holdTimeSeconds ?? DEFAULT_HOLD_TIME_SECONDS;
    // RFC 4271 §4.2: the smaller of the two hold times; keepalive a third of it unless configured lower.
    const holdTimeSeconds = Math.min(localHold, open.holdTime);
    const keepaliveSeconds =
      holdTimeSeconds === 0
        ? 0
        : Math.max(
            1,
            Math.min(this.config.keepaliveSeconds ?? Math.floor(holdTimeSeconds / 3), holdTimeSeconds),
          );
    return {
      peerRouterId: open.bgpId,
      peerAs,
      holdTimeSeconds,
      keepaliveSeconds,
      fourOctetAs,
      routeRefresh,
      extendedMessage: extendedMessage && this.offersExtendedMessage(),
      families,
      ...(peerGracefulRestart ? { peerGracefulRestart } : {}),
      ...(peerHostname !== undefined ? { peerHostname } : {}),
      peerCapabilities: caps,
    };
  }

  private offersExtendedMessage(): boolean {
    return true;
  }

  private buildOpen(): OpenMessage {
    const capabilities: Capability[] = this.config.families.map((f) => ({
      type: 'multiprotocol' as const,
      afi: f.afi,
      safi: f.safi,
    }));
    capabilities.push({ type: 'route-refresh' });
    capabilities.push({ type: 'enhanced-route-refresh' });
    capabilities.push({ type: 'four-octet-as', asn: this.config.localAs });
    capabilities.push({ type: 'extended-message' });
    if (this.config.gracefulRestartSeconds !== undefined) {
      // Helper only: we do not preserve forwarding state across our own restart (F=0, no families).
      capabilities.push({
        type: 'graceful-restart',
        restartState: false,
        notification: false,
        restartTime: this.config.gracefulRestartSeconds,
        families: [],
      });
    }
    if (this.config.hostname) {
      capabilities.push({ type: 'fqdn', hostname: this.config.hostname, domain: '' });
    }
    return {
      type: 'open',
      version: 4,
      myAs: this.config.localAs > 0xffff ? AS_TRANS : this.config.localAs,
      holdTime: this.config.holdTimeSeconds ?? DEFAULT_HOLD_TIME_SECONDS,
      bgpId: this.config.routerId,
      optionalParameters: [{ type: 'capabilities', capabilities }],
    };
  }

  // ---- helpers ------------------------------------------------------------------------------

  private beginConnecting(now: number, actions: SessionAction[], reason: string): void {
    // Starting over: a connect still under way is wanted again.
    this.connectGivenUp = false;
    if (this.config.passive) {
      this.idleState = 'Active';
    } else {
      this.idleState = 'Connect';
      if (!this.connecting && !this.hasOutbound()) {
        this.connecting = true;
        actions.push({ type: 'connect' });
      }
    }
    this.connectRetryDeadline = now + this.connectRetryMs();
    this.noteState(now, actions, reason);
  }

  private hasOutbound(): boolean {
    for (const c of this.connections.values()) if (c.direction === 'outbound') return true;
    return false;
  }

  private connectRetryMs(): number {
    return (this.config.connectRetrySeconds ?? DEFAULT_CONNECT_RETRY_SECONDS) * 1000;
  }

  private restartHold(c: Connection, now: number): void {
    const hold = c.negotiated?.holdTimeSeconds;
    if (hold === undefined) return;
    c.holdDeadline = hold === 0 ? Number.POSITIVE_INFINITY : now + hold * 1000;
  }

  private restartKeepalive(c: Connection, now: number): void {
    const k = c.negotiated?.keepaliveSeconds;
    if (k === undefined || c.state === 'OpenSent') return;
    c.keepaliveDeadline = k === 0 ? Number.POSITIVE_INFINITY : now + k * 1000;
  }

  private sendKeepalive(c: Connection, now: number, actions: SessionAction[]): void {
    this.counters.keepalivesOut++;
    this.send(c, now, actions, { type: 'keepalive' });
  }

  private send(c: Connection, now: number, actions: SessionAction[], m: BgpMessage): void {
    const data = encodeBgpMessage(m, {
      fourOctetAs: c.negotiated?.fourOctetAs ?? true,
      extendedMessage: c.negotiated?.extendedMessage ?? false,
    });
    actions.push({ type: 'send', connection: c.id, data });
    this.counters.messagesOut++;
    if (m.type === 'update') this.counters.updatesOut++;
    // RFC 4271 §4.4: KEEPALIVEs are only needed when nothing else was sent.
    this.restartKeepalive(c, now);
  }

  private sendNotification(
    connection: number,
    _now: number,
    actions: SessionAction[],
    code: number,
    subcode: number,
    data: Uint8Array = new Uint8Array(0),
  ): void {
    const bytes = encodeBgpMessage({ type: 'notification', code, subcode, data }, { fourOctetAs: true });
    actions.push({ type: 'send', connection, data: bytes });
    this.counters.notificationsOut++;
    this.counters.messagesOut++;
  }

  private notifyAndClose(
    c: Connection,
    now: number,
    actions: SessionAction[],
    code: number,
    subcode: number,
    data: Uint8Array = new Uint8Array(0),
  ): void {
    this.sendNotification(c.id, now, actions, code, subcode, data);
    this.connections.delete(c.id);
    actions.push({ type: 'close', connection: c.id });
    const reason: DownReason = {
      kind: 'notification-sent',
      code,
      subcode,
      text: notificationName(code, subcode),
    };
    if (c === this.established) this.sessionDown(now, actions, reason);
    else this.afterConnectionLoss(now, actions, `NOTIFICATION sent: ${reason.text}`, reason);
  }

  private protocolError(c: Connection, now: number, actions: SessionAction[], e: unknown): void {
    if (e instanceof BgpWireError) {
      this.notifyAndClose(c, now, actions, e.notify.code, e.notify.subcode, e.notify.data);
    } else if (e instanceof WireError) {
      // A codec error without a mapped NOTIFICATION: the message cannot be trusted; reset.
      this.notifyAndClose(c, now, actions, 3, 1);
    } else {
      throw e;
    }
  }

  private fsmError(c: Connection, now: number, actions: SessionAction[], _what: string): void {
    // RFC 6608: FSM error subcodes by state.
    const subcode = c.state === 'OpenSent' ? 1 : c.state === 'OpenConfirm' ? 2 : 3;
    this.notifyAndClose(c, now, actions, BGP_ERR_FSM, subcode);
  }

  private sessionDown(now: number, actions: SessionAction[], reason: DownReason): void {
    this.established = undefined;
    this.counters.droppedTransitions++;
    this.lastChangeAt = now;
    this.lastDown = reason;
    actions.push({ type: 'down', reason });
    this.scheduleRestart(now, actions);
  }

  private afterConnectionLoss(now: number, actions: SessionAction[], why: string, reason?: DownReason): void {
    if (reason) this.lastDown = reason;
    if (this.connections.size > 0 || this.established) {
      this.noteState(now, actions, why);
      return;
    }
    if (this.started) this.scheduleRestart(now, actions);
    else this.noteState(now, actions, why);
  }

  /** After a drop: Idle, then start again when the IdleHold timer expires (doubling up to a minute). */
  private scheduleRestart(now: number, actions: SessionAction[]): void {
    this.idleState = 'Idle';
    this.connectRetryDeadline = undefined;
    if (this.connections.size === 0 && this.started) {
      this.idleHoldDeadline = now + this.idleHoldMs;
      this.idleHoldMs = Math.min(this.idleHoldMs * 2, IDLE_HOLD_MAX_MS);
    }
    this.noteState(now, actions, 'session reset');
  }

  private noteState(_now: number, actions: SessionAction[], reason: string): void {
    const to = this.state;
    if (to !== this.lastState) {
      actions.push({ type: 'state', from: this.lastState, to, reason });
      this.lastState = to;
    }
  }
}

function shutdownData(message: string): Uint8Array {
  // RFC 9003 §2: a length-prefixed UTF-8 shutdown communication (at most 255 bytes).
  if (message === '') return new Uint8Array(0);
  const text = new TextEncoder().encode(message).subarray(0, 255);
  const out = new Uint8Array(1 + text.length);
  out[0] = text.length;
  out.set(text, 1);
  return out;
}
