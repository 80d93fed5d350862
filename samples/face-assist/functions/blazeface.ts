/**
 * BlazeFace short range (MediaPipe's face_detection_short_range.tflite): the frame as the model
 * takes it, and its raw outputs as face boxes. Pure code, no platform: the functions use it, and
 * so does the sample's test.
 *
 * Input: 1×128×128×3 float32, RGB in [-1, 1], the frame letterboxed into the square (aspect kept,
 * padded). Outputs: `regressors` 1×896×16 (box centre offset, width, height, then 6 keypoints, in
 * input pixels relative to an anchor) and `classificators` 1×896×1 (logits). The 896 anchors are
 * MediaPipe's SSD anchors for this model: strides 8, 16, 16, 16 → a 16×16 grid with 2 anchors a
 * cell, then an 8×8 grid with 6, fixed size, centred in their cell.
 */
import type { decode as JpegDecode } from 'jpeg-js';
// jpeg-js's decoder alone (its encoder would add 50 KB to every function bundle); the package types only its index
// @ts-expect-error no declaration file for jpeg-js/lib/decoder.js
import decoder from 'jpeg-js/lib/decoder.js';

const decodeJpegBytes = decoder as typeof JpegDecode;

export const INPUT_SIZE = 128;

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Face {
  /** in frame pixels: left, top, width, height */
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** right eye, left eye, nose tip, mouth, right ear, left ear: frame pixels */
  keypoints: Array<{ x: number; y: number }>;
}

export function decodeJpeg(bytes: Uint8Array): Rgba {
  const img = decodeJpegBytes(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 20, maxMemoryUsageInMB: 128 });
  return { width: img.width, height: img.height, data: img.data };
}

/** Where the frame lies in the model's square: scale and padding (in input pixels). */
export function letterbox(width: number, height: number): { scale: number; padX: number; padY: number } {
  const scale = INPUT_SIZE / Math.max(width, height);
  return { scale, padX: (INPUT_SIZE - width * scale) / 2, padY: (INPUT_SIZE - height * scale) / 2 };
}

/** The frame as the model's input tensor (bilinear resize, letterboxed, [-1, 1]). */
export function toInput(img: Rgba): { data: Float32Array; shape: number[]; dtype: 'float32' } {
  const { scale, padX, padY } = letterbox(img.width, img.height);
  const out = new Float32Array(INPUT_SIZE * INPUT_SIZE * 3); // padding: 0 (mid grey)
  for (let y = 0; y < INPUT_SIZE; y++) {
    const sy = (y + 0.5 - padY) / scale - 0.5;
    if (sy < -0.5 || sy > img.height - 0.5) continue;
    for (let x = 0; x < INPUT_SIZE; x++) {
      const sx = (x + 0.5 - padX) / scale - 0.5;
      if (sx < -0.5 || sx > img.width - 0.5) continue;
      const x0 = Math.max(0, Math.floor(sx)), y0 = Math.max(0, Math.floor(sy));
      const x1 = Math.min(img.width - 1, x0 + 1), y1 = Math.min(img.height - 1, y0 + 1);
      const fx = Math.min(1, Math.max(0, sx - x0)), fy = Math.min(1, Math.max(0, sy - y0));
      for (let c = 0; c < 3; c++) {
        const p = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 4 + c];
        const v = (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
        out[(y * INPUT_SIZE + x) * 3 + c] = v / 127.5 - 1;
      }
    }
  }
  return { data: out, shape: [1, INPUT_SIZE, INPUT_SIZE, 3], dtype: 'float32' };
}

let anchorCache: Array<{ x: number; y: number }> | undefined;
/** The 896 anchor centres (normalised to the input square). */
export function anchors(): Array<{ x: number; y: number }> {
  if (anchorCache) return anchorCache;
  const out: Array<{ x: number; y: number }> = [];
  for (const [grid, perCell] of [
    [16, 2],
    [8, 6],
  ] as const) {
    for (let y = 0; y < grid; y++) for (let x = 0; x < grid; x++) for (let k = 0; k < perCell; k++) out.push({ x: (x + 0.5) / grid, y: (y + 0.5) / grid });
  }
  return (anchorCache = out);
}

export function iou(a: Face['box'], b: Face['box']): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width), y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter || 1);
}

/** Faces from the model's outputs: sigmoid scores over `minScore`, decoded on the anchors, non-maximum suppression, in frame pixels. */
export function decodeFaces(regressors: ArrayLike<number>, scores: ArrayLike<number>, frame: { width: number; height: number }, minScore = 0.5): Face[] {
  const { scale, padX, padY } = letterbox(frame.width, frame.height);
  const A = anchors();
  const found: Face[] = [];
  // input pixels → frame pixels
  const fx = (v: number) => (v - padX) / scale;
  const fy = (v: number) => (v - padY) / scale;
  for (let i = 0; i < A.length; i++) {
    const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, scores[i]))));
    if (score < minScore) continue;
    const r = (k: number) => regressors[i * 16 + k];
    const cx = r(0) + A[i].x * INPUT_SIZE;
    const cy = r(1) + A[i].y * INPUT_SIZE;
    const w = r(2), h = r(3);
    const keypoints = [0, 1, 2, 3, 4, 5].map((k) => ({ x: fx(r(4 + 2 * k) + A[i].x * INPUT_SIZE), y: fy(r(5 + 2 * k) + A[i].y * INPUT_SIZE) }));
    found.push({ box: { x: fx(cx - w / 2), y: fy(cy - h / 2), width: w / scale, height: h / scale }, score, keypoints });
  }
  found.sort((a, b) => b.score - a.score);
  const kept: Face[] = [];
  for (const f of found) if (kept.every((k) => iou(k.box, f.box) < 0.3)) kept.push(f);
  return kept.map((f) => ({ ...f, box: { x: Math.round(f.box.x), y: Math.round(f.box.y), width: Math.round(f.box.width), height: Math.round(f.box.height) }, score: Math.round(f.score * 1000) / 1000, keypoints: f.keypoints.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })) }));
}

export const TEMPLATE_SIZE = 16;

/**
 * A face as a 16×16 grey template (zero mean, unit norm): what `recognise` compares with the
 * enrolled people by cosine similarity. A template match, not a face-recognition network: it
 * recognises the same person in similar light and pose (the sample's frames), no more.
 */
export function faceTemplate(img: Rgba, box: Face['box']): number[] {
  const t: number[] = [];
  for (let y = 0; y < TEMPLATE_SIZE; y++) {
    for (let x = 0; x < TEMPLATE_SIZE; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, Math.round(box.x + ((x + 0.5) * box.width) / TEMPLATE_SIZE)));
      const sy = Math.min(img.height - 1, Math.max(0, Math.round(box.y + ((y + 0.5) * box.height) / TEMPLATE_SIZE)));
      const i = (sy * img.width + sx) * 4;
      t.push(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
    }
  }
  const mean = t.reduce((s, v) => s + v, 0) / t.length;
  const centred = t.map((v) => v - mean);
  const norm = Math.sqrt(centred.reduce((s, v) => s + v * v, 0)) || 1;
  return centred.map((v) => Math.round((v / norm) * 1e4) / 1e4);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += a[i] * b[i];
  return s;
}
