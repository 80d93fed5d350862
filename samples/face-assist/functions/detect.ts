import { consumes, policy, type Request, type TfliteModel } from 'edge-ai-studio/sdk';
import { decodeFaces, decodeJpeg, toInput } from './blazeface';

/**
 * On the user's device: finds the faces in one camera frame (a JPEG, base64) with MediaPipe's
 * BlazeFace short-range model, so that only frames with a face go on to be recognised. The frame
 * stays on the device; what it answers is boxes and scores.
 */
export class FaceDetect {
  @consumes.model({ selector: { urn: 'face:detector' } })
  @policy.fn({ node: 'user_device' })
  @policy.data({ network: 'local', strict: true })
  async detect(model: TfliteModel, request: Request) {
    const { jpeg } = (request.input ?? {}) as { jpeg?: string };
    if (typeof jpeg !== 'string' || !jpeg) throw new Error('input must be { "jpeg": "<a JPEG frame, base64>" }');
    const frame = decodeJpeg(Buffer.from(jpeg, 'base64'));
    const out = await model.run([toInput(frame)]);
    const faces = decodeFaces(out.regressors.data, out.classificators.data, frame);
    return { faces: faces.map((f) => ({ box: f.box, score: f.score })), frame: { width: frame.width, height: frame.height }, ranOn: model.runsOn };
  }
}
