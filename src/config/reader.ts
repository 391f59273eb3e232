/**
 * Reading YAML configuration (daemon configs, lab topologies and scenarios) with errors a user can act on.
 *
 * Every problem names the file, line, column and the field's path (`neighbors[1].remote-as`), and
 * all problems in a file are reported together, not one per run. Readers return a fallback value
 * after recording a problem so validation can go on; `finish()` throws if anything was wrong.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';

export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

export class ConfigContext {
  readonly file: string;
  readonly problems: ConfigProblem[] = [];
  private readonly lines = new LineCounter();
  private readonly doc: Document;

  constructor(file: string, text: string) {
    this.file = file;
    // Duplicate keys are found here, not by the parser: its check compares each key with every
    // earlier one of its map, quadratic in a map's size (seconds for a 10,000-node topology).
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    const errors = [
      ...this.doc.errors.map((e) => ({ offset: e.pos[0], message: e.message.split('\n')[0]! })),
      ...duplicateKeys(this.doc).map((offset) => ({ offset, message: DUPLICATE_KEY })),
    ].sort((a, b) => a.offset - b.offset);
    for (const e of errors) {
      const pos = this.lines.linePos(e.offset);
      this.problems.push({ file, line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message}` });
    }
  }

  root(): ConfigNode {
    return new ConfigNode(this, this.doc.contents as Node | null, '', undefined);
  }

  report(node: Node | null | undefined, path: string, message: string, fallbackNode?: Node | null): void {
    const range = node?.range ?? fallbackNode?.range;
    const pos = range ? this.lines.linePos(range[0]) : undefined;
    this.problems.push({ file: this.file, line: pos?.line ?? 0, column: pos?.col ?? 0, path, message });
  }

  /** Throws a ConfigError listing every problem found. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** YAML 1.2 §3.2.1.1: the keys of a mapping are unique (the parser's own wording). */
const DUPLICATE_KEY = 'Map keys must be unique';

/**
 * Where each key that repeats an earlier key of its map starts: scalar keys compared by value, as
 * the parser's `uniqueKeys` does, other keys never equal.
 */
function duplicateKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) offsets.push(key.range?.[0] ?? 0);
        else seen.add(key.value);
      }
    },
  });
  return offsets;
}

type Kind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

function describe(node: Node | null): Kind {
  if (node === null) return 'null';
  if (isMap(node)) return 'map';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'number') return 'number';
    if (typeof v === 'boolean') return 'boolean';
  }
  return 'string';
}

/** A position in the configuration tree. */
export class ConfigNode {
  readonly ctx: ConfigContext;
  readonly node: Node | null;
  readonly path: string;
  private readonly parent: Node | undefined;

  constructor(ctx: ConfigContext, node: Node | null, path: string, parent: Node | undefined) {
    this.ctx = ctx;
    this.node = node;
    this.path = path;
    this.parent = parent;
  }

  get present(): boolean {
    return this.node !== null && describe(this.node) !== 'null';
  }

  get isList(): boolean {
    return this.node !== null && isSeq(this.node);
  }

  get isMap(): boolean {
    return this.node !== null && isMap(this.node);
  }

  problem(message: string): void {
    this.ctx.report(this.node, this.path, message, this.parent);
  }

  /** The child field of a map (absent fields give a node with `present === false`). */
  field(key: string): ConfigNode {
    const path = this.path === '' ? key : `${this.path}.${key}`;
    if (!this.node || !isMap(this.node))
      return new ConfigNode(this.ctx, null, path, this.node ?? this.parent);
    const child = this.node.get(key, true) as Node | undefined;
    return new ConfigNode(this.ctx, child ?? null, path, this.node);
  }

  has(key: string): boolean {
    return this.field(key).present;
  }

  /** Field names present in a map. */
  keys(): string[] {
    if (!this.node || !isMap(this.node)) return [];
    return this.node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
  }

  /** Reports fields this reader does not know, suggesting the closest known name. */
  allowOnly(known: readonly string[]): void {
    if (!this.node || !isMap(this.node)) return;
    for (const pair of this.node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (known.includes(key)) continue;
      const hint = closest(key, known);
      this.ctx.report(
        pair.key as Node,
        this.path === '' ? key : `${this.path}.${key}`,
        `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; known fields: ${known.join(', ')}`,
      );
    }
  }

