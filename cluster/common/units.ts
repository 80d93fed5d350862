/** How the platform writes sizes and times for people: one style in the CLI and the studio. Browser-safe. */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** 0 B, 512 B, 1.50 KiB, 3.90 MiB, 12.0 MiB, 1.25 GiB: three significant digits or so */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) < KiB) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = n / KiB;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(Math.abs(x) < 10 ? 2 : 1)} ${units[i]}`;
}

/** A memory size as device profiles give it: 976 MiB, 7.8 GiB */
export function fmtMemory(n: number): string {
  return n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${Math.round(n / MiB)} MiB`;
}

/** `n` bytes in MiB for messages, one decimal at most: "70.4 MiB", "64 MiB". */
export function fmtMiB(n: number): string {
  return `${(n / MiB).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/**
 * A metric as people read it: whole numbers without decimals (holdout_size 600, not 600.000),
 * others with up to three (accuracy 0.967), very small or large ones in exponent form.
 */
export function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toFixed(3)));
}
