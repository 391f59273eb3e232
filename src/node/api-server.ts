/**
 * The daemon's local HTTP API (loopback by default): what `twinleaf show ...` and the dashboard read.
 *
 * GET /api/bgp/summary, /api/bgp/neighbors, /api/bgp/evpn/routes?type=N&vni=V&limit=L → JSON from
 * src/api. Errors are JSON `{error}` with a 4xx/5xx status; a handler that throws never takes the
 * daemon down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type ApiHandler = (query: URLSearchParams) => unknown;

export class ApiServer {
  private readonly routes = new Map<string, ApiHandler>();
  private readonly pages = new Map<string, { contentType: string; body: string }>();
  private server: Server | undefined;

  route(path: string, handler: ApiHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /** A fixed document (the dashboard's page) served at `path`. */
  page(path: string, contentType: string, body: string): this {
    this.pages.set(path, { contentType, body });
    return this;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  async listen(address: string, port: number): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body, jsonReplacer, 2);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.method !== 'GET') return send(405, { error: `${req.method} not allowed; the API is read-only` });
    const page = this.pages.get(url.pathname);
    if (page) {
      res.writeHead(200, { 'content-type': page.contentType });
      res.end(page.body);
      return;
    }
    const handler = this.routes.get(url.pathname);
    if (!handler)
      return send(404, { error: `no such endpoint ${url.pathname}`, endpoints: [...this.routes.keys()] });
    try {
      send(200, handler(url.searchParams));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      send(e instanceof RangeError || e instanceof TypeError ? 400 : 500, { error: message });
    }
  }
}

/** Uint8Arrays as hex strings, so values with raw bytes serialise readably. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
