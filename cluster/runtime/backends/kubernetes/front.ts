/**
 * The agent pod's front: a few lines of plain Node.js run in the pod's second container
 * (`node -e FRONT_SOURCE`, the node image's own runtime), listening on the pod's port 7070 and
 * forwarding every request to the agent on the pod's loopback (127.0.0.1:7071).
 *
 * Why it exists: the controller reaches an agent through the API server's pod proxy, and the API
 * server consumes the Authorization header (it authenticates the kubeconfig's user with it and
 * removes it before proxying), so the agent's `Authorization: Bearer <cluster secret>` cannot
 * travel that way. The controller sends the secret as `X-Edgeai-Agent-Secret` instead; the front
 * moves it into Authorization and sets the Host the agent expects (127.0.0.1:7071). It holds no
 * secret and decides nothing: the agent still checks every request. A connection the caller drops
 * is dropped towards the agent too (the agent then stops the work), and an agent that does not
 * answer drops the caller's connection (the controller reads that as unreachable, not as an
 * answer).
 *
 * The test API server (runtime/testing/fake-apiserver.ts) runs exactly this source from the pod
 * spec it is given.
 */
export const SECRET_HEADER = 'x-edgeai-agent-secret';
export const FRONT_PORT = 7070;
export const AGENT_LOOPBACK_PORT = 7071;

export const FRONT_SOURCE = `'use strict';
const http = require('node:http');
const [uh, up] = String(process.env.EDGEAI_FRONT_UPSTREAM || '127.0.0.1:${AGENT_LOOPBACK_PORT}').split(':');
const H = '${SECRET_HEADER}';
const hop = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];
const server = http.createServer((req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!hop.includes(k) && k !== 'authorization' && k !== 'host' && k !== H) headers[k] = v;
  const secret = req.headers[H];
  if (typeof secret === 'string') headers.authorization = 'Bearer ' + secret;
  headers.host = uh + ':' + up;
  const u = http.request({ host: uh, port: Number(up), method: req.method, path: req.url, headers }, (r) => {
    const out = {};
    for (const [k, v] of Object.entries(r.headers)) if (!hop.includes(k)) out[k] = v;
    res.writeHead(r.statusCode || 502, out);
    r.pipe(res);
  });
  u.on('error', () => res.destroy());
  res.on('close', () => { if (!res.writableFinished) u.destroy(); });
  req.pipe(u);
});
server.listen(Number(process.env.EDGEAI_FRONT_PORT || ${FRONT_PORT}), process.env.EDGEAI_FRONT_HOST || '0.0.0.0', () => {
  process.stdout.write(JSON.stringify({ front: server.address().port }) + '\\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;
