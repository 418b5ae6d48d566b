/**
 * Match quality on the demo photos: how the match threshold trades false accepts for false rejects,
 * and how close the two nearest subjects of a face come (what `ambiguityMargin` is set from).
 *
 *   npx tsx test/bench/matchQuality.ts
 *
 * Every face of face-api's six demo photos is a subject; its crops (test/support/faceCrops.ts: the
 * enrolment crop and 13 queries at other margins, sizes, tilts and JPEG qualities) are its photos.
 *  1. Pairwise: the largest face's descriptor of every crop against every other crop; a pair of one
 *     subject is "same", else "different". FAR = different pairs below the threshold / all different
 *     pairs; FRR = same pairs at or above it / all same pairs; at thresholds 0.40 … 0.70.
 *  2. Gallery: each subject enrolled from its enrolment crop, each query matched (matchFace): the gap
 *     between the nearest and the runner-up subject when the nearest is right and when it is wrong.
 * A subject is a face as found in one photo: two photos of one person would count as "different",
 * so the closest "different" pairs are printed for a reader to judge.
 */
import { addExample, addSubject, emptyGallery, euclideanDistance, loadModel, matchFace, type Gallery } from '../../model/index.ts';
import { largestFace } from '../../model/recognize.ts';
import { makeFaceCrops, type FaceCrop } from '../support/faceCrops.ts';

interface Described {
  crop: FaceCrop;
  descriptor: number[];
}

const thresholds = [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7];
const pct = (n: number, of: number): string => (of === 0 ? '–' : `${((100 * n) / of).toFixed(1)} %`);
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? NaN;
};

