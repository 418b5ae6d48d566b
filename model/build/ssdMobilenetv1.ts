/**
 * ssd_mobilenetv1_model (MobileNetV1 + SSD box predictors, face/background) → ONNX, up to the raw
 * predictions before face-api's outputLayer (anchor decoding, sigmoid, NMS are the runtime's).
 * Layer sequence from face-api's src/ssdMobilenetv1/{mobileNetV1,predictionLayer,boxPredictionLayer}.ts.
 */
import { GraphBuilder, depthwiseToOihw, hwioToOihw, imageInput } from './onnxGraph.ts';
import type { InputSpec, Value } from './onnxGraph.ts';
import type { WeightMap } from './weights.ts';

/** SSD normalises `x / 127.5 - 1` (face-api: `tf.sub(tf.div(x, 127.5), 1)`). */
export const ssdMobilenetv1Input: InputSpec = { netSize: 512, mean: [0, 0, 0], divisor: 127.5, minusOne: true };

/** Number of anchors (prior boxes) the 512 input yields: 32²·3 + (16² + 8² + 4² + 2² + 1²)·6. */
export const SSD_ANCHOR_COUNT = 5118;

const BN_EPSILON = 0.0010000000474974513;

const relu6 = (g: GraphBuilder, x: Value): Value => g.op('Clip', [x.name, g.constant('zero', [], [0]), g.constant('six', [], [6])], x.shape);

/** conv2d 'same' (1×1 or 3×3) + batch-norm offset + relu6. */
function pointwiseConvLayer(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number): Value {
  const filter = hwioToOihw(w.get(`${prefix}/weights`));
  return relu6(g, g.conv(x, filter, w.get(`${prefix}/convolution_bn_offset`).data, { stride, padding: 'same' }));
}

/** depthwise 3×3 'same' + batchNorm (folded into the filter and a bias) + relu6. */
function depthwiseConvLayer(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, stride: number): Value {
  const filter = depthwiseToOihw(w.get(`${prefix}/depthwise_weights`));
  const c = filter.dims[0] as number;
  const gamma = w.get(`${prefix}/BatchNorm/gamma`, [c]).data;
  const beta = w.get(`${prefix}/BatchNorm/beta`, [c]).data;
  const mean = w.get(`${prefix}/BatchNorm/moving_mean`, [c]).data;
  const variance = w.get(`${prefix}/BatchNorm/moving_variance`, [c]).data;
  const bias = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    // tfjs batchNorm: (x - mean) * (rsqrt(var + eps) * scale) + offset
    const inv = Math.fround(Math.fround(1 / Math.sqrt(Math.fround((variance[i] as number) + BN_EPSILON))) * (gamma[i] as number));
    for (let k = 0; k < 9; k++) filter.data[i * 9 + k] = (filter.data[i * 9 + k] as number) * inv;
    bias[i] = (beta[i] as number) - (mean[i] as number) * inv;
  }
  return relu6(g, g.conv(x, filter, bias, { stride, padding: 'same', group: c }));
}

/** A 1×1 conv + bias whose NHWC output is reshaped to `[1, H*W*k, last]`, as face-api's tf.reshape does. */
function predictor(g: GraphBuilder, w: WeightMap, x: Value, prefix: string, last: number): Value {
  const out = g.conv(x, hwioToOihw(w.get(`${prefix}/weights`)), w.get(`${prefix}/biases`).data, { padding: 'same' });
  const [, c, h, wd] = out.shape as [number, number, number, number];
  const nhwc = g.op('Transpose', [out.name], [1, h, wd, c], { perm: [0, 2, 3, 1] });
  const rows = (h * wd * c) / last;
  return g.op('Reshape', [nhwc.name, g.int64('shape', [1, rows, last])], [1, rows, last]);
}

/**
 * Builds `image` [1,S,S,3] → `box_encodings` [1,5118,4] (raw [ty,tx,th,tw] offsets, face-api's
 * `boxPredictions` squeezed), `class_predictions` [1,5118,3] (raw logits, before any sigmoid;
 * face-api's score is sigmoid of channel 1), and `anchors` [5118,4] (`Output/extra_dim`, constant
 * prior boxes [ymin,xmin,ymax,xmax] for the decoding).
 */
export function buildSsdMobilenetv1(w: WeightMap): Uint8Array {
  const g = new GraphBuilder('ssd_mobilenetv1');
  let x = imageInput(g, ssdMobilenetv1Input);
  x = pointwiseConvLayer(g, w, x, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: Value | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwiseConvLayer(g, w, x, `MobilenetV1/Conv2d_${i}_depthwise`, [2, 4, 6, 12].includes(i) ? 2 : 1);
    x = pointwiseConvLayer(g, w, x, `MobilenetV1/Conv2d_${i}_pointwise`, 1);
    if (i === 11) conv11 = x;
  }
  if (!conv11) throw new Error('ssd: conv11 missing');
  const features: Value[] = [conv11, x];
  let p = x;
  for (let i = 0; i < 8; i++) {
    p = pointwiseConvLayer(g, w, p, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    if (i % 2 === 1) features.push(p);
  }
  const boxes = features.map((f, i) => predictor(g, w, f, `Prediction/BoxPredictor_${i}/BoxEncodingPredictor`, 4));
  const classes = features.map((f, i) => predictor(g, w, f, `Prediction/BoxPredictor_${i}/ClassPredictor`, 3));
  const total = boxes.reduce((n, b) => n + (b.shape[1] as number), 0);
  if (total !== SSD_ANCHOR_COUNT) throw new Error(`ssd: ${total} predictions, expected ${SSD_ANCHOR_COUNT}`);
  g.output(g.op('Concat', boxes.map((b) => b.name), [1, total, 4], { axis: 1 }), 'box_encodings');
  g.output(g.op('Concat', classes.map((b) => b.name), [1, total, 3], { axis: 1 }), 'class_predictions');
  const anchors = w.get('Output/extra_dim', [1, total, 4]);
  g.output({ name: g.constant('anchors', [total, 4], anchors.data), shape: [total, 4] }, 'anchors');
  return g.encode();
}
