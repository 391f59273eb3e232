/**
 * Network namespaces for interop tests against real peers (FRR, GoBGP) on this machine.
 *
 * Everything a lab creates is named after this process (`tl-<pid>-<n>` namespaces, `tl<pid36>v<n>`
 * veth ends in the root namespace) and is removed by `lab.cleanup()`: `withNetns` calls it when the
 * body returns, throws, times out or its signal aborts; a process-exit / signal hook is the last resort.
 * Root is required; a missing `ip` or a failing command is an error with the command's stderr, never a skip.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every namespace this harness creates starts with this. */
export const NS_PREFIX = 'tl-';

/** Namespace name prefix of this process: `tl-<pid>-`. */
export const OWN_NS_PREFIX = `${NS_PREFIX}${process.pid}-`;

let nsCounter = 0;
let linkCounter = 0;
let labCounter = 0;

/** A namespace reference: a `Netns`, a namespace name, or null/undefined for the root namespace. */
export type NsRef = Netns | string | null | undefined;

export interface ExecOptions {
  /** Written to the command's stdin. */
  readonly input?: string;
  /** Kills the command after this long (default 30 s). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Async only: aborting kills the command. */
  readonly signal?: AbortSignal;
}

/** A command that exited non-zero, was killed or could not be started. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number | string | null,
    readonly signalName: string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const how = signalName !== null ? `killed by ${signalName}` : `exit ${String(code)}`;
    const detail = (stderr.trim() || stdout.trim()).slice(-4000);
    super(`\`${argv.join(' ')}\` failed (${how})${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

function nsName(ns: NsRef): string | undefined {
  if (ns === null || ns === undefined) return undefined;
  return typeof ns === 'string' ? ns : ns.name;
}

/** argv for running `cmd args` inside `ns` (`ip netns exec`), or directly for the root namespace. */
export function nsArgv(ns: NsRef, cmd: string, args: readonly string[]): [string, string[]] {
  const name = nsName(ns);
  return name === undefined ? [cmd, [...args]] : ['ip', ['netns', 'exec', name, cmd, ...args]];
}

function toText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** Runs `cmd args` in `ns` and returns stdout; throws CommandError on failure. */
export function execSync(ns: NsRef, cmd: string, args: readonly string[], opts: ExecOptions = {}): string {
  const [file, argv] = nsArgv(ns, cmd, args);
  try {
    return execFileSync(file, argv, {
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
    });
  } catch (e) {
    const err = e as {
      status?: number | null;
      code?: string;
      signal?: string | null;
      stdout?: unknown;
      stderr?: unknown;
      message: string;
    };
    throw new CommandError(
      [file, ...argv],
      err.status ?? err.code ?? null,
      err.signal ?? null,
      toText(err.stdout),
      toText(err.stderr) || (err.status === undefined ? err.message : ''),
    );
  }
}

