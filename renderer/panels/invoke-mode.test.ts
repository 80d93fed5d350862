import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessSource } from '../../cluster/preprocessor/index';
import { inputModeFor } from './invoke-mode';

const FNS = join(import.meta.dirname, '..', '..', 'samples', 'mnist', 'functions');
const specs = Object.fromEntries(readdirSync(FNS).flatMap((f) => preprocessSource(`functions/${f}`, readFileSync(join(FNS, f), 'utf8')).functions.map((s) => [s.id, s])));

describe('the invoke input follows the function (issue 13, item 11)', () => {
  it('the digit pad for inference (it serves a model), JSON for the trainers, which take no image', () => {
    expect(inputModeFor(specs.inference)).toBe('digit');
    expect(inputModeFor(specs.train)).toBe('json');
    expect(inputModeFor(specs.trainFair)).toBe('json');
    // refine consumes the user's digits from the registry as well as a model: no image either
    expect(inputModeFor(specs.refine)).toBe('json');
    expect(inputModeFor(undefined)).toBe('json');
  });
});
