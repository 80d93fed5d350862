import { consumes, gate, policy, type Data, type Request, type TfliteModel } from 'edge-ai-studio/sdk';
import { cosine, decodeFaces, decodeJpeg, faceTemplate, toInput } from './blazeface';

/**
 * At the edge, under a deadline: finds the faces in a frame (on the node's Edge TPU when a Coral
 * stick is attached and the model is compiled for it, else on its CPU — the run records which)
 * and names each one after the enrolled person it matches best (a grey-template match, see
 * blazeface.ts), for a cognitive-assistance display ("this is person-b"). The enrolled people are
 * personal data: with the frames, they stay on the local network.
 */
export class FaceRecognise {
  @consumes.model({ selector: { urn: 'face:detector' } })
  @consumes.data({ selector: { urn: 'face:people' } })
  @policy.fn({ node: 'edge' })
  @policy.deadline('2s')
  @policy.data({ network: 'local', strict: true })
  @gate.drift({ metric: 'confidence', predicate: '<0.2', window: 20 })
  async recognise(model: TfliteModel, people: Data, request: Request) {
    const { jpeg } = (request.input ?? {}) as { jpeg?: string };
    if (typeof jpeg !== 'string' || !jpeg) throw new Error('input must be { "jpeg": "<a JPEG frame, base64>" }');
    const frame = decodeJpeg(Buffer.from(jpeg, 'base64'));
    const out = await model.run([toInput(frame)]);
    const enrolled = people.rows() as Array<{ name: string; template: number[] }>;
    const faces = decodeFaces(out.regressors.data, out.classificators.data, frame).map((f) => {
      const t = faceTemplate(frame, f.box);
      const best = enrolled.map((p) => ({ name: p.name, similarity: cosine(t, p.template) })).sort((a, b) => b.similarity - a.similarity)[0];
      const known = best && best.similarity >= 0.8;
      return { box: f.box, score: f.score, person: known ? best.name : null, similarity: best ? Math.round(best.similarity * 1000) / 1000 : 0 };
    });
    request.log(`${faces.length} face(s) on ${model.runsOn}`);
    // what the drift gate watches: how sure the detector was of the best face (0 without one)
    return { faces, confidence: faces.length ? Math.max(...faces.map((f) => f.score)) : 0, ranOn: model.runsOn };
  }
}