/** Async `execSync`: resolves with stdout, rejects with CommandError. */
export function exec(
  ns: NsRef,
  cmd: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<string> {
  const [file, argv] = nsArgv(ns, cmd, args);
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      argv,
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 256 * 1024 * 1024,
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const err = error as { code?: number | string | null; signal?: string | null; message: string };
        const spawnFailed = typeof err.code === 'string';
        reject(
          new CommandError(
            [file, ...argv],
            err.code ?? null,
            err.signal ?? null,
            stdout,
            stderr || (spawnFailed ? err.message : ''),
          ),
        );
      },
    );
    // A command that does not read stdin must not turn our write into an unhandled EPIPE.
    child.stdin?.on('error', () => {});
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** `ip netns list` names (only the names). */
export function listNamespaces(): string[] {
  return execSync(null, 'ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** Namespaces created by this process (`tl-<pid>-*`). */
export function listOwnNamespaces(): string[] {
  return listNamespaces().filter((n) => n.startsWith(OWN_NS_PREFIX));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function nsPids(name: string): number[] {
  try {
    return execSync(null, 'ip', ['netns', 'pids', name], { timeoutMs: 5000 })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** SIGKILLs every process inside the namespace, then deletes it. Returns an error text or undefined. */
function destroyNamespaceSync(name: string): string | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const pid of nsPids(name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    try {
      execSync(null, 'ip', ['netns', 'del', name], { timeoutMs: 10_000 });
      return undefined;
    } catch (e) {
      if (!listNamespaces().includes(name)) return undefined;
      if (attempt === 2) return `ip netns del ${name}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/**
 * Removes `tl-<pid>-*` namespaces (killing the processes still inside them) and `$TMPDIR/tl-<pid>-L*`
 * lab directories whose creating process is dead, i.e. left by a run that was SIGKILLed. `withNetns`
 * calls it once per process. Returns what it removed.
 */
export function reapStaleNamespaces(): string[] {
  const removed: string[] = [];
  const stale = (pid: string | undefined) =>
    pid !== undefined && Number(pid) !== process.pid && !pidAlive(Number(pid));
  for (const name of listNamespaces()) {
    const m = /^tl-(\d+)-\d+/.exec(name);
    if (m && stale(m[1]) && destroyNamespaceSync(name) === undefined) removed.push(name);
  }
  for (const entry of readdirSync(tmpdir())) {
    const m = /^tl-(\d+)-L\d+-/.exec(entry);
    if (!m || !stale(m[1])) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(join(tmpdir(), entry));
  }
  return removed;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `p` or `ms`, whichever comes first, without leaving a timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(text: string, lines: number): string {
  const all = text.split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all.slice(-lines).join('\n');
}

/** Last `lines` lines of a file, or a note that it does not exist. */
export function fileTail(path: string, lines = 30): string {
  if (!existsSync(path)) return `(${path} does not exist)`;
  try {
    return tail(readFileSync(path, 'utf8'), lines);
  } catch (e) {
    return `(cannot read ${path}: ${(e as Error).message})`;
  }
}

export interface WaitForOptions {
  /** Poll interval (default 200 ms). */
  readonly intervalMs?: number;
  /** Stops waiting (rejects) when aborted. */
  readonly signal?: AbortSignal;
  /** The state to show when the wait fails (e.g. `show bgp summary` output, log tails). */
  readonly describe?: () => string | Promise<string>;
  /** Called each round; a string return fails the wait at once (e.g. "bgpd exited with code 1"). */
  readonly failIf?: () => string | undefined;
}

async function safeDescribe(describe: WaitForOptions['describe']): Promise<string> {
  if (!describe) return '';
  try {
    return await describe();
  } catch (e) {
    return `(describing the state failed: ${(e as Error).message})`;
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 2000));
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 2000);
  } catch {
    return String(v);
  }
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned). A throwing predicate counts as
 * "not yet". On timeout, abort or `failIf` the error names `what`, the last result or error of the
 * predicate, and `describe()`.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  opts: WaitForOptions = {},
): Promise<T> {
  const start = Date.now();
  let last = 'predicate never ran';
  while (true) {
    const failure = opts.failIf?.();
    if (failure !== undefined) {
      throw new Error(`${failure} (while waiting for ${what})\n${await safeDescribe(opts.describe)}`);
    }
    try {
      const v = await predicate();
      if (v) return v;
      last = `predicate returned ${show(v)}`;
    } catch (e) {
      last = `predicate threw: ${(e as Error).message}`;
    }
    const elapsed = Date.now() - start;
    if (opts.signal?.aborted) {
      throw new Error(
        `Aborted after ${elapsed} ms waiting for ${what} (${String(opts.signal.reason)}); ${last}\n${await safeDescribe(opts.describe)}`,
      );
    }
    if (elapsed >= timeoutMs) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}; ${last}\n${await safeDescribe(opts.describe)}`,
      );
    }
    await sleep(Math.min(opts.intervalMs ?? 200, Math.max(1, timeoutMs - elapsed)));
  }
}

/** What a peer under test (FRR, gobgpd, the twinleaf daemon) contributes to a wait. */
export interface PeerWaitContext {
  /** Stops waiting when the lab is cleaned up. */
  readonly signal?: AbortSignal;
  /** The peer's state for the timeout error (show commands, log tails). */
  readonly describe: () => string | Promise<string>;
  /** Why the peer can no longer answer (a daemon exited), or undefined. */
  readonly dead: () => string | undefined;
}

/**
 * waitFor for a peer: its state is added to the timeout error, and the wait fails at once if the peer
 * dies. Caller options come first (their description, then the peer's; their failIf, then death).
 */
export function waitForPeer<T>(
  peer: PeerWaitContext,
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  opts: WaitForOptions = {},
): Promise<T> {
  return waitFor(predicate, timeoutMs, what, {
    ...(peer.signal ? { signal: peer.signal } : {}),
    describe: async () => {
      const own = opts.describe ? `${await opts.describe()}\n` : '';
      return own + (await peer.describe());
    },
    failIf: () => opts.failIf?.() ?? peer.dead(),
    ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
  });
}

/** A namespace created by a lab. */
export class Netns {
  constructor(
    readonly lab: Lab,
    readonly name: string,
  ) {}

  /** `ip -n <ns> args...`; returns stdout. */
  ip(...args: string[]): string {
    return execSync(null, 'ip', ['-n', this.name, ...args]);
  }

  execSync(cmd: string, args: readonly string[], opts?: ExecOptions): string {
    return execSync(this, cmd, args, opts);
  }

  exec(cmd: string, args: readonly string[], opts?: ExecOptions): Promise<string> {
    return exec(this, cmd, args, opts);
  }

  /** Adds an address in CIDR form (IPv4 or IPv6; IPv6 without DAD so it is usable at once). */
  addAddress(dev: string, cidr: string): void {
    if (!cidr.includes('/')) throw new Error(`addAddress(${dev}, ${cidr}): give a prefix length`);
    const v6 = cidr.includes(':');
    this.ip(...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', dev, ...(v6 ? ['nodad'] : []));
  }

  /** Adds a host address (/32 or /128 unless a length is given) on `lo`, e.g. a VTEP or router id. */
  addLoopback(addr: string): void {
    this.addAddress('lo', addr.includes('/') ? addr : `${addr}/${addr.includes(':') ? 128 : 32}`);
  }

  linkUp(dev: string): void {
    this.ip('link', 'set', 'dev', dev, 'up');
  }

  /** `sysctl -w key=value` inside the namespace (net.* keys are per namespace). */
  sysctl(key: string, value: string | number): void {
    this.execSync('sysctl', ['-qw', `${key}=${value}`]);
  }

  /** Starts a long-running process inside this namespace; the lab kills its process group on cleanup. */
  spawn(cmd: string, args: readonly string[], opts?: SpawnOptions): LabProcess {
    return this.lab.spawn(this, cmd, args, opts);
  }
}

export interface VethEnd {
  /** null: the root namespace. */
  readonly ns: Netns | null;
  readonly name: string;
}

export interface VethOptions {
  /** Interface names; default `eth<k>` inside a namespace, `tl<pid36>v<n>` in the root namespace. */
  readonly nameA?: string;
  readonly nameB?: string;
  /** Addresses (CIDR) for each end. */
  readonly addrA?: string | readonly string[];
  readonly addrB?: string | readonly string[];
  readonly macA?: string;
  readonly macB?: string;
  readonly mtu?: number;
  /** Bring both ends up (default true). */
  readonly up?: boolean;
}

export interface Veth {
  readonly a: VethEnd;
  readonly b: VethEnd;
}

export interface SpawnOptions {
  /** For logs and errors (default: the command's base name). */
  readonly name?: string;
  /** stdout and stderr go here (default `<lab dir>/<name>-<n>.out`). */
  readonly logFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly error?: string;
}

/** A long-running process in its own process group. */
export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly logFile: string;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** undefined while running. */
  exitInfo(): ExitInfo | undefined;
  logTail(lines?: number): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs` (default 3000). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group gone */
  }
}

export interface Lab {
  /** `tl-<pid>-L<n>`; for logs. */
  readonly id: string;
  /** Private directory (mode 0755 so daemons that drop privileges can traverse it); removed on cleanup. */
  readonly dir: string;
  /** Aborted when cleanup starts. */
  readonly signal: AbortSignal;
  readonly closed: boolean;
  /** A new namespace with `lo` up; `label` is appended to the name for readability. */
  netns(label?: string): Netns;
  /** A veth pair between two namespaces (null: the root namespace). */
  veth(a: Netns | null, b: Netns | null, opts?: VethOptions): Veth;
  /** A long-running process in `ns` (null: root) in its own process group, killed on cleanup. */
  spawn(ns: NsRef, cmd: string, args: readonly string[], opts?: SpawnOptions): LabProcess;
  /** A fresh subdirectory of `dir` (mode 0755). */
  subdir(name: string): string;
  /** Runs `fn` during cleanup, before processes are stopped (last registered runs first). */
  defer(fn: () => void | Promise<void>): void;
  readonly namespaces: readonly Netns[];
  readonly processes: readonly LabProcess[];
  /** Stops every process, deletes every namespace and root-side veth, removes `dir`. Idempotent. */
  cleanup(): Promise<void>;
}

const activeLabs = new Set<LabImpl>();
let hooksInstalled = false;

function exitHook(): void {
  for (const lab of activeLabs) lab.cleanupSync();
}

function signalHook(signal: NodeJS.Signals): void {
  exitHook();
  process.removeListener(signal, signalHook);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', exitHook);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, signalHook);
}

function uninstallHooksIfIdle(): void {
  if (!hooksInstalled || activeLabs.size > 0) return;
  hooksInstalled = false;
  process.removeListener('exit', exitHook);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, signalHook);
}

class LabImpl implements Lab {
  readonly id = `${NS_PREFIX}${process.pid}-L${++labCounter}`;
  readonly dir: string;
  readonly #abort = new AbortController();
  readonly #namespaces: Netns[] = [];
  readonly #rootLinks: string[] = [];
  readonly #processes: ProcessImpl[] = [];
  readonly #deferred: (() => void | Promise<void>)[] = [];
  readonly #usedNames = new Map<string, Set<string>>();
  #closed = false;
  #cleaning: Promise<void> | undefined;

  constructor() {
    if (process.getuid?.() !== 0) {
      throw new Error('network namespaces need root: run the interop tests as root (CI runs them as root)');
    }
    try {
      execSync(null, 'ip', ['-V']);
    } catch (e) {
      throw new Error(`iproute2's \`ip\` cannot be run (${(e as Error).message}); install Debian's iproute2`);
    }
    this.dir = mkdtempSync(join(tmpdir(), `${this.id}-`));
    chmodSync(this.dir, 0o755);
    activeLabs.add(this);
    installHooks();
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get namespaces(): readonly Netns[] {
    return this.#namespaces;
  }
  get processes(): readonly LabProcess[] {
    return this.#processes;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`${what}: lab ${this.id} is already cleaned up`);
  }

  netns(label?: string): Netns {
    this.#checkOpen('netns');
    const suffix = label ? `-${label.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}` : '';
    const name = `${OWN_NS_PREFIX}${++nsCounter}${suffix}`;
    execSync(null, 'ip', ['netns', 'add', name]);
    const ns = new Netns(this, name);
    this.#namespaces.push(ns);
    ns.linkUp('lo');
    return ns;
  }

  #pickName(ns: Netns | null, wanted: string | undefined): string {
    if (ns === null) {
      const name = wanted ?? `tl${process.pid.toString(36)}v${(++linkCounter).toString(36)}`;
      if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`);
      return name;
    }
    let used = this.#usedNames.get(ns.name);
    if (!used) this.#usedNames.set(ns.name, (used = new Set()));
    let name = wanted;
    for (let k = 0; name === undefined; k++) if (!used.has(`eth${k}`)) name = `eth${k}`;
    if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`);
    used.add(name);
    return name;
  }

  veth(a: Netns | null, b: Netns | null, opts: VethOptions = {}): Veth {
    this.#checkOpen('veth');
    const nameA = this.#pickName(a, opts.nameA);
    const nameB = this.#pickName(b, opts.nameB);
    const args = ['link', 'add', nameA];
    if (a) args.push('netns', a.name);
    if (opts.macA) args.push('address', opts.macA);
    if (opts.mtu) args.push('mtu', String(opts.mtu));
    args.push('type', 'veth', 'peer', 'name', nameB);
    if (b) args.push('netns', b.name);
    if (opts.macB) args.push('address', opts.macB);
    if (opts.mtu) args.push('mtu', String(opts.mtu));
    execSync(null, 'ip', args);
    if (a === null) this.#rootLinks.push(nameA);
    if (b === null) this.#rootLinks.push(nameB);
    const ends: [Netns | null, string, string | readonly string[] | undefined][] = [
      [a, nameA, opts.addrA],
      [b, nameB, opts.addrB],
    ];
    for (const [ns, dev, addrs] of ends) {
      const list = addrs === undefined ? [] : typeof addrs === 'string' ? [addrs] : addrs;
      for (const cidr of list) {
        if (ns) ns.addAddress(dev, cidr);
        else {
          const v6 = cidr.includes(':');
          execSync(null, 'ip', [
            ...(v6 ? ['-6'] : []),
            'addr',
            'add',
            cidr,
            'dev',
            dev,
            ...(v6 ? ['nodad'] : []),
          ]);
        }
      }
      if (opts.up ?? true) {
        if (ns) ns.linkUp(dev);
        else execSync(null, 'ip', ['link', 'set', 'dev', dev, 'up']);
      }
    }
    return { a: { ns: a, name: nameA }, b: { ns: b, name: nameB } };
  }

  subdir(name: string): string {
    this.#checkOpen('subdir');
    const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    let path = join(this.dir, safe);
    for (let k = 2; existsSync(path); k++) path = join(this.dir, `${safe}-${k}`);
    mkdirSync(path, { mode: 0o755 });
    chmodSync(path, 0o755);
    return path;
  }

  spawn(ns: NsRef, cmd: string, args: readonly string[], opts: SpawnOptions = {}): LabProcess {
    this.#checkOpen('spawn');
    const name = opts.name ?? cmd.split('/').pop() ?? cmd;
    const logFile =
      opts.logFile ??
      join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${this.#processes.length + 1}.out`);
    const proc = new ProcessImpl(name, nsArgv(ns, cmd, args), logFile, opts);
    this.#processes.push(proc);
    return proc;
  }

  defer(fn: () => void | Promise<void>): void {
    this.#checkOpen('defer');
    this.#deferred.push(fn);
  }

  cleanup(): Promise<void> {
    this.#cleaning ??= this.#cleanup();
    return this.#cleaning;
  }

  async #cleanup(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new Error(`lab ${this.id} cleaned up`));
    const problems: string[] = [];
    for (const fn of this.#deferred.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        problems.push(`deferred cleanup: ${(e as Error).message}`);
      }
    }
    await Promise.all(this.#processes.map((p) => p.stop()));
    problems.push(...this.#removeAll());
    activeLabs.delete(this);
    uninstallHooksIfIdle();
    if (problems.length > 0) throw new Error(`lab ${this.id} cleanup problems:\n${problems.join('\n')}`);
  }

  /** Last resort (process exit, signals): SIGKILL and delete synchronously. */
  cleanupSync(): void {
    this.#closed = true;
    for (const p of this.#processes) p.killNow();
    this.#removeAll();
    activeLabs.delete(this);
  }

  #removeAll(): string[] {
    const problems: string[] = [];
    for (const ns of this.#namespaces.splice(0)) {
      const problem = destroyNamespaceSync(ns.name);
      if (problem) problems.push(problem);
    }
    for (const link of this.#rootLinks.splice(0)) {
      try {
        execSync(null, 'ip', ['link', 'del', 'dev', link]);
      } catch (e) {
        const msg = (e as CommandError).stderr ?? '';
        if (!/Cannot find device|does not exist/i.test(msg)) problems.push(`ip link del ${link}: ${msg}`);
      }
    }
    if (process.env.TL_KEEP_LAB_DIR) {
      console.error(`[netns] kept lab directory ${this.dir} (TL_KEEP_LAB_DIR is set)`);
    } else {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch (e) {
        problems.push(`rm -r ${this.dir}: ${(e as Error).message}`);
      }
    }
    return problems;
  }
}

