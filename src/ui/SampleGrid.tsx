import { useEffect, useRef } from 'react';
import type { SampleImages } from '../worker/protocol';

function SampleCanvas({ pixels, width, height }: { pixels: Uint8Array; width: number; height: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(width, height);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      image.data[4 * i] = v;
      image.data[4 * i + 1] = v;
      image.data[4 * i + 2] = v;
      image.data[4 * i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }, [pixels, width, height]);
  return <canvas ref={canvas} width={width} height={height} className="sample-canvas" aria-hidden="true" />;
}

/** Sample images with their class names, one column per class in each row of the worker's order. */
export function SampleGrid({ samples, classes }: { samples: SampleImages; classes: readonly string[] }) {
  const size = samples.height * samples.width;
  return (
    <ol className="sample-grid" data-testid="dataset.samples" aria-label="Sample test images">
      {samples.labels.map((label, k) => (
        <li key={k} className="sample" data-testid="dataset.sample" data-label={label}>
          <SampleCanvas pixels={samples.pixels.subarray(k * size, (k + 1) * size)} width={samples.width} height={samples.height} />
          <span className="sample-label" data-testid="dataset.sample.label">
            {classes[label] ?? `class ${label}`}
          </span>
        </li>
      ))}
    </ol>
  );
}
