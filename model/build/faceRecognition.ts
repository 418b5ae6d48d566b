/**
 * face_recognition_model (ResNet-34-like, dlib style) → ONNX. See
 * /work/shared/notes/face-api-architecture.md §2 and face-api's src/faceRecognitionNet/.
 */
import { GraphBuilder, hwioToOihw, imageInput } from './onnxGraph.ts';
import type { InputSpec, Value } from './onnxGraph.ts';
import type { WeightMap } from './weights.ts';

export const faceRecognitionInput: InputSpec = { netSize: 150, mean: [122.782, 117.001, 104.298], divisor: 255 };

/**
 * conv → +bias → *scale + scaleBias, with the per-channel affine folded into the filter and bias
 * (W' = W*s, b' = b*s + sb); ReLU when asked.
 */
function convUnit(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, opts: { stride: number; padding: 'same' | 'valid'; relu: boolean }): Value {
  const filters = w.get(`${prefix}/conv/filters`);
  const cout = filters.shape[3] as number;
  const bias = w.get(`${prefix}/conv/bias`, [cout]).data;
  const s = w.get(`${prefix}/scale/weights`, [cout]).data;
  const sb = w.get(`${prefix}/scale/biases`, [cout]).data;
  const filter = hwioToOihw(filters);
  const per = filter.data.length / cout;
  for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) filter.data[o * per + i] = (filter.data[o * per + i] as number) * (s[o] as number);
  const b = new Float32Array(cout);
  for (let o = 0; o < cout; o++) b[o] = (bias[o] as number) * (s[o] as number) + (sb[o] as number);
  const out = g.conv(x, filter, b, { stride: opts.stride, padding: opts.padding });
  return opts.relu ? g.unary('Relu', out) : out;
}

function residual(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  const a = convUnit(g, w, x, `${prefix}/conv1`, { stride: 1, padding: 'same', relu: true });
  const b = convUnit(g, w, a, `${prefix}/conv2`, { stride: 1, padding: 'same', relu: false });
  return g.unary('Relu', g.binary('Add', b, x));
}

function residualDown(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  const a = convUnit(g, w, x, `${prefix}/conv1`, { stride: 2, padding: 'valid', relu: true });
  let b = convUnit(g, w, a, `${prefix}/conv2`, { stride: 1, padding: 'same', relu: false });
  let pooled = g.pool('AvgPool', x, 2, 2, 'valid');
  const [n, c, h, wd] = pooled.shape as [number, number, number, number];
  const [, cb, hb, wb] = b.shape as [number, number, number, number];
  if (h !== hb || wd !== wb) {
    // face-api appends one zero row at the bottom and one zero column at the right of the branch.
    if (h !== hb + 1 || wd !== wb + 1) throw new Error(`${prefix}: unexpected shapes ${pooled.shape} vs ${b.shape}`);
    b = g.op('Pad', [b.name, g.int64('pads', [0, 0, 0, 0, 0, 0, 1, 1])], [n, cb, h, wd], { mode: 'constant' });
  }
  if (c !== cb) {
    // …and zero channels appended to the shortcut when the branch is wider.
    pooled = g.op('Pad', [pooled.name, g.int64('pads', [0, 0, 0, 0, 0, cb - c, 0, 0])], [n, cb, h, wd], { mode: 'constant' });
  }
  return g.unary('Relu', g.binary('Add', pooled, b));
}

/** Builds the graph: `image` [1,S,S,3] → `descriptor` [1,128] (not L2-normalised, as face-api). */
export function buildFaceRecognition(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('face_recognition');
  let x = imageInput(g, faceRecognitionInput);
  x = convUnit(g, w, x, 'conv32_down', { stride: 2, padding: 'valid', relu: true });
  x = g.pool('MaxPool', x, 3, 2, 'valid');
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(g, w, x, p);
  x = residualDown(g, w, x, 'conv256_down_out');
  const pooled = g.op('ReduceMean', [x.name], [1, 256], { axes: [2, 3], keepdims: 0 });
  const fc = w.get('fc', [256, 128]);
  const descriptor = g.op('MatMul', [pooled.name, g.constant('fc', [256, 128], fc.data)], [1, 128]);
  g.output(descriptor, 'descriptor');
  return g.encode();
}
