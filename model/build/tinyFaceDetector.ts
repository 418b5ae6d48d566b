/**
 * tiny_face_detector_model (Tiny-YOLOv2 style, separable convs, one class) → ONNX. See
 * /work/shared/notes/face-api-architecture.md §4 and face-api's TinyYolov2Base.runMobilenet.
 */
import { GraphBuilder, hwioToOihw, imageInput } from './onnxGraph.ts';
import type { InputSpec, Value } from './onnxGraph.ts';
import type { WeightMap } from './weights.ts';

export const tinyFaceDetectorInput: InputSpec = { netSize: 416, mean: [117.001, 114.697, 97.404], divisor: 255 };

/** Anchor boxes (w, h in grid cells), in anchor order of the head's channels. */
export const TINY_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308],
];

// face-api's leaky is relu(x - 0.1x) + 0.1x, which is LeakyRelu(0.1) up to rounding.
const leaky = (g: GraphBuilder, x: Value): Value => g.unary('LeakyRelu', x, { alpha: { float: 0.10000000149011612 } });

/**
 * Builds `image` [1,S,S,3] → `grid` [1,25,n/32,n/32]: the raw head, channel = anchor*5 +
 * [tx,ty,tw,th,score]. The net is fully convolutional and its anchors are in grid cells (32 px), so
 * face-api runs it at any multiple of 32; `netSize` picks the size the graph resizes its input to.
 */
export function buildTinyFaceDetector(w: WeightMap, netSize: number = tinyFaceDetectorInput.netSize): Uint8Array {
  if (netSize % 32 !== 0) throw new Error(`tiny detector: net size ${netSize} is not a multiple of 32`);
  const g = new GraphBuilder(`tiny_face_detector_${netSize}`);
  let x = imageInput(g, { ...tinyFaceDetectorInput, netSize });
  x = leaky(g, g.conv(x, hwioToOihw(w.get('conv0/filters')), w.get('conv0/bias').data, { padding: 'valid' }));
  x = g.pool('MaxPool', x, 2, 2, 'same');
  for (const layer of ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']) {
    x = leaky(g, g.separable(x, w, layer, { padding: [1, 1, 1, 1] }));
    x = g.pool('MaxPool', x, 2, layer === 'conv5' ? 1 : 2, 'same');
  }
  const head = g.conv(x, hwioToOihw(w.get('conv8/filters')), w.get('conv8/bias').data, { padding: 'valid' });
  g.output(head, 'grid');
  return g.encode();
}
