/**
 * The done-when: train a small MNIST model with tfjs-wasm, publish it with its holdout
 * accuracy, resolve it by a type/data_tags/accuracy selector, reload it and get identical
 * predictions.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { consumeData, openData } from './data';
import { importDataSource } from './import';
import { decodeModelArtifacts, encodeModelArtifacts, evaluateAccuracy, loadModel, publishModel, resolveModel, saveModel } from './model';
import { openRegistry } from './registry';
import { ensureTf, type tf as TF } from './tf';
import { ArtifactCorruptError } from './errors';
import { tempDir } from './testing/tmpdir';

describe('model on tfjs-wasm', () => {
  it('trains on MNIST, publishes with holdout accuracy, resolves by selector, reloads with identical predictions', async () => {
    const tf = await ensureTf();
    expect(tf.getBackend()).toBe('wasm');
    const project = tempDir('edgeai-mnist-');
    const reg = openRegistry(`${project}/.edgeai/registry`);
    importDataSource(reg, project, { urn: 'mnist:data', tags: ['mnist', 'digits'], format: 'mnist', source: { kind: 'loader', loader: 'mnist', count: 600 } });

    // what @consumes.data({ selector: { urn: 'mnist:data' }, holdout: 0.2 }) does
    const resolved = reg.resolve({ urn: 'mnist:data' }).candidates[0];
    const { data, holdout } = consumeData(openData(reg, resolved.urn, resolved.version), { holdout: 0.2, seed: 1 });
    expect(data.length).toBe(480);
    expect(holdout?.length).toBe(120);

    // the function body: a tiny dense net, one epoch
    const x = data.toTensor(['x']);
    const y = tf.oneHot(data.toTensor(['y']).toInt().flatten(), 10);
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [784], units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);

    const published = await publishModel(reg, {
      trained: { model, metrics: { epochs: 1 } },
      produces: { urn: 'mnist:model', type: 'classifier', tags: ['digits'] },
      inputs: [data],
      holdout,
      run: 'run-1',
      function: 'MnistTraining.train',
    });
    const acc = published.metrics.accuracy;
    expect(acc).toBeGreaterThan(0.5); // chance is 0.1
    expect(published.artifact.data_tags).toEqual(['mnist', 'digits']);
    expect(published.artifact.lineage).toEqual({ run: 'run-1', function: 'MnistTraining.train', inputs: [{ urn: 'mnist:data', version: 1, kind: 'data' }] });
    expect(published.metrics.holdout_size).toBe(120);

    // a selector finds it only when the accuracy predicate holds
    const threshold = Math.floor(acc * 100) / 100;
    const hit = reg.resolve({ type: 'classifier', data_tags: ['mnist'], accuracy: `>=${threshold}` });
    expect(hit.candidates.map((a) => a.urn)).toEqual(['mnist:model']);
    const miss = reg.resolve({ type: 'classifier', data_tags: ['mnist'], accuracy: `>${acc}` });
    expect(miss.candidates).toEqual([]);
    expect(miss.rejected[0]).toMatchObject({ clause: 'accuracy' });

    const reloaded = await resolveModel(reg, { type: 'classifier', data_tags: ['mnist'], accuracy: `>=${threshold}` });
    expect(reloaded.version).toBe(1);
    expect(reloaded.dataTags).toEqual(['mnist', 'digits']);
    const probe = holdout!.slice(0, 20);
    const before = published.estimate(probe.column('x'));
    const after = reloaded.estimate(probe.column('x'));
    expect(after).toEqual(before);
    expect(after[0].scores).toHaveLength(10);
    expect(after[0].confidence).toBe(Math.max(...after[0].scores));
    // one sample as a flat array works too
    expect(reloaded.estimate(Array.from(probe.column('x').data.subarray(0, 784)))).toEqual([before[0]]);
    expect(evaluateAccuracy(reloaded.tf, holdout!)).toBe(acc);

    await expect(resolveModel(reg, { type: 'classifier', accuracy: '>=1.01' })).rejects.toThrow(/no model matches.*accuracy/);
    reg.close();
  });

  it('model blob round-trip, and a corrupted model blob is refused on load', async () => {
    const tf = await ensureTf();
    const reg = openRegistry(tempDir());
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    let captured: TF.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (a) => ((captured = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })));
    const back = decodeModelArtifacts(encodeModelArtifacts(captured!));
    expect(back.weightSpecs).toEqual(captured!.weightSpecs);
    expect(new Uint8Array(back.weightData as ArrayBuffer)).toEqual(new Uint8Array(tf.io.CompositeArrayBuffer.join(captured!.weightData)));

    const saved = await saveModel(reg, m, { urn: 'tiny', type: 'classifier' });
    const blob = reg.blobs.pathOf(saved.artifact.sha256);
    const { bytes } = reg.get('tiny');
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(blob, bytes);
    await expect(loadModel(reg, 'tiny', 1)).rejects.toThrow(ArtifactCorruptError);
    await expect(loadModel(reg, 'tiny', 1)).rejects.toThrow(/'tiny' version 1 is corrupt/);
    reg.close();
  });
});
