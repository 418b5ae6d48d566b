/**
 * The shape of `model/onnx/manifest.json`, the contract between the build step and the runtime:
 * every graph takes one input `image` float32 `[1,S,S,3]` (NHWC, raw RGB 0..255, S dynamic, already
 * padded square as `padding` says), resizes it to `netSize` with TF legacy bilinear and normalises it
 * as `(x - mean) / divisor` inside the graph.
 */

/**
 * Every graph the build writes. `tiny_face_detector_<n>` are the same tiny detector resized to `n`
 * inside the graph: the cheap passes for small photos and close-ups (see model/scalePasses.ts).
 */
export const NET_NAMES = [
  'tiny_face_detector', 'tiny_face_detector_96', 'tiny_face_detector_160',
  'ssd_mobilenetv1', 'face_landmark_68', 'face_expression', 'face_recognition', 'age_gender',
] as const;
export type NetName = (typeof NET_NAMES)[number];

export interface TensorSpec {
  readonly name: string;
  /** Static dimensions; the input's dynamic side is the string `'S'`. */
  readonly shape: readonly (number | string)[];
}

export interface NetEntry {
  /** File name inside the manifest's folder. */
  readonly file: string;
  /** sha256 (hex) of that file. */
  readonly sha256: string;
  readonly input: TensorSpec & {
    readonly padding: 'centre' | 'bottom-right';
    readonly netSize: number;
    /** R, G, B means subtracted inside the graph (SSD: 127.5 each, i.e. `x/127.5 - 1`). */
    readonly mean: readonly [number, number, number];
    readonly divisor: number;
  };
  readonly outputs: readonly TensorSpec[];
}

export interface Manifest {
  /** The builder version that wrote the files; a different one means rebuild. */
  readonly version: string;
  readonly builtFrom: {
    readonly package: string;
    readonly version: string;
    /** sha256 (hex) of every weights file read, by file name (manifest JSONs and .bin shards). */
    readonly weightsSha256: Readonly<Record<string, string>>;
  };
  readonly nets: Readonly<Record<NetName, NetEntry>>;
}
