/**
 * A small ONNX graph builder over onnx-proto (protobufjs). Activations are NCHW with static shapes
 * tracked at build time (every net resizes its input to a fixed size first), so TF 'same' padding
 * can be written out explicitly: TF puts the odd extra pixel at the bottom/right.
 */
import onnxProto from 'onnx-proto';
import type { WeightTensor } from './weights.ts';

const { onnx } = onnxProto;

/** The opset every graph imports (onnxruntime-node 1.30 runs it; the resize is spelled out, see below). */
export const OPSET = 13;
const IR_VERSION = 7;

/** A value in the graph: its name and NCHW shape (static, except the graph input). */
export interface Value {
  readonly name: string;
  readonly shape: readonly number[];
}

export type Padding = 'same' | 'valid' | readonly [number, number, number, number];

type Attr = number | readonly number[] | string | { floats: readonly number[] } | { float: number };

/** The ONNX `pads` ([top, left, bottom, right]) for TF padding with this kernel, stride and input. */
export function tfPads(padding: Padding, inH: number, inW: number, k: number, stride: number): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') return [...padding];
  const total = (n: number): number => Math.max((Math.ceil(n / stride) - 1) * stride + k - n, 0);
  const th = total(inH);
  const tw = total(inW);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

const outSize = (n: number, k: number, stride: number, padBefore: number, padAfter: number): number =>
  Math.floor((n + padBefore + padAfter - k) / stride) + 1;

/** HWIO `[kh,kw,cin,cout]` conv filter → OIHW `[cout,cin,kh,kw]`. */
export function hwioToOihw(t: WeightTensor): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = t.shape as [number, number, number, number];
  const src = t.data as Float32Array;
  const data = new Float32Array(src.length);
  for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    data[((o * cin + i) * kh + h) * kw + w] = src[((h * kw + w) * cin + i) * cout + o] as number;
  }
  return { data, dims: [cout, cin, kh, kw] };
}

/** Depthwise `[kh,kw,cin,1]` filter → `[cin,1,kh,kw]` for a grouped conv with group = cin. */
export function depthwiseToOihw(t: WeightTensor): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, mult] = t.shape as [number, number, number, number];
  if (mult !== 1) throw new Error(`depthwise filter with channel multiplier ${mult} is not supported`);
  return hwioToOihw({ ...t, shape: [kh, kw, 1, cin] });
}

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}

