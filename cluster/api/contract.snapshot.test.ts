/**
 * The StudioApi, frozen: the JSON Schema of every method's request and response and of every
 * event. The renderer, the Electron preload and the browser-mode client all depend on this
 * contract; restructuring the service behind it must not change it. A change to the snapshot is
 * a change on purpose, reviewed in its diff (`npx vitest run cluster/api/contract.snapshot.test.ts -u`).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENTS, METHODS } from './contract';

describe('the StudioApi contract', () => {
  it('matches its JSON Schema snapshot (methods and events)', async () => {
    // one schema per direction, so that shapes used by many methods are written once ($defs)
    const entries = Object.entries(METHODS) as Array<[string, { request: z.ZodType; response: z.ZodType }]>;
    const requests = z.object(Object.fromEntries(entries.map(([name, def]) => [name, def.request])));
    const answers = z.object({
      responses: z.object(Object.fromEntries(entries.map(([name, def]) => [name, def.response]))),
      events: z.object(EVENTS as unknown as Record<string, z.ZodType>),
    });
    const schema = {
      requests: z.toJSONSchema(requests, { io: 'input', unrepresentable: 'any', reused: 'ref' }),
      answers: z.toJSONSchema(answers, { io: 'output', unrepresentable: 'any', reused: 'ref' }),
    };
    await expect(JSON.stringify(schema, null, 1) + '\n').toMatchFileSnapshot('./contract.schema.json');
  });
});
