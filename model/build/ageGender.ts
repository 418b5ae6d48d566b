/**
 * age_gender_model (TinyXception with two main blocks, then two fully connected heads) → ONNX:
 * `image` [1,S,S,3] → `age` [1,1] (years, a regression) and `gender` [1,2] (softmax over
 * [male, female]). Layer sequence from face-api's src/xception/TinyXception.ts and
 * src/ageGenderNet/AgeGenderNet.ts; the input is the 112×112 crop the expression net reads.
 */
import { faceFeatureInput } from './faceFeatureExtractor.ts';
import { GraphBuilder, hwioToOihw, imageInput } from './onnxGraph.ts';
import type { Value } from './onnxGraph.ts';
import type { WeightMap } from './weights.ts';

/** TF conv2d 'same' + bias. */
function conv(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number): Value {
  return g.conv(x, hwioToOihw(w.get(`${prefix}/filters`)), w.get(`${prefix}/bias`).data, { stride, padding: 'same' });
}

/** face-api's depthwiseSeparableConv: TF separableConv2d 'same', stride 1, + bias. */
const sep = (g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value => g.separable(x, w, prefix, { padding: 'same' });
const relu = (g: GraphBuilder, x: Value): Value => g.unary('Relu', x);

/** Halves the size: two separable convs, MaxPool 3×3/2 'same', plus a strided 1×1 expansion of the input. */
function reductionBlock(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, activateInput: boolean): Value {
  let out = activateInput ? relu(g, x) : x;
  out = sep(g, w, out, `${prefix}/separable_conv0`);
  out = sep(g, w, relu(g, out), `${prefix}/separable_conv1`);
  out = g.pool('MaxPool', out, 3, 2, 'same');
  return g.binary('Add', out, conv(g, w, x, `${prefix}/expansion_conv`, 2));
}

/** Three separable convs on the activated input, added to the input. */
function mainBlock(g: GraphBuilder, w: WeightMap, x: Value, prefix: string): Value {
  let out = sep(g, w, relu(g, x), `${prefix}/separable_conv0`);
  out = sep(g, w, relu(g, out), `${prefix}/separable_conv1`);
  out = sep(g, w, relu(g, out), `${prefix}/separable_conv2`);
  return g.binary('Add', out, x);
}

/** A `[512, n]` fully connected layer with bias on the pooled features. */
function fc(g: GraphBuilder, w: WeightMap, flat: Value, prefix: string): Value {
  const weights = w.get(`${prefix}/weights`);
  const n = weights.shape[1] as number;
  const mm = g.op('MatMul', [flat.name, g.constant(`${prefix.replace('/', '_')}_w`, [512, n], weights.data)], [1, n]);
  return g.binary('Add', mm, g.constant(`${prefix.replace('/', '_')}_b`, [n], w.get(`${prefix}/bias`, [n]).data));
}

export function buildAgeGender(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('age_gender');
  let x = imageInput(g, faceFeatureInput);
  x = relu(g, conv(g, w, x, 'entry_flow/conv_in', 2));
  x = reductionBlock(g, w, x, 'entry_flow/reduction_block_0', false);
  x = reductionBlock(g, w, x, 'entry_flow/reduction_block_1', true);
  x = mainBlock(g, w, x, 'middle_flow/main_block_0');
  x = mainBlock(g, w, x, 'middle_flow/main_block_1');
  x = reductionBlock(g, w, x, 'exit_flow/reduction_block', true);
  x = relu(g, sep(g, w, x, 'exit_flow/separable_conv'));
  x = g.pool('AvgPool', x, 7, 2, 'valid');
  const flat = g.op('Flatten', [x.name], [1, 512], { axis: 1 });
  g.output(fc(g, w, flat, 'fc/age'), 'age');
  g.output(g.unary('Softmax', fc(g, w, flat, 'fc/gender'), { axis: 1 }), 'gender');
  return g.encode();
}