class ProcessImpl implements LabProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  readonly argv: readonly string[];
  #exit: ExitInfo | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly name: string,
    [file, args]: [string, string[]],
    readonly logFile: string,
    opts: SpawnOptions,
  ) {
    this.argv = [file, ...args];
    const fd = openSync(logFile, 'a');
    let resolveExit!: (info: ExitInfo) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    try {
      const child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
      child.once('error', (e) => {
        this.#exit ??= { code: null, signal: null, error: e.message };
        resolveExit(this.#exit);
      });
      child.once('exit', (code, signal) => {
        this.#exit ??= { code, signal };
        resolveExit(this.#exit);
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${this.argv.join(' ')}`);
      this.pid = child.pid;
    } finally {
      closeSync(fd);
    }
  }

  exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  logTail(lines = 30): string {
    return fileTail(this.logFile, lines);
  }

  stop(graceMs = 3000): Promise<void> {
    this.#stopping ??= (async () => {
      if (!this.#exit) {
        killGroup(this.pid, 'SIGTERM');
        await within(this.exited, graceMs);
      }
      killGroup(this.pid, 'SIGKILL');
      if (!this.#exit) await within(this.exited, 2000);
    })();
    return this.#stopping;
  }

  killNow(): void {
    killGroup(this.pid, 'SIGKILL');
  }
}

/** A lab for before/after-hook style tests; call `cleanup()` yourself (the exit hook is the backstop). */
export function createLab(): Lab {
  return new LabImpl();
}

export interface WithNetnsOptions {
  /**
   * Fails the body (and cleans up) after this long (default 120 s). The timer also keeps the event loop
   * alive: lab processes are unref'd, so a body awaiting only them would otherwise end the test run early
   * with node:test's "Promise resolution is still pending but the event loop has already resolved".
   */
  readonly timeoutMs?: number;
  /** E.g. node:test's `t.signal`: cleans up as soon as the test is cancelled or times out. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `body` with a fresh lab and always cleans up: after success, a throw, `timeoutMs`, or `signal`
 * aborting. A body error wins over cleanup errors (which are then attached as an AggregateError).
 */
let reapedThisProcess = false;

export async function withNetns<T>(body: (lab: Lab) => Promise<T>, opts: WithNetnsOptions = {}): Promise<T> {
  // Namespaces left by a run that was killed (SIGKILL skips cleanup) go first, once per process.
  if (!reapedThisProcess) {
    reapedThisProcess = true;
    reapStaleNamespaces();
  }
  const lab = createLab();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    const ms = opts.timeoutMs ?? 120_000;
    timer = setTimeout(() => reject(new Error(`withNetns: the body did not finish within ${ms} ms`)), ms);
    const signal = opts.signal;
    if (signal) {
      onAbort = () => reject(new Error(`withNetns: aborted (${String(signal.reason)})`));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  let bodyError: unknown;
  let result: T | undefined;
  try {
    result = await Promise.race([body(lab), interrupted]);
  } catch (e) {
    bodyError = e;
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
  try {
    await lab.cleanup();
  } catch (cleanupError) {
    if (bodyError === undefined) throw cleanupError;
    throw new AggregateError([bodyError, cleanupError], (bodyError as Error).message ?? String(bodyError));
  }
  if (bodyError !== undefined) throw bodyError;
  return result as T;
}
