/**
 * The SSD's 5118 anchor boxes. face-api does not compute them: they ship inside its weights as the
 * float32 tensor `Output/extra_dim` `[1, 5118, 4]` (`[ymin, xmin, ymax, xmax]`, relative), so we read
 * that very tensor from the package's .bin (located through its manifest) and get bit-identical
 * anchors. Memoised per process.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const SSD_ANCHOR_COUNT = 5118;
const ANCHOR_TENSOR = 'Output/extra_dim';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

let anchors: Promise<Float32Array> | undefined;

/** The anchors as a flat `[5118 * 4]` array of `ymin, xmin, ymax, xmax`. */
export function loadSsdAnchors(): Promise<Float32Array> {
  anchors ??= readAnchors();
  anchors.catch(() => {
    anchors = undefined;
  });
  return anchors;
}

async function readAnchors(): Promise<Float32Array> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  const manifest = JSON.parse(await readFile(join(dir, 'ssd_mobilenetv1_model-weights_manifest.json'), 'utf8')) as { paths: string[]; weights: ManifestEntry[] }[];
  const group = manifest[0];
  if (!group || group.paths.length !== 1) throw new Error('ssd anchors: expected one weight shard');
  let offset = 0;
  for (const entry of group.weights) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const width = entry.quantization?.dtype === 'uint8' ? 1 : entry.quantization?.dtype === 'uint16' ? 2 : 4;
    if (entry.name === ANCHOR_TENSOR) {
      if (entry.dtype !== 'float32' || entry.quantization || count !== SSD_ANCHOR_COUNT * 4) throw new Error('ssd anchors: unexpected layout of Output/extra_dim');
      const bin = await readFile(join(dir, group.paths[0] as string));
      // Copy: the offset is not 4-byte aligned.
      return new Float32Array(new Uint8Array(bin.subarray(offset, offset + count * 4)).buffer);
    }
    offset += count * width;
  }
  throw new Error(`ssd anchors: ${ANCHOR_TENSOR} not found in the manifest`);
}
