/**
 * Size limits every side of the StudioApi agrees on. No imports: the renderer imports this file
 * (its bundle must stay free of node: modules and zod), and so do the WebSocket server and the
 * HTTP gateway.
 */

/**
 * The largest request the studio accepts, in bytes of its UTF-8 JSON: one WebSocket frame
 * `{"id":…,"method":…,"params":…}` (the server's maxPayload), and the HTTP gateway's largest body.
 *
 * Why 64 MiB: the largest legitimate requests are an invoke input and a file write.
 * - An invoke input is what an http trigger carries; the HTTP gateway has always accepted
 *   64 MiB bodies, so the studio's invoke console accepts the same input (the frame's envelope
 *   adds a few hundred bytes, well inside the margin below).
 * - A file write is at most 2,000,000 UTF-16 code units (project.files.write's schema); JSON
 *   escapes one in at most 6 bytes (`\uXXXX`), so 12 MB at worst.
 * Everything else is small (ids, paths, options). A frame is buffered whole before it is parsed,
 * so the limit also bounds what one connection can make the server hold: 64 MiB is harmless on
 * the machine the studio runs on, and 1 GiB (ws's default is 100 MiB) would not be.
 */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

export { fmtMiB as mib } from './units';

/**
 * The largest return value a function may answer with, in bytes of its JSON. A larger result is
 * data, and belongs in an artifact (`@produces.data` stores it as a blob and answers a reference):
 * the answer travels through the agent, the controller, the run record and the caller whole.
 * The same 16 MiB is far above what an inference or a summary returns.
 */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** What one invocation may log, in bytes; lines beyond are dropped, with one line that says so. */
export const MAX_LOG_BYTES = 1024 * 1024;
/** One log line at most; a longer one is cut. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;
/** A run record holds its output inline up to this; a larger one is stored beside it (runtime/state.ts). */
export const RUN_INLINE_OUTPUT_BYTES = 64 * 1024;