  expectMap(): boolean {
    if (this.node && isMap(this.node)) return true;
    this.problem(
      this.present ? `expected a map of fields, got a ${describe(this.node)}` : 'required map is missing',
    );
    return false;
  }

  /** Items of a list; a missing optional list is []. */
  list(options: { required?: boolean } = {}): ConfigNode[] {
    if (!this.present) {
      if (options.required) this.problem('required list is missing');
      return [];
    }
    if (!isSeq(this.node)) {
      this.problem(`expected a list, got a ${describe(this.node)}`);
      return [];
    }
    return this.node.items.map(
      (item, i) =>
        new ConfigNode(this.ctx, (item as Node) ?? null, `${this.path}[${i}]`, this.node ?? undefined),
    );
  }

  /** Entries of a map as [key, node] pairs. */
  entries(): [string, ConfigNode][] {
    if (!this.node || !isMap(this.node)) {
      if (this.present) this.problem(`expected a map, got a ${describe(this.node)}`);
      return [];
    }
    return this.node.items.map((pair) => {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const path = this.path === '' ? key : `${this.path}.${key}`;
      return [key, new ConfigNode(this.ctx, (pair.value as Node) ?? null, path, this.node ?? undefined)];
    });
  }

  /** The raw scalar value (string, number, boolean) or undefined when absent. */
  scalar(): string | number | boolean | undefined {
    if (!this.present) return undefined;
    if (!isScalar(this.node)) {
      this.problem(`expected a single value, got a ${describe(this.node)}`);
      return undefined;
    }
    return this.node.value as string | number | boolean;
  }

  string(options: { required?: boolean; default?: string } = {}): string {
    const v = this.scalar();
    if (v === undefined) {
      if (options.required) this.problem('required field is missing');
      return options.default ?? '';
    }
    return String(v);
  }

  optionalString(): string | undefined {
    return this.present ? this.string() : undefined;
  }

  integer(options: { required?: boolean; default?: number; min?: number; max?: number } = {}): number {
    const v = this.scalar();
    if (v === undefined) {
      if (options.required) this.problem('required field is missing');
      return options.default ?? 0;
    }
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n)) {
      this.problem(`expected an integer, got ${JSON.stringify(v)}`);
      return options.default ?? 0;
    }
    if ((options.min !== undefined && n < options.min) || (options.max !== undefined && n > options.max)) {
      this.problem(`${n} is out of range ${options.min ?? '-∞'}..${options.max ?? '∞'}`);
      return options.default ?? 0;
    }
    return n;
  }

  optionalInteger(options: { min?: number; max?: number } = {}): number | undefined {
    return this.present ? this.integer(options) : undefined;
  }

  boolean(options: { default?: boolean } = {}): boolean {
    const v = this.scalar();
    if (v === undefined) return options.default ?? false;
    if (typeof v !== 'boolean') {
      this.problem(`expected true or false, got ${JSON.stringify(v)}`);
      return options.default ?? false;
    }
    return v;
  }

  oneOf<T extends string>(choices: readonly T[], options: { required?: boolean; default?: T } = {}): T {
    const v = this.scalar();
    if (v === undefined) {
      if (options.required) this.problem(`required field is missing (one of: ${choices.join(', ')})`);
      return options.default ?? choices[0]!;
    }
    if (!choices.includes(String(v) as T)) {
      this.problem(`"${String(v)}" is not one of: ${choices.join(', ')}`);
      return options.default ?? choices[0]!;
    }
    return String(v) as T;
  }

  /** A value converted by `parse`, which throws an Error whose message explains what is wrong. */
  parsed<T>(parse: (text: string) => T, options: { required?: boolean; what?: string } = {}): T | undefined {
    const v = this.scalar();
    if (v === undefined) {
      if (options.required)
        this.problem(`required field is missing${options.what ? ` (${options.what})` : ''}`);
      return undefined;
    }
    try {
      return parse(String(v));
    } catch (e) {
      this.problem(
        `${JSON.stringify(String(v))} is not a valid ${options.what ?? 'value'}: ${(e as Error).message}`,
      );
      return undefined;
    }
  }
}

/** The known name nearest to a misspelt one (edit distance ≤ 2), for "did you mean". */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

/** "2us", "10ms", "1.5s" → ns (for `ConfigNode.parsed`: a bad value throws the message to show). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)$/.exec(text.trim());
  if (!m) throw new Error('expected a number with a unit: ns, us, ms or s (e.g. 10ms)');
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}
