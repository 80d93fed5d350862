import { describe, expect, it } from 'vitest';
import { parseSelectorText, selectorText } from './Inspector';

describe('selector text in the inspector', () => {
  it('writes selectors the way the code does and reads them back', () => {
    const sel = { type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' };
    const text = selectorText(sel);
    expect(text).toBe("{ type: 'classifier', data_tags: ['mnist'], accuracy: '>=0.88' }");
    expect(parseSelectorText(text)).toEqual({ value: sel });
  });
  it('accepts JSON, quotes inside strings, and trailing commas', () => {
    expect(parseSelectorText('{"urn": "mnist:data"}')).toEqual({ value: { urn: 'mnist:data' } });
    expect(parseSelectorText("{ urn: 'it\\'s', }")).toEqual({ value: { urn: "it's" } });
  });
  it('says what is wrong with text that is not an object', () => {
    expect(parseSelectorText('')).toHaveProperty('error');
    expect(parseSelectorText("['a']")).toHaveProperty('error');
    expect(parseSelectorText('{ urn: ')).toEqual({ error: 'not a valid object literal: check quotes, commas and braces' });
  });
});
