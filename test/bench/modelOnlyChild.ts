/**
 * One model-only process for the e2e bench's parallel baseline: loads the model, warms up, says
 * `ready`, waits for `go` on stdin, recognises the given demo photos one after another and prints
 * `{"ms": …, "photos": …}`. Several of these at once are the fleet without queue, events or HTTP.
 */
import { readFileSync } from 'node:fs';
import { demoPhoto } from '../support/facefleetProcess.ts';

const photos = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);
const model = await import('../../model/index.ts');
const loaded = await model.loadModel({ threads: 1 });
const gallery = model.emptyGallery();
const bytes = [1, 2, 3, 4, 5, 6].map((n) => readFileSync(demoPhoto(n)));
await loaded.recognize(bytes[0]!, gallery);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const start = performance.now();
for (const n of photos) await loaded.recognize(bytes[n - 1]!, gallery);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - start, photos: photos.length })}\n`);
process.exit(0);
