// Types of scripts/electron-binary.mjs (plain JS: `npm start` and `npm install` run it with plain node).
export type Found = { binary: string; reason?: undefined } | { binary?: undefined; reason: string };
export function findElectron(opts?: { env?: NodeJS.ProcessEnv | Record<string, string | undefined>; resolvePathFile?: () => string }): Found;
export function chooseMode(found: Found): { mode: 'electron'; binary: string } | { mode: 'browser'; reason: string };
export function desktopProject(args: string[], env: NodeJS.ProcessEnv | Record<string, string | undefined>, root: string): string;
export function installNotice(found: Found): { level: 'log' | 'warn'; text: string };