const bytesOf = (a: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** Builds one graph; `conv`, `pool` and friends return the new value with its shape. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** A fresh, readable value name. */
  fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }

  /** Declares a float32 graph input; a string dimension is symbolic (dynamic). */
  input(name: string, shape: readonly (number | string)[]): void {
    this.inputs.push(valueInfo(name, shape));
  }

  /** Declares `value` as a float32 graph output, renamed to `name` through an Identity. */
  output(value: Value, name: string): void {
    this.node('Identity', [value.name], [name]);
    this.outputs.push(valueInfo(name, value.shape));
  }

  /** A float32 initializer. */
  constant(hint: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    const name = this.fresh(hint);
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    if (arr.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`constant ${name}: ${arr.length} values for dims [${dims.join(',')}]`);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(arr) });
    return name;
  }

  /** An int64 initializer (shapes, sizes, axes). */
  int64(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  /** Appends a node; returns its output names (one fresh name per requested output). */
  node(op: string, inputs: readonly string[], outputs: readonly string[] | number = 1, attrs: Record<string, Attr> = {}): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : [...outputs];
    this.nodes.push({
      opType: op,
      name: this.fresh(`n_${op}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** A node with one output of a known shape. */
  op(op: string, inputs: readonly string[], shape: readonly number[], attrs: Record<string, Attr> = {}): Value {
    const [name] = this.node(op, inputs, 1, attrs) as [string];
    return { name, shape };
  }

  /** Conv with an OIHW filter, optional bias, TF-style padding. */
  conv(x: Value, filter: { data: Float32Array; dims: readonly number[] }, bias: Float32Array | undefined, opts: { stride?: number; padding: Padding; group?: number }): Value {
    const [n, , h, w] = x.shape as [number, number, number, number];
    const [cout, , kh, kw] = filter.dims as [number, number, number, number];
    const stride = opts.stride ?? 1;
    if (kh !== kw) throw new Error('only square kernels are supported');
    const pads = tfPads(opts.padding, h, w, kh, stride);
    const inputs = [x.name, this.constant('W', filter.dims, filter.data)];
    if (bias) inputs.push(this.constant('B', [cout], bias));
    const shape = [n, cout, outSize(h, kh, stride, pads[0], pads[2]), outSize(w, kw, stride, pads[1], pads[3])];
    return this.op('Conv', inputs, shape, {
      kernel_shape: [kh, kw], strides: [stride, stride], pads, dilations: [1, 1], group: opts.group ?? 1,
    });
  }

  /**
   * TF separableConv2d (+ bias): depthwise 3×3 (group = cin, no bias) with the given stride and
   * padding, then pointwise 1×1 with the bias. Weights `<prefix>/{depthwise_filter,pointwise_filter,bias}`.
   */
  separable(x: Value, weights: { get(name: string): WeightTensor }, prefix: string, opts: { stride?: number; padding: Padding }): Value {
    const dw = weights.get(`${prefix}/depthwise_filter`);
    const pw = weights.get(`${prefix}/pointwise_filter`);
    const bias = weights.get(`${prefix}/bias`).data as Float32Array;
    const cin = x.shape[1] as number;
    const depth = this.conv(x, depthwiseToOihw(dw), undefined, { stride: opts.stride ?? 1, padding: opts.padding, group: cin });
    return this.conv(depth, hwioToOihw(pw), bias, { padding: 'valid' });
  }

  /** MaxPool / AvgPool, k×k, TF padding; AvgPool here is only ever 'valid'. */
  pool(kind: 'MaxPool' | 'AvgPool', x: Value, k: number, stride: number, padding: Padding): Value {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const pads = tfPads(padding, h, w, k, stride);
    if (kind === 'AvgPool' && pads.some((p) => p !== 0)) throw new Error('padded AvgPool would need count_include_pad care');
    const shape = [n, c, outSize(h, k, stride, pads[0], pads[2]), outSize(w, k, stride, pads[1], pads[3])];
    return this.op(kind === 'AvgPool' ? 'AveragePool' : kind, [x.name], shape, { kernel_shape: [k, k], strides: [stride, stride], pads });
  }

  /** Elementwise op whose output has `a`'s shape (Add, Sub, Mul, Div with broadcasting b). */
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value | string): Value {
    return this.op(op, [a.name, typeof b === 'string' ? b : b.name], a.shape);
  }

  /** Shape-preserving unary op (Relu, Sigmoid, …). */
  unary(op: string, x: Value, attrs: Record<string, Attr> = {}): Value {
    return this.op(op, [x.name], x.shape, attrs);
  }

  /** Sum of several same-shaped values, left to right (as TF's nested adds are ordered). */
  sum(values: readonly Value[]): Value {
    const [first, ...rest] = values;
    if (!first) throw new Error('sum of nothing');
    return rest.reduce((acc, v) => this.binary('Add', acc, v), first);
  }

  /** Serialises the graph as an ONNX model. */
  encode(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'facefleet-model-build',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** How a net's input is prepared inside the graph (the contract in model/onnx/manifest.json). */
export interface InputSpec {
  readonly netSize: number;
  /** Per-channel mean subtracted before dividing (R, G, B); SSD instead scales by `divisor` and subtracts 1. */
  readonly mean: readonly [number, number, number];
  readonly divisor: number;
  /** SSD: `x / divisor - 1` instead of `(x - mean) / divisor`. */
  readonly minusOne?: boolean;
}

/**
 * TF's legacy bilinear resize (`resizeBilinear(alignCorners=false, halfPixelCenters=false)` as the
 * tfjs wasm backend / XNNPACK computes it) of a square NHWC image `[1,S,S,C]` to `[1,n,n,C]`,
 * bit-exact: source coordinate `y * float32(S/n)`, index `floor`, next index clamped to `S-1`,
 * `top = tl + (tr-tl)*ax; bottom = bl + (br-bl)*ax; out = top + (bottom-top)*ay`.
 * ONNX `Resize` (asymmetric) computes the coordinate as `y / (n/S)` instead, which moves pixels by
 * up to 5e-3 and the tiny detector's head by 4e-4, so it is spelled out with Gathers here.
 * When S equals n the output is the input exactly (all weights 0).
 */
export function tfResizeBilinearSquare(g: GraphBuilder, image: string, n: number, channels: number): Value {
  const [shape] = g.node('Shape', [image]) as [string];
  const [s] = g.node('Gather', [shape, g.int64('axis1', [1], [])], 1, { axis: 0 }) as [string];
  const [sf] = g.node('Cast', [s], 1, { to: onnx.TensorProto.DataType.FLOAT }) as [string];
  const [scale] = g.node('Div', [sf, g.constant('n', [], [n])]) as [string];
  const [coords] = g.node('Mul', [g.constant('arange', [n], Array.from({ length: n }, (_, i) => i)), scale]) as [string];
  const [floor] = g.node('Floor', [coords]) as [string];
  const [alpha] = g.node('Sub', [coords, floor]) as [string];
  const [i0] = g.node('Cast', [floor], 1, { to: onnx.TensorProto.DataType.INT64 }) as [string];
  const one = g.int64('one', [1], []);
  const [last] = g.node('Sub', [s, one]) as [string];
  const [next] = g.node('Add', [i0, one]) as [string];
  const [i1] = g.node('Min', [next, last]) as [string];
  const [rows0] = g.node('Gather', [image, i0], 1, { axis: 1 }) as [string];
  const [rows1] = g.node('Gather', [image, i1], 1, { axis: 1 }) as [string];
  const out = [1, n, n, channels];
  const corner = (rows: string, idx: string): Value => g.op('Gather', [rows, idx], out, { axis: 2 });
  const tl = corner(rows0, i0);
  const tr = corner(rows0, i1);
  const bl = corner(rows1, i0);
  const br = corner(rows1, i1);
  const [ax] = g.node('Reshape', [alpha, g.int64('ax_shape', [1, 1, n, 1])]) as [string];
  const [ay] = g.node('Reshape', [alpha, g.int64('ay_shape', [1, n, 1, 1])]) as [string];
  const lerp = (a: Value, b: Value, w: string): Value => g.binary('Add', a, g.binary('Mul', g.binary('Sub', b, a), w));
  return lerp(lerp(tl, tr, ax), lerp(bl, br, ax), ay);
}

/**
 * The common graph head: input `image` `[1,S,S,3]` NHWC 0..255 → TF-exact bilinear resize to
 * `netSize` → NCHW → normalisation in the reference's op order.
 */
export function imageInput(g: GraphBuilder, spec: InputSpec): Value {
  g.input('image', [1, 'S', 'S', 3]);
  const { netSize: n } = spec;
  const resized = tfResizeBilinearSquare(g, 'image', n, 3);
  const nchw = g.op('Transpose', [resized.name], [1, 3, n, n], { perm: [0, 3, 1, 2] });
  if (spec.minusOne) {
    const scaled = g.binary('Div', nchw, g.constant('divisor', [], [spec.divisor]));
    return g.binary('Sub', scaled, g.constant('one', [], [1]));
  }
  const centred = g.binary('Sub', nchw, g.constant('mean', [1, 3, 1, 1], spec.mean));
  return g.binary('Div', centred, g.constant('divisor', [], [spec.divisor]));
}