async function main(): Promise<void> {
  const model = await loadModel();
  const set = await makeFaceCrops();
  const describe = async (crops: FaceCrop[]): Promise<Described[]> => {
    const out: Described[] = [];
    for (const crop of crops) {
      const face = largestFace((await model.analyse(crop.bytes)).faces);
      if (face) out.push({ crop, descriptor: face.descriptor });
    }
    return out;
  };
  const enrolment = await describe(set.enrolment);
  const queries = await describe(set.queries);
  const all = [...enrolment, ...queries];
  console.log(`subjects (faces in the demo photos): ${set.faces.length}; crops with a face found: ${all.length} of ${set.enrolment.length + set.queries.length}`);

  // Without the 32×32 crops: photos of the sizes people upload.
  const big = all.filter((x) => x.crop.size !== 32);
  const bigSame: number[] = [];
  const bigDiff: number[] = [];
  for (let i = 0; i < big.length; i++) {
    for (let j = i + 1; j < big.length; j++) {
      const a = big[i] as Described;
      const b = big[j] as Described;
      (a.crop.subject === b.crop.subject ? bigSame : bigDiff).push(euclideanDistance(a.descriptor, b.descriptor));
    }
  }
  const same: number[] = [];
  const different: Array<{ d: number; a: string; b: string }> = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i] as Described;
      const b = all[j] as Described;
      const d = euclideanDistance(a.descriptor, b.descriptor);
      if (a.crop.subject === b.crop.subject) same.push(d);
      else different.push({ d, a: a.crop.stem, b: b.crop.stem });
    }
  }
  const diff = different.map((x) => x.d);
  const enrolDiff: number[] = [];
  for (let i = 0; i < enrolment.length; i++) for (let j = i + 1; j < enrolment.length; j++) enrolDiff.push(euclideanDistance((enrolment[i] as Described).descriptor, (enrolment[j] as Described).descriptor));
  console.log(`enrolment crops only (full resolution, one per face): different faces min ${Math.min(...enrolDiff).toFixed(3)} p50 ${quantile(enrolDiff, 0.5).toFixed(3)}`);
  console.log(`\npairwise distances: ${same.length} same-face pairs, ${different.length} different-face pairs`);
  console.log(`  same:      min ${Math.min(...same).toFixed(3)}  p50 ${quantile(same, 0.5).toFixed(3)}  p95 ${quantile(same, 0.95).toFixed(3)}  max ${Math.max(...same).toFixed(3)}`);
  console.log(`  different: min ${Math.min(...diff).toFixed(3)}  p5 ${quantile(diff, 0.05).toFixed(3)}  p50 ${quantile(diff, 0.5).toFixed(3)}  max ${Math.max(...diff).toFixed(3)}`);
  console.log('  closest different pairs:');
  for (const pair of [...different].sort((x, y) => x.d - y.d).slice(0, 5)) console.log(`    ${pair.d.toFixed(3)}  ${pair.a}  ${pair.b}`);
  console.log('\n| threshold | FAR (different pairs accepted) | FRR (same pairs rejected) |');
  console.log('|---|---|---|');
  for (const t of thresholds) {
    const fa = diff.filter((d) => d < t).length;
    const fr = same.filter((d) => d >= t).length;
    console.log(`| ${t.toFixed(2)} | ${pct(fa, diff.length)} (${fa}) | ${pct(fr, same.length)} (${fr}) |`);
  }

  console.log(`\nwithout the 32×32 crops (${big.length} crops; different faces min ${Math.min(...bigDiff).toFixed(3)}, same faces max ${Math.max(...bigSame).toFixed(3)}):`);
  console.log('| threshold | FAR | FRR |');
  console.log('|---|---|---|');
  for (const t of thresholds) console.log(`| ${t.toFixed(2)} | ${pct(bigDiff.filter((d) => d < t).length, bigDiff.length)} | ${pct(bigSame.filter((d) => d >= t).length, bigSame.length)} |`);

  let gallery: Gallery = emptyGallery();
  for (const e of enrolment) {
    gallery = addSubject(gallery, { name: e.crop.subject, id: e.crop.subject });
    gallery = addExample(gallery, e.crop.subject, { descriptor: e.descriptor });
  }
  const gapsRight: number[] = [];
  const gapsWrong: number[] = [];
  const rows: string[] = [];
  for (const t of thresholds) {
    let right = 0;
    let wrong = 0;
    let rejected = 0;
    for (const q of queries) {
      const m = matchFace(q.descriptor, gallery, t);
      if (m.label === 'unknown') rejected++;
      else if (m.label === q.crop.subject) right++;
      else wrong++;
    }
    rows.push(`| ${t.toFixed(2)} | ${pct(right, queries.length)} | ${pct(wrong, queries.length)} | ${pct(rejected, queries.length)} |`);
  }
  for (const q of queries) {
    const m = matchFace(q.descriptor, gallery, Infinity);
    if (!m.runnerUp) continue;
    const gap = m.runnerUp.distance - m.distance;
    (m.label === q.crop.subject ? gapsRight : gapsWrong).push(gap);
  }
  console.log(`\ngallery of ${enrolment.length} subjects (one enrolment crop each), ${queries.length} queries:`);
  console.log('| threshold | named right | named wrong (false accept) | unknown (false reject) |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\ngap runner-up − nearest (no threshold): nearest right n=${gapsRight.length} min ${Math.min(...gapsRight).toFixed(3)} p5 ${quantile(gapsRight, 0.05).toFixed(3)} p50 ${quantile(gapsRight, 0.5).toFixed(3)}`);
  console.log(`  nearest wrong n=${gapsWrong.length}${gapsWrong.length ? ` max ${Math.max(...gapsWrong).toFixed(3)} p50 ${quantile(gapsWrong, 0.5).toFixed(3)}` : ''}`);
  for (const margin of [0.02, 0.05, 0.08, 0.1]) {
    console.log(`  margin ${margin.toFixed(2)}: right answers flagged ambiguous ${pct(gapsRight.filter((g) => g < margin).length, gapsRight.length)}, wrong answers flagged ${pct(gapsWrong.filter((g) => g < margin).length, gapsWrong.length)}`);
  }
}

await main();
