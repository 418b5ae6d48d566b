/**
 * The reference implementation for parity tests: @vladmandic/face-api on @tensorflow/tfjs with the
 * wasm backend (tfjs-node cannot be installed here), weights loaded from the package's own
 * `model/` folder. Test-only: nothing under model/ or services/ may import this.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type * as Tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export type FaceApiModule = typeof FaceApi;
export type TfModule = typeof Tf;

export interface Reference {
  /** face-api's node-wasm build, every net of the pipeline loaded. */
  readonly faceapi: FaceApiModule;
  /** The very tfjs instance face-api runs on, backend `wasm` already set and ready. */
  readonly tf: TfModule;
  /** Absolute folder of the shipped `*-weights_manifest.json` + `.bin` files. */
  readonly modelDir: string;
}

/** Absolute path of the folder holding face-api's weight manifests and .bin files. */
export const faceApiModelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

let loading: Promise<Reference> | undefined;

/**
 * Loads face-api once per process (memoised; later calls return the same promise): sets the wasm
 * backend from the local tfjs-backend-wasm binaries and loads the SSD, tiny detector, 68-point
 * landmark, recognition, expression and age/gender nets from disk.
 */
export function loadReference(): Promise<Reference> {
  loading ??= load();
  return loading;
}

async function load(): Promise<Reference> {
  // face-api's node-wasm bundle is CommonJS and requires tfjs itself; requiring tfjs here too
  // yields the same cached instance, so the backend we set is the one face-api uses.
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const tf = require('@tensorflow/tfjs') as TfModule;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
  const wasmDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  wasm.setWasmPaths(wasmDist);
  if (!(await tf.setBackend('wasm'))) throw new Error('face-api reference: the tfjs wasm backend failed to initialise');
  await tf.ready();
  await Promise.all([
    faceapi.nets.ssdMobilenetv1.loadFromDisk(faceApiModelDir),
    faceapi.nets.tinyFaceDetector.loadFromDisk(faceApiModelDir),
    faceapi.nets.faceLandmark68Net.loadFromDisk(faceApiModelDir),
    faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModelDir),
    faceapi.nets.faceExpressionNet.loadFromDisk(faceApiModelDir),
    faceapi.nets.ageGenderNet.loadFromDisk(faceApiModelDir),
  ]);
  return { faceapi, tf, modelDir: faceApiModelDir };
}
