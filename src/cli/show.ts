/**
 * `twinleaf show ...`: asks a running daemon over its local HTTP API and prints FRR-like tables,
 * or the JSON document as it is with `--json`.
 */
import type { BgpSummary, EvpnRouteJson } from '../api/bgp.js';

export interface ApiTarget {
  readonly host: string;
  readonly port: number;
}

export async function fetchApi<T>(target: ApiTarget, path: string): Promise<T> {
  const url = `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${path}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(
      `cannot reach the twinleaf daemon API at ${url} (${cause}); is \`twinleaf daemon\` running, and is --api right?`,
    );
  }
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`daemon API ${path}: ${body.error ?? res.statusText}`);
  return body;
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Seconds as FRR prints uptimes: 00:01:05, 2d03h04m. */
export function formatUptime(seconds: number): string {
  if (seconds < 86400) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return [h, m, s].map((x) => String(x).padStart(2, '0')).join(':');
  }
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${d}d${String(h).padStart(2, '0')}h${String(m).padStart(2, '0')}m`;
}

export function renderBgpSummary(s: BgpSummary): string {
  const head = `BGP router identifier ${s.routerId}, local AS number ${s.as}\nRIB entries: l2vpn-evpn ${s.ribCount['l2vpn-evpn']}, ipv4-unicast ${s.ribCount['ipv4-unicast']}${s.ribCount['rt-constraint'] > 0 ? `, rt-constraint memberships received ${s.ribCount['rt-constraint']}` : ''}\n`;
  const rows = s.peers.map((p) => [
    p.peer,
    String(p.remoteAs),
    String(p.msgRcvd),
    String(p.msgSent),
    formatUptime(p.stateSeconds),
    p.state === 'Established' ? String(p.pfxRcd['l2vpn-evpn'] ?? 0) : p.state,
    p.state === 'Established' ? String(p.pfxRcd['ipv4-unicast'] ?? 0) : '',
    p.hostname ?? p.description ?? '',
  ]);
  return `${head}\n${table(['Neighbor', 'AS', 'MsgRcvd', 'MsgSent', 'Up/Down', 'EVPN PfxRcd', 'IPv4 PfxRcd', 'Desc'], rows)}\n\nTotal number of neighbors ${s.peers.length}`;
}

export function renderEvpnRoutes(routes: readonly EvpnRouteJson[]): string {
  const lines: string[] = [
    'Status codes: * valid, > best, S stale',
    `   ${'Network'.padEnd(56)} ${'Next Hop'.padEnd(16)} LocPrf Path`,
  ];
  let rd = '';
  for (const r of routes) {
    if (r.rd !== rd) {
      rd = r.rd;
      lines.push(`Route Distinguisher: ${rd}`);
    }
    r.paths.forEach((p, i) => {
      const status = `${p.stale ? 'S' : '*'}${p.best ? '>' : ' '}`;
      const network = i === 0 ? r.prefix : '';
      lines.push(
        `${status} ${network.padEnd(56)} ${p.nexthop.padEnd(16)} ${String(p.localPref).padStart(6)} ${p.asPath} ${p.origin === 'igp' ? 'i' : p.origin === 'egp' ? 'e' : '?'}`,
      );
      if (p.extendedCommunities.length > 0) lines.push(`${' '.repeat(6)}${p.extendedCommunities.join(' ')}`);
    });
  }
  lines.push(
    '',
    `Displayed ${routes.length} prefixes (${routes.reduce((n, r) => n + r.paths.length, 0)} paths)`,
  );
  return lines.join('\n');
}
