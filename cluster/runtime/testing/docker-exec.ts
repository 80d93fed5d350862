/**
 * Reaching into a test's own containers: run a command and collect its output, or read one file.
 * Tests use these to look at (or, playing a hostile host process, change) what is inside a node's
 * container; product code never does — it talks to agents over HTTP.
 */
import type Docker from 'dockerode';

/** Runs `cmd` in the container and collects its stdout and stderr (the multiplexed stream: 8-byte frame headers). */
export async function execIn(c: Docker.Container, cmd: string[]): Promise<string> {
  const ex = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await ex.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** The bytes of one file in a container, through the archive endpoint (a one-entry tar). */
export async function readFileIn(c: Docker.Container, path: string): Promise<Buffer> {
  const stream = (await c.getArchive({ path })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  for await (const d of stream) chunks.push(d as Buffer);
  const tar = Buffer.concat(chunks);
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim(), 8);
  return Buffer.from(tar.subarray(512, 512 + size));
}

/**
 * Writes one file into a container through the archive endpoint (a one-entry ustar archive), owned
 * by `uid` (the agents' user, nobody, by default) — as a process on the host with access to the
 * engine could.
 */
export async function writeFileIn(c: Docker.Container, path: string, data: Buffer | string, uid = 65534): Promise<void> {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const name = path.slice(slash + 1);
  const header = Buffer.alloc(512);
  const field = (at: number, len: number, value: string) => header.write(value, at, len, 'ascii');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(uid, 8));
  field(116, 8, octal(uid, 8));
  field(124, 12, octal(body.length, 12));
  field(136, 12, octal(Math.floor(Date.now() / 1000), 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const b of header) sum += b;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  await c.putArchive(Buffer.concat([header, body, pad, Buffer.alloc(1024)]), { path: dir });
}
