/** How the platform writes sizes and times for people: one style in the CLI and the studio. Browser-safe. */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** 0 B, 512 B, 1.50 KiB, 3.90 MiB, 1.25 GiB */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (a >= MiB) return `${(n / MiB).toFixed(2)} MiB`;
  if (a >= KiB) return `${(n / KiB).toFixed(2)} KiB`;
  return `${Math.round(n)} B`;
}

/** A memory size as device profiles give it: 976 MiB, 7.8 GiB */
export function fmtMemory(n: number): string {
  return n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${Math.round(n / MiB)} MiB`;
}

/** A whole number of MiB where one decimal is noise: 8 MiB, 1.5 MiB */
export function fmtMiB(n: number): string {
  const v = n / MiB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} MiB`;
}
