/** Plain-text descriptions of artifacts, resolutions and lineage, for the CLI and logs. */
import type { Artifact } from '../spec/artifact';
import type { LineageNode, LineageReport } from './registry';
import type { ResolveResult } from './resolve';
import { fmtBytes as humanBytes } from '../common/units';

/** Sizes as every front end writes them (common/units.ts). */
export { fmtBytes as humanBytes } from '../common/units';

export function metricsText(m: Readonly<Record<string, number>>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}

/** One line: `mnist:model@3  model classifier  tfjs-layers  1.2 MiB  accuracy=0.9120  tags=[…]` */
export function artifactLine(a: Artifact): string {
  const parts = [`${a.urn}@${a.version}`.padEnd(28), a.kind.padEnd(5), (a.type ?? '-').padEnd(12), a.format.padEnd(11), humanBytes(a.size).padStart(9)];
  if (Object.keys(a.metrics).length) parts.push(metricsText(a.metrics));
  if (a.tags.length) parts.push(`tags=[${a.tags.join(',')}]`);
  if (a.data_tags.length) parts.push(`data_tags=[${a.data_tags.join(',')}]`);
  return parts.join('  ');
}

export function artifactDetails(a: Artifact, blobPath?: string): string[] {
  const lines = [
    `${a.urn}  version ${a.version}`,
    `  kind       ${a.kind}`,
    `  type       ${a.type ?? '-'}`,
    `  format     ${a.format}`,
    `  size       ${humanBytes(a.size)} (${a.size} bytes)`,
    `  sha256     ${a.sha256}`,
    `  created    ${a.created}`,
    `  tags       ${a.tags.join(', ') || '-'}`,
    `  data_tags  ${a.data_tags.join(', ') || '-'}`,
    `  metrics    ${metricsText(a.metrics) || '-'}`,
  ];
  const l = a.lineage;
  const made = [l.function && `function ${l.function}`, l.run && `run ${l.run}`, l.source && `from ${l.source}`].filter(Boolean).join(', ');
  lines.push(`  made by    ${made || '-'}`);
  lines.push(`  inputs     ${l.inputs.map((i) => `${i.urn}@${i.version}`).join(', ') || '-'}`);
  lines.push(`  locations  ${a.locations.map((x) => `${x.node}${x.networks.length ? ` (${x.networks.join(', ')})` : ''}`).join('; ') || '- (the registry host only)'}`);
  if (blobPath) lines.push(`  blob       ${blobPath}`);
  return lines;
}

export function lineageText(r: LineageReport): string[] {
  const lines = [`${r.artifact.urn}@${r.artifact.version}${madeBy(r.artifact)}`];
  const walkUp = (inputs: LineageReport['inputs'], indent: string) => {
    inputs.forEach((n, i) => {
      const last = i === inputs.length - 1;
      const branch = indent + (last ? '└─ ' : '├─ ');
      if ('missing' in n) lines.push(`${branch}${n.missing.urn}@${n.missing.version}  (missing from the registry)`);
      else {
        lines.push(`${branch}${n.artifact.urn}@${n.artifact.version}${madeBy(n.artifact)}`);
        walkUp(n.inputs, indent + (last ? '   ' : '│  '));
      }
    });
  };
  lines.push('  made from:');
  if (r.inputs.length) walkUp(r.inputs, '    ');
  else lines.push('    (nothing: imported or produced without inputs)');
  lines.push('  used by:');
  const walkDown = (outs: LineageNode[], indent: string) => {
    outs.forEach((n, i) => {
      const last = i === outs.length - 1;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${n.artifact.urn}@${n.artifact.version}${madeBy(n.artifact)}`);
      walkDown(n.inputs as LineageNode[], indent + (last ? '   ' : '│  '));
    });
  };
  if (r.outputs.length) walkDown(r.outputs, '    ');
  else lines.push('    (nothing yet)');
  return lines;
}

function madeBy(a: Artifact): string {
  const l = a.lineage;
  const bits = [l.function && `by ${l.function}`, l.run && `run ${l.run}`, l.source && `from ${l.source}`].filter(Boolean);
  return bits.length ? `  (${bits.join(', ')})` : '';
}

export function resolveText(r: ResolveResult, total: number): string[] {
  const lines: string[] = [];
  lines.push(`selector ${JSON.stringify(r.selector)}${r.urn !== undefined && r.urn !== r.selector.urn ? `  (urn → ${r.urn})` : ''}`);
  if (r.candidates.length) {
    lines.push(`${r.candidates.length} match${r.candidates.length === 1 ? '' : 'es'}, best first:`);
    r.candidates.forEach((a, i) => lines.push(`  ${i === 0 ? '→' : ' '} ✓ ${artifactLine(a)}`));
  } else lines.push('no artifact matches.');
  if (r.rejected.length) {
    lines.push(`${r.rejected.length} rejected:`);
    for (const x of r.rejected) lines.push(`    ✗ ${`${x.artifact.urn}@${x.artifact.version}`.padEnd(28)} ${x.clause}: ${x.reason}`);
  }
  if (r.skipped > 0) {
    const a = r.anchor;
    const why = a.clause === 'urn' ? `urn does not match ${a.value}` : a.clause === 'tags' || a.clause === 'data_tags' ? `${a.clause} lack ${a.value}` : `${a.clause} is not ${a.value}`;
    lines.push(`${r.skipped} other artifact${r.skipped === 1 ? '' : 's'} of ${total} not shown: ${why} (--all explains each)`);
  }
  return lines;
}
