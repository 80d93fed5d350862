/**
 * A writer for the crash test: puts artifacts in a loop and prints `committed <urn> <version> <sha256>`
 * after each put returns. The test kills it with SIGKILL mid-stream.
 * usage: node --import tsx crash-writer.ts <registry dir> <seed>
 */
import { openRegistry } from '../registry';

const [dir, seedText] = process.argv.slice(2);
let seed = Number(seedText ?? 1) >>> 0 || 1;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const reg = openRegistry(dir);
for (let i = 0; ; i++) {
  const size = Math.floor(rand() * 256 * 1024) + 1;
  const bytes = new Uint8Array(size);
  for (let j = 0; j < size; j += 97) bytes[j] = Math.floor(rand() * 256);
  bytes[0] = i & 255;
  bytes[size - 1] = (i >> 8) & 255;
  const a = reg.put({ kind: 'data', urn: `crash:${i % 7}`, format: 'bin', tags: ['crash'], metrics: { i } }, bytes);
  process.stdout.write(`committed ${a.urn} ${a.version} ${a.sha256}\n`);
}
