import { describe, expect, it } from 'vitest';
import { PALETTE } from '../panels/palette-items';
import { clipOf, copySelection, freshCopyName, paste, renameCopy, suggestName, uniqueFnId } from './clipboard';
import { fakeStudio, snapshot, TRAIN_SRC, withFile } from './fake-studio';

describe('clipboard and palette commands', () => {
  it('a copied function gets a method, class and file name of its own', () => {
    const s = snapshot();
    expect(uniqueFnId(s, 'train')).toBe('train2');
    expect(uniqueFnId(s, 'trainCopy')).toBe('trainCopy');
    expect(renameCopy(TRAIN_SRC, 'train', 'trainCopy')).toMatch(/export class TrainCopy \{[\s\S]*async trainCopy\(data/);
    const taken = new Set(['a-copy']);
    expect([freshCopyName('a', taken), freshCopyName('a', taken)]).toEqual(['a-copy2', 'a-copy3']);
  });

  it('names offered by the palette are free', () => {
    const s = snapshot();
    expect(suggestName(s, PALETTE[1])).toBe('trainModel');
    expect(suggestName(s, PALETTE.find((p) => p.kind === 'data-source')!)).toBe('data:new');
    expect(suggestName(undefined, PALETTE[0])).toBe('new');
  });

  it('copy takes functions and data sources of the selection, nothing of a model; paste writes a new file each time', async () => {
    let s = snapshot();
    expect(clipOf(s, ['fn:train', 'model:mnist:model', 'source:mnist:data'])).toMatchObject({ functions: [{ id: 'train', source: TRAIN_SRC }], dataSources: [{ urn: 'mnist:data' }], triggers: [] });
    const writes: string[] = [];
    const f = fakeStudio(
      {
        'project.files.write': (p) => {
          writes.push(p.path);
          s = withFile(s, p.path, p.source);
          s = { ...s, functions: [...s.functions, { ...s.functions[0], id: p.path.replace(/^functions\/|\.ts$/g, ''), file: p.path }] };
          return { snapshot: s, before: null, path: p.path } as never;
        },
      },
      { snap: s, selection: { nodes: ['fn:train'], edges: [] } },
    );
    const c = copySelection(f.ctx);
    expect(f.state().clip).toBe(c);
    await paste(f.ctx);
    await paste(f.ctx);
    expect(writes).toEqual(['functions/trainCopy.ts', 'functions/trainCopy2.ts']);
    expect(f.state().undo.map((e) => e.label)).toEqual(['paste', 'paste']);
  });
});
