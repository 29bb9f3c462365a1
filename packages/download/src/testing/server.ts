import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  url: string;
  requests: { path: string; range?: string }[];
  close: () => Promise<void>;
}

export type Handler = Parameters<typeof createServer>[1];

/** Starts a loopback server; `url` ends with '/'. */
export async function listen(handler: Handler, requests: Served['requests'] = []): Promise<Served> {
  const server: Server = createServer((req, res) => {
    requests.push({ path: (req.url ?? '/').slice(1), range: req.headers.range });
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Serves `files` with Range support. `dropFirstAt` cuts the first response after that many bytes;
 * `pieces` sends each body in that many writes, `delayMs` apart (so that downloads overlap).
 */
export function serveFiles(
  files: Record<string, Uint8Array>,
  opts: { dropFirstAt?: number; pieces?: number; delayMs?: number; onBody?: (delta: 1 | -1) => void } = {},
): Promise<Served> {
  let dropped = false;
  return listen(async (req, res) => {
    const body = files[(req.url ?? '/').slice(1).split('?')[0]];
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (m && start >= body.length) return void res.writeHead(416).end();
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length - start),
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (opts.dropFirstAt !== undefined && !dropped) {
      dropped = true;
      res.write(body.subarray(start, opts.dropFirstAt), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    const part = body.subarray(start);
    const step = Math.ceil(part.length / (opts.pieces ?? 1));
    opts.onBody?.(1);
    for (let at = 0; at < part.length && !res.destroyed; at += step) {
      res.write(part.subarray(at, at + step));
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    }
    opts.onBody?.(-1);
    res.end();
  });
}
