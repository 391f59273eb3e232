/**
 * The lab's web dashboard: one page that shows a running lab — the fabric drawn from its topology
 * (nodes by tier, links coloured by state), BGP sessions per device, flows, faults and counters —
 * refreshed while the simulation runs. A thin face: everything comes from the same report and
 * state the CLI prints, served as JSON at /api/lab.
 */
import { ApiServer } from '../node/api-server.js';
import { labReport } from '../lab/report.js';
import type { BuiltLab } from '../lab/topology.js';

export interface LabSnapshot {
  readonly name: string;
  readonly nowMs: number;
  readonly untilMs: number;
  readonly running: boolean;
  readonly nodes: readonly { readonly name: string; readonly kind: string }[];
  readonly links: readonly { readonly a: string; readonly b: string; readonly up: boolean }[];
  readonly sessions: Readonly<
    Record<string, readonly { peer: string; description: string; state: string }[]>
  >;
  /** M-LAG leaves: their DFS group's state and role, and the size of the tables they sync. */
  readonly mlag: readonly {
    readonly device: string;
    readonly state: string;
    readonly role: string;
    readonly macs: number;
    readonly neighbors: number;
  }[];
  readonly report: ReturnType<typeof labReport>;
}

export function labSnapshot(lab: BuiltLab, running: boolean): LabSnapshot {
  const t = lab.topology;
  const sessions: Record<string, { peer: string; description: string; state: string }[]> = {};
  for (const [name, c] of lab.controls) {
    sessions[name] = c.speaker.peerList().map((p) => ({
      peer: p.config.address,
      description: p.config.description ?? '',
      state: p.session.state,
    }));
  }
  return {
    name: t.name,
    nowMs: lab.fabric.sim.now / 1e6,
    untilMs: t.untilNs / 1e6,
    running,
    nodes: t.nodes.map((n) => ({ name: n.name, kind: n.kind })),
    links: t.links.map((l) => ({
      a: `${l.a.node}:${l.a.port}`,
      b: `${l.b.node}:${l.b.port}`,
      up: lab.fabric.link(l.a.node, l.a.port)?.up ?? false,
    })),
    sessions,
    mlag: [...lab.mlagDevices].map(([device, m]) => {
      const tables = m.tables();
      return {
        device,
        state: m.group.state,
        role: m.group.role,
        macs: tables.macs.length,
        neighbors: tables.neighbors.length,
      };
    }),
    report: labReport(lab),
  };
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the dashboard for `lab`; `running()` says whether the simulation is still advancing. */
export async function startDashboard(
  lab: BuiltLab,
  running: () => boolean,
  options: { host?: string; port?: number } = {},
): Promise<Dashboard> {
  const server = new ApiServer()
    .page('/', 'text/html; charset=utf-8', PAGE)
    .route('/api/lab', () => labSnapshot(lab, running()));
  const host = options.host ?? '127.0.0.1';
  await server.listen(host, options.port ?? 8080);
  return { url: `http://${host}:${server.port}/`, close: () => server.close() };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>twinleaf lab</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.4em 0 .4em}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}.bad{color:#b00}.ok{color:#080}
svg text{font-size:11px}#status{color:#666}
</style></head><body>
<h1 id="title">twinleaf lab</h1><div id="status"></div>
<h2>Fabric</h2><svg id="fabric" width="960" height="300"></svg>
<h2>Flows</h2><table id="flows"></table>
<h2>Faults</h2><table id="faults"></table>
<h2>M-LAG</h2><table id="mlag"></table>
<h2>BGP sessions</h2><table id="sessions"></table>
<h2>Counters</h2><table id="counters"></table>
<script>
const tiers={spine:0,leaf:1,host:2};
function table(id,head,rows){const t=document.getElementById(id);
t.innerHTML='<tr>'+head.map(h=>'<th>'+h+'</th>').join('')+'</tr>'+rows.map(r=>'<tr>'+r.map(c=>'<td>'+c+'</td>').join('')+'</tr>').join('');}
function draw(s){const svg=document.getElementById('fabric');const pos={};const rows=[[],[],[]];
for(const n of s.nodes)rows[tiers[n.kind]].push(n);
rows.forEach((r,i)=>r.forEach((n,j)=>{pos[n.name]=[(j+1)*960/(r.length+1),40+i*110];}));
let out='';for(const l of s.links){const a=pos[l.a.split(':')[0]],b=pos[l.b.split(':')[0]];
out+='<line x1="'+a[0]+'" y1="'+a[1]+'" x2="'+b[0]+'" y2="'+b[1]+'" stroke="'+(l.up?'#4a4':'#c33')+'" stroke-width="2"'+(l.up?'':' stroke-dasharray="4"')+'/>';}
for(const n of s.nodes){const p=pos[n.name];out+='<circle cx="'+p[0]+'" cy="'+p[1]+'" r="16" fill="'+({spine:'#468',leaf:'#6a4',host:'#bbb'}[n.kind])+'"/><text x="'+p[0]+'" y="'+(p[1]+30)+'" text-anchor="middle">'+n.name+'</text>';}
svg.innerHTML=out;}
async function refresh(){const s=await (await fetch('/api/lab')).json();
document.getElementById('title').textContent='twinleaf lab: '+s.name;
document.getElementById('status').textContent=(s.running?'running':'finished')+' at '+s.nowMs.toFixed(1)+' ms of '+s.untilMs+' ms simulated';
draw(s);const r=s.report;
table('flows',['flow','src','dst','sent','received','lost','dup','reord','p99 ms','Mb/s'],r.flows.map(f=>[f.name,f.src,f.dst,f.sent,f.received,'<span class="'+(f.lost?'bad':'ok')+'">'+f.lost+'</span>',f.duplicated,f.reordered,f.latencyMs?f.latencyMs.p99:'-',f.goodputMbps.toFixed(1)]));
table('faults',['fault','at ms','action','target','lost','convergence ms','tables agree'],r.faults.map(f=>[f.name,f.at,f.action,f.target,f.lost,f.convergenceMs,f.tablesAgree===undefined?'':f.tablesAgree?'yes':'<span class="bad">no</span>']));
table('mlag',['device','state','role','MACs','neighbours'],s.mlag.map(m=>[m.device,'<span class="'+(m.state==='paired'?'ok':'bad')+'">'+m.state+'</span>',m.role,m.macs,m.neighbors]));
table('sessions',['device','peer','neighbor','state'],Object.entries(s.sessions).flatMap(([d,ps])=>ps.map(p=>[d,p.peer,p.description,'<span class="'+(p.state==='Established'?'ok':'bad')+'">'+p.state+'</span>'])));
const names=[...new Set(Object.values(r.counters).flatMap(c=>Object.keys(c)))];
table('counters',['device',...names],Object.entries(r.counters).map(([d,c])=>[d,...names.map(n=>c[n]??'')]));
if(s.running)setTimeout(refresh,500);}
refresh();
</script></body></html>
`;
