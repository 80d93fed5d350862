/**
 * Browser mode's port (web.ts listenOn): without --port the studio listens on one port start after
 * start (the page's origin, and so what it remembers in localStorage and its asset cache, stays);
 * when that port is taken it takes a free one and says so; a port asked for that is taken is an error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { DEFAULT_WEB_PORT, listenOn } from './web';

function listen(port: number): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(port, '127.0.0.1', () => ok(s));
  });
}
const close = (s: Server) => new Promise<void>((ok) => s.close(() => ok()));
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe('the browser-mode port', () => {
  const opened: Server[] = [];
  afterAll(async () => {
    for (const s of opened) await close(s);
  });
  const start = async (port: number) => {
    const s = await listen(port);
    opened.push(s);
    return s;
  };

  it('the default taken (here by this test, or by another studio): a free port instead, said', async () => {
    // hold the default port; someone else holding it already is the same case
    await start(DEFAULT_WEB_PORT).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EADDRINUSE') throw e;
    });
    const said: string[] = [];
    const s = await listenOn(undefined, start, (l) => said.push(l));
    expect(portOf(s)).not.toBe(DEFAULT_WEB_PORT);
    expect(portOf(s)).toBeGreaterThan(0);
    expect(said).toEqual([expect.stringMatching(new RegExp(`port ${DEFAULT_WEB_PORT} is in use: using a free one instead`))]);
  });

  it('a port asked for that is taken is an error, not another port', async () => {
    const taken = await start(0);
    await expect(listenOn(portOf(taken), start, () => undefined)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('a port asked for is used as it is (0: a free one)', async () => {
    const s = await listenOn(0, start, () => undefined);
    expect(portOf(s)).toBeGreaterThan(0);
  });
});
