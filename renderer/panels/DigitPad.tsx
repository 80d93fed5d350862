/** A 28×28 digit to draw on (pointer), or filled with a real mnist digit by the invoke console. */
import { useEffect, useRef } from 'react';

const DIGIT_SCALE = 7;

/** A 28×28 digit you can draw on (mouse), or fill with a real digit from the mnist data. */
export function DigitPad({ pixels, onChange }: { pixels: number[]; onChange(p: number[]): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const current = useRef(pixels);
  current.current = pixels;
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(Math.max(0, Math.min(1, pixels[i] ?? 0)) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    const off = document.createElement('canvas');
    off.width = 28;
    off.height = 28;
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, 28 * DIGIT_SCALE, 28 * DIGIT_SCALE);
  }, [pixels]);
  const paint = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * 28;
    const cy = ((e.clientY - r.top) / r.height) * 28;
    const next = [...current.current];
    for (let y = Math.floor(cy) - 2; y <= Math.floor(cy) + 2; y++) {
      for (let x = Math.floor(cx) - 2; x <= Math.floor(cx) + 2; x++) {
        if (x < 0 || y < 0 || x > 27 || y > 27) continue;
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const v = Math.max(0, 1 - d / 1.8);
        next[y * 28 + x] = Math.max(next[y * 28 + x] ?? 0, v);
      }
    }
    onChange(next);
  };
  return (
    <canvas
      ref={canvas}
      className="digit-pad"
      width={28 * DIGIT_SCALE}
      height={28 * DIGIT_SCALE}
      data-testid="digit-pad"
      title="draw a digit"
      onPointerDown={(e) => {
        drawing.current = true;
        e.currentTarget.setPointerCapture(e.pointerId);
        paint(e);
      }}
      onPointerMove={(e) => drawing.current && paint(e)}
      onPointerUp={() => (drawing.current = false)}
    />
  );
}
