// Same-size photos stacked into one NHWC batch, the engine's input (classification, the class drivers'
// attribution, where a unit fires). Its own module, not image.ts: every stage reaches image.ts, and an
// edit there would rerun every feature visualization.
import type { NdArray } from './engine.ts';
import type { RgbImage } from './image.ts';

export function stackImages(images: readonly RgbImage[]): NdArray {
  const { width, height } = images[0];
  const per = width * height * 3;
  const data = new Float32Array(images.length * per);
  images.forEach((im, i) => {
    if (im.width !== width || im.height !== height) throw new Error(`stackImages: image ${i} is ${im.width}x${im.height}, the first ${width}x${height}`);
    data.set(im.data, i * per);
  });
  return { data, shape: [images.length, height, width, 3] };
}
