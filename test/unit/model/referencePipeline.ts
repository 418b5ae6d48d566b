/**
 * Runs face-api (the reference, tfjs-wasm) on the very RGB tensor our pipeline decoded, and
 * returns its faces in our shape, for parity tests and the benchmark.
 */
import { loadReference, type Reference } from '../../support/faceApiReference.ts';
import type { RgbImage } from '../../../model/image.ts';
import type { DetectorName } from '../../../model/recognize.ts';

export interface ReferenceFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  landmarks: { x: number; y: number }[];
  descriptor: number[];
  expressions: Record<string, number>;
  age: number;
  gender: string;
  genderProbability: number;
}

export { loadReference, type Reference };

/** face-api's options object for our detector name (its defaults: SSD 0.5/100, tiny 416/0.5). */
export function referenceOptions(ref: Reference, detector: DetectorName): unknown {
  return detector === 'ssd' ? new ref.faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }) : new ref.faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
}

/** `detectAllFaces(t).withFaceLandmarks().withFaceDescriptors().withFaceExpressions().withAgeAndGender()` on `image`. */
export async function referenceFaces(ref: Reference, image: RgbImage, detector: DetectorName): Promise<ReferenceFace[]> {
  const { faceapi, tf } = ref;
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const results = await faceapi
      .detectAllFaces(tensor as never, referenceOptions(ref, detector) as never)
      .withFaceLandmarks()
      .withFaceDescriptors()
      .withFaceExpressions()
      .withAgeAndGender();
    return results.map((r) => ({
      box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
      score: r.detection.score,
      landmarks: r.landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
      descriptor: Array.from(r.descriptor),
      expressions: { ...r.expressions } as Record<string, number>,
      age: r.age,
      gender: r.gender,
      genderProbability: r.genderProbability,
    }));
  } finally {
    tensor.dispose();
  }
}

/** Detection + landmarks + descriptor only (what the benchmark times). */
export async function referenceDescribe(ref: Reference, image: RgbImage, detector: DetectorName): Promise<number> {
  const { faceapi, tf } = ref;
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const results = await faceapi.detectAllFaces(tensor as never, referenceOptions(ref, detector) as never).withFaceLandmarks().withFaceDescriptors();
    return results.length;
  } finally {
    tensor.dispose();
  }
}
