/**
 * Detection at every scale. The reference pass (the chosen detector on the whole photo) finds faces
 * that fill up to about a quarter of its input; a 64×64 face photo or a tight close-up is missed.
 * So a photo is shown to the detectors in further passes — placed on a larger canvas and resized
 * to a small net size — and their detections are merged by non-maximum suppression, in the
 * photo's own pixels. Which passes run, and when, is `planPasses`; the figures that chose them are
 * in README ("Faces at every scale").
 */
import { placeOnSquare } from './canvas.ts';
import { decodeSsd, SSD_INPUT_SIZE } from './detectSsd.ts';
import { decodeTinyGrid, TINY_INPUT_SIZE, type Detection } from './detectTiny.ts';
import { SMALL_PHOTO_SIDE, type RgbImage } from './image.ts';
import { greedyNms, iou } from './nms.ts';
import { runSquare, type NetName, type Sessions } from './sessions.ts';
import { loadSsdAnchors } from './ssdAnchors.ts';
import { padBottomRightResized } from './tensors.ts';

export type DetectorName = 'ssd' | 'tiny';

/** The detector graphs, each with the size it resizes its input to. */
const DETECTOR_NETS = {
  ssd_mobilenetv1: SSD_INPUT_SIZE,
  tiny_face_detector: TINY_INPUT_SIZE,
  tiny_face_detector_96: 96,
  tiny_face_detector_160: 160,
} as const satisfies Partial<Record<NetName, number>>;
export type DetectorNet = keyof typeof DETECTOR_NETS;

/** One look at the photo: which net, on a square canvas how many times the photo's longest side. */
export interface DetectionPass {
  readonly net: DetectorNet;
  /** Canvas side ÷ the photo's longest side (1: the photo padded bottom/right only, as the reference does). */
  readonly canvas: number;
  /** Detections scoring at or below this are dropped. */
  readonly minScore: number;
}

/** The reference pass of each detector: face-api's defaults, on the photo as it is. */
export const REFERENCE_PASS: Record<DetectorName, DetectionPass> = {
  ssd: { net: 'ssd_mobilenetv1', canvas: 1, minScore: 0.5 },
  tiny: { net: 'tiny_face_detector', canvas: 1, minScore: 0.5 },
};

/** A photo whose longest side is at most this is "small": the reference pass is skipped (it cannot find its face and costs the most). */
export const SMALL_SIDE = SMALL_PHOTO_SIDE;

/** A face whose box covers more than this share of the photo is a close-up: the scale passes look again. */
export const CLOSE_UP_SHARE = 0.3;

/** IoU above which two detections from different passes are one face. */
export const MERGE_IOU = 0.3;

/**
 * The passes for small photos and close-ups, cheapest first. `fallback` runs only when none of
 * `cheap` found a face.
 */
export const SCALE_PASSES: { readonly cheap: readonly DetectionPass[]; readonly fallback: readonly DetectionPass[] } = {
  cheap: [
    { net: 'tiny_face_detector_96', canvas: 1.25, minScore: 0.4 },
    { net: 'tiny_face_detector_96', canvas: 1.5, minScore: 0.4 },
    { net: 'tiny_face_detector_160', canvas: 1.5, minScore: 0.4 },
  ],
  fallback: [{ net: 'ssd_mobilenetv1', canvas: 4, minScore: 0.5 }],
};

/** What found the faces: `reference` when the photo's result is the reference pass's alone. */
export interface ScaleDetections {
  detections: Detection[];
  /** True when only the reference pass ran and its faces are kept as they are. */
  reference: boolean;
  /** The passes that ran, in order (for diagnostics and the benchmark). */
  passes: DetectionPass[];
}

/**
 * Runs one pass; boxes in the photo's pixels, unclipped (a face cut by the photo's edge reaches
 * past it), best score first.
 */
export async function runPass(sessions: Sessions, image: RgbImage, pass: DetectionPass): Promise<Detection[]> {
  const placed = pass.canvas === 1 ? { image, offsetX: 0, offsetY: 0 } : placeOnSquare(image, pass.canvas);
  const netSize = DETECTOR_NETS[pass.net];
  const input = padBottomRightResized(placed.image, netSize);
  const out = await runSquare(sessions[pass.net], input.data, input.size);
  const { width, height } = placed.image;
  const found = pass.net === 'ssd_mobilenetv1'
    ? decodeSsd(required(out, 'box_encodings'), required(out, 'class_predictions'), out.anchors ?? (await loadSsdAnchors()), width, height, { minConfidence: pass.minScore })
    : decodeTinyGrid(required(out, 'grid'), width, height, { inputSize: netSize, scoreThreshold: pass.minScore });
  if (placed.offsetX === 0 && placed.offsetY === 0) return found;
  return found.map((d) => ({ score: d.score, box: { ...d.box, x: d.box.x - placed.offsetX, y: d.box.y - placed.offsetY } }));
}

/** Merges the detections of several passes: one box per face, the best-scoring one, best first. */
export function mergeDetections(detections: readonly Detection[]): Detection[] {
  const keep = greedyNms(detections.map((d) => d.box), detections.map((d) => d.score), MERGE_IOU);
  return keep.map((i) => detections[i] as Detection);
}

/**
 * The faces of `image` at every scale:
 * - a photo larger than `SMALL_SIDE` gets the reference pass first; when it finds faces and none is
 *   a close-up, that is the answer, exactly the reference's;
 * - otherwise the cheap scale passes run — the third only when the first two do not agree on a face
 *   (measured: 3 ms less per 64×64 photo, one 32×32 face fewer named of 88) — merged with what the
 *   reference found, and when they find nothing the fallback passes run.
 */
export async function detectAtScales(sessions: Sessions, image: RgbImage, detector: DetectorName): Promise<ScaleDetections> {
  const passes: DetectionPass[] = [];
  const found: Detection[] = [];
  const run = async (pass: DetectionPass): Promise<Detection[]> => {
    passes.push(pass);
    const detections = await runPass(sessions, image, pass);
    found.push(...detections);
    return detections;
  };
  if (Math.max(image.originalWidth, image.originalHeight) > SMALL_SIDE) {
    const plain = await run(REFERENCE_PASS[detector]);
    const area = image.width * image.height;
    if (plain.length > 0 && plain.every((d) => (d.box.width * d.box.height) / area <= CLOSE_UP_SHARE)) {
      return { detections: plain, reference: true, passes };
    }
  }
  const [first, second, ...rest] = SCALE_PASSES.cheap;
  const a = first ? await run(first) : [];
  const b = second ? await run(second) : [];
  // Two looks that agree on a face are enough: the wider pass is for what they miss.
  const agree = a.some((x) => b.some((y) => iou(x.box, y.box) > MERGE_IOU));
  if (!agree) for (const pass of rest) await run(pass);
  if (found.length === 0) for (const pass of SCALE_PASSES.fallback) await run(pass);
  return { detections: mergeDetections(found), reference: false, passes };
}

function required(out: Record<string, Float32Array>, name: string): Float32Array {
  const value = out[name];
  if (!value) throw new Error(`model output '${name}' is missing (outputs: ${Object.keys(out).join(', ')})`);
  return value;
}
