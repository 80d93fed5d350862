/**
 * Certificates for the test API server over HTTPS (k3s' kubeconfigs carry a CA and a client
 * certificate), made with the openssl command line: tests only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA, a server certificate for `ip` (default 127.0.0.1) and a client certificate, all signed by the CA (EC P-256, one day). */
export function certificates(at: string, ip = '127.0.0.1'): { ca: string; server: { cert: string; key: string }; client: { cert: string; key: string } } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: at, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  const key = (name: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  ossl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=fake-k3s-ca');
  for (const [name, subj, ext] of [['server', `/CN=${ip}`, `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`], ['client', '/O=system:masters/CN=tester', 'extendedKeyUsage=clientAuth\n']] as const) {
    key(name);
    writeFileSync(join(at, `${name}.ext`), ext);
    ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
  const read = (f: string) => readFileSync(join(at, f), 'utf8');
  return { ca: read('ca.crt'), server: { cert: read('server.crt'), key: read('server.key') }, client: { cert: read('client.crt'), key: read('client.key') } };
}
