/**
 * Whether a test's docker part runs here: always under CI=true (CI starts an engine, so a missing
 * one is a failure there), elsewhere only when a Docker engine answers. Returns why it skips
 * (and says so on the console, named by `suite`), or false when it runs.
 */
import { dockerAvailable } from '../backends/docker';

export async function dockerSkipReason(suite: string): Promise<string | false> {
  const avail = await dockerAvailable();
  if (avail.ok || process.env.CI === 'true') return false;
  console.warn(`[${suite}] docker part SKIPPED: ${avail.reason} (CI=true makes this a failure)`);
  return avail.reason;
}
