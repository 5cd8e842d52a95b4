// Whether a dataset example's receptive field runs past the photo's edge. VGG pads every conv with zeros,
// and a unit whose field hangs over the border sees that padding as part of its input: in the default
// atlas 59% of block3_conv4's top examples peak there, where 38% of its positions have such a field. Such
// crops are clipped, and a cut-out turned for pose would not hold what the unit saw; both are marked or
// left out, not silently mixed in.
// (Apart from crops.ts, which the dataset pass imports: an edit here must not change the pass's cache key.)
import { cropBox } from './crops.ts';
import type { ReceptiveField } from '../model/spec.ts';

export function atEdge(rf: ReceptiveField, x: number, y: number, imageSize: number): boolean {
  const b = cropBox(rf, x, y, imageSize);
  return b.width < Math.round(rf.size) || b.height < Math.round(rf.size);
}
