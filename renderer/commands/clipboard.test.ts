import { describe, expect, it } from 'vitest';
import { PALETTE } from '../panels/palette-items';
import { addFromPalette, clipOf, copySelection, freshCopyName, paste, renameCopy, STARTER_DATA, suggestName, uniqueFnId } from './clipboard';
import { fakeStudio, Refused, snapshot, TRAIN_SRC, withFile } from './fake-studio';

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

  it('a data source from the palette comes with its file (one example row), so the first deploy can read it; a file already there stays', async () => {
    const jsonl = PALETTE.find((i) => i.kind === 'data-source' && i.format === 'jsonl')!;
    const run = async (exists: boolean) => {
      let s = snapshot();
      const written: Array<{ path: string; source: string }> = [];
      const saved: string[] = [];
      const f = fakeStudio(
        {
          'project.files.write': (p) => {
            if (exists) throw new Refused({ code: 'revision-conflict', message: `${p.path} changed` });
            written.push({ path: p.path, source: p.source });
            return { snapshot: s, before: '', path: p.path, revision: 1 } as never;
          },
          'workflow.save': (p) => {
            const sources = (p.workflow as { dataSources: Array<{ source: { kind: string; path?: string } }> }).dataSources;
            saved.push(...sources.map((d) => d.source.path ?? ''));
            s = { ...s, workflow: p.workflow as typeof s.workflow };
            return { snapshot: s, before: '' } as never;
          },
          'layout.save': () => ({ snapshot: s }) as never,
        },
        { snap: s },
      );
      await addFromPalette(f.ctx, jsonl, 'new:records');
      return { written, saved, toasts: f.state().toasts ?? [] };
    };
    const fresh = await run(false);
    expect(fresh.written).toEqual([{ path: 'data/new-records.jsonl', source: STARTER_DATA.jsonl }]);
    expect(JSON.parse(STARTER_DATA.jsonl)).toEqual({ x: 0.5, y: 1 });
    expect(fresh.saved).toContain('data/new-records.jsonl');
    const kept = await run(true);
    expect(kept.written).toEqual([]);
    expect(kept.saved).toContain('data/new-records.jsonl');
  });
});
