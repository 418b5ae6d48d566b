/**
 * The feature extractor shared by face_landmark_68_model and face_expression_model (four
 * denseBlock4s, 112 → 7, then AvgPool 7×7 → 256) and the fully connected head on top of it.
 * See /work/shared/notes/face-api-architecture.md §3 and face-api's src/faceFeatureExtractor/.
 */
import { GraphBuilder, hwioToOihw, imageInput } from './onnxGraph.ts';
import type { InputSpec, Value } from './onnxGraph.ts';
import type { WeightMap } from './weights.ts';

/** Both nets take 112×112 crops, normalised like the recognition net. */
export const faceFeatureInput: InputSpec = { netSize: 112, mean: [122.782, 117.001, 104.298], divisor: 255 };

function denseBlock4(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, isFirst: boolean): Value {
  const c0 = isFirst
    ? g.conv(x, hwioToOihw(w.get(`${prefix}/conv0/filters`)), w.get(`${prefix}/conv0/bias`).data, { stride: 2, padding: 'same' })
    : g.separable(x, w, `${prefix}/conv0`, { stride: 2, padding: 'same' });
  const out1 = g.unary('Relu', c0);
  const out2 = g.separable(out1, w, `${prefix}/conv1`, { padding: 'same' });
  const in3 = g.unary('Relu', g.binary('Add', out1, out2));
  const out3 = g.separable(in3, w, `${prefix}/conv2`, { padding: 'same' });
  // TF computes out1 + (out2 + out3) and out1 + (out2 + (out3 + out4)); keep its association.
  const in4 = g.unary('Relu', g.binary('Add', out1, g.binary('Add', out2, out3)));
  const out4 = g.separable(in4, w, `${prefix}/conv3`, { padding: 'same' });
  return g.unary('Relu', g.binary('Add', out1, g.binary('Add', out2, g.binary('Add', out3, out4))));
}

/**
 * Builds `image` [1,S,S,3] → dense0..3 → AvgPool → fc (`[256,N]` + bias) → optional softmax,
 * emitted as the single output `outputName` `[1,N]`.
 */
export function buildFaceFeatureNet(w: WeightMap, graphName: string, outputName: string, opts: { softmax: boolean }): Uint8Array {
  const g = new GraphBuilder(graphName);
  let x = imageInput(g, faceFeatureInput);
  x = denseBlock4(g, w, x, 'dense0', true);
  x = denseBlock4(g, w, x, 'dense1', false);
  x = denseBlock4(g, w, x, 'dense2', false);
  x = denseBlock4(g, w, x, 'dense3', false);
  x = g.pool('AvgPool', x, 7, 2, 'valid');
  const fcW = w.get('fc/weights');
  const n = fcW.shape[1] as number;
  const flat = g.op('Flatten', [x.name], [1, 256], { axis: 1 });
  const mm = g.op('MatMul', [flat.name, g.constant('fc_w', [256, n], fcW.data)], [1, n]);
  let out = g.binary('Add', mm, g.constant('fc_b', [n], w.get('fc/bias', [n]).data));
  if (opts.softmax) out = g.unary('Softmax', out, { axis: 1 });
  g.output(out, outputName);
  return g.encode();
}
