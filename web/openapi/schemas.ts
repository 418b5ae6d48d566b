/**
 * The zod schemas of what the HTTP API answers, for the OpenAPI document (web/openapi/document.ts)
 * and its contract test. Each mirrors one service view type; the compiler checks the match where
 * a `satisfies`-style check is cheap (`matches` below), the contract test checks live bodies.
 */
import { z } from 'zod';
import type { JobView, InstanceView, SubjectView } from '../../services/api.ts';

/** Compile-time check that a schema's output is assignable to the service's type. */
export function matches<T>() {
  return <S extends z.ZodType<T>>(schema: S): S => schema;
}

const iso = z.string().describe('ISO 8601 time');
const nullableIso = iso.nullable();

/** Every error body: `{ error: { code, message } }` (web/errors.ts, web/auth.ts, the SSE limit). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('A stable code: validation, invalid-image, not-found, illegal-transition, version-conflict, payload-too-large, image-too-large, unsupported-media-type, no-face, job-failed, job-cancelled, job-finished, not-retryable, storage-unavailable, timeout, unauthorized, too-many-requests, unavailable, bad-request, method-not-allowed, internal …'),
      message: z.string().describe('One sentence for a person; never a stack trace.'),
    }),
  })
  .meta({ id: 'Error', description: 'An error: a 4xx for the client’s mistakes, 5xx for ours.' });

export const jobViewSchema = matches<JobView>()(
  z
    .object({
      id: z.string(),
      state: z.enum(['new', 'queued', 'processing', 'cancelling', 'done', 'failed', 'cancelled']).or(z.string()),
      seq: z.number().int(),
      fileName: z.string().nullable(),
      contentType: z.string().nullable(),
      bytes: z.number(),
      source: z.string().nullable(),
      detector: z.string().nullable(),
      kind: z.enum(['recognize', 'verify']),
      attempts: z.number().int(),
      maxAttempts: z.number().int(),
      instanceId: z.string().nullable(),
      label: z.string().nullable().describe('The classic label: a name, unknown, no-face (ambiguous when configured); a verification: same, different or no-face'),
      faces: z.number().int().nullable(),
      error: z.object({ code: z.string(), reason: z.string() }).nullable(),
      cancelReason: z.string().nullable().describe('Why the job was cancelled (or its cancel requested)'),
      retries: z.number().int().describe('How many times a client retried or redrove the job'),
      submittedAt: nullableIso,
      startedAt: nullableIso,
      finishedAt: nullableIso,
      updatedAt: iso,
      timings: z.object({ queuedMs: z.number().nullable(), processingMs: z.number().nullable(), totalMs: z.number().nullable(), modelMs: z.number().nullable() }),
    })
    .meta({ id: 'Job' }),
);

const box = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
/** JSON has no Infinity: a distance to an empty gallery is written as null. */
const distance = z.number().nullable();

export const recognizedFaceSchema = z.looseObject({
  box,
  score: z.number(),
  label: z.string(),
  distance,
  runnerUp: z.object({ label: z.string(), distance }).nullable().describe('The nearest other subject (the second nearest when unknown)'),
  ambiguous: z.boolean().describe('Named, and the runner-up is within ambiguityMargin of the nearest subject'),
  descriptor: z.array(z.number()),
  landmarks: z.array(z.object({ x: z.number(), y: z.number() })),
  expressions: z.record(z.string(), z.number()).optional(),
  age: z.number().optional(),
  gender: z.string().optional(),
  genderProbability: z.number().optional(),
});

export const recognitionResultSchema = z.object({ jobId: z.string(), label: z.string(), width: z.number(), height: z.number(), faces: z.array(recognizedFaceSchema) }).meta({ id: 'RecognitionResult' });

const verifySide = z.union([
  z.object({ kind: z.literal('photo'), width: z.number(), height: z.number(), faces: z.number().int(), box: box.nullable() }),
  z.object({ kind: z.literal('subject'), subjectId: z.string(), name: z.string(), examples: z.number().int() }),
]);

export const verificationResultSchema = z
  .object({
    jobId: z.string(),
    kind: z.literal('verify'),
    label: z.enum(['same', 'different', 'no-face']),
    same: z.boolean().nullable(),
    distance: z.number().nullable().describe('Between the two largest faces (mean over a subject’s examples)'),
    threshold: z.number(),
    noFace: z.array(z.enum(['a', 'b'])),
    a: verifySide,
    b: verifySide,
  })
  .meta({ id: 'VerificationResult' });

export const jobDetailSchema = jobViewSchema
  .extend({ result: z.union([verificationResultSchema, recognitionResultSchema]).nullable().optional().describe('Once done: the stored result (null if it is gone)') })
  .meta({ id: 'JobDetail' });

export const jobListSchema = z.object({
  items: z.array(jobViewSchema),
  next: z.string().optional().describe('The cursor of the next page; absent on the last'),
  scanned: z.number().int().optional().describe('Jobs read to find these (searches only)'),
});

export const cancelOutcomeSchema = z.object({
  outcome: z.enum(['cancelled', 'cancelling']).describe('cancelled: it was queued (or already cancelled); cancelling: a worker holds it and will record the cancellation'),
  job: jobViewSchema,
});
export const retriedJobSchema = z.object({ job: jobViewSchema });
export const deadLetterPageSchema = z.object({
  items: z.array(jobViewSchema).describe('Dead-lettered jobs, newest first, each with its failure reason'),
  next: z.string().optional().describe('The cursor of the next page; a page may be short and still have one'),
});
export const redriveOutcomeSchema = z.object({
  redriven: z.array(z.string()).describe('Jobs queued again'),
  skipped: z.array(z.object({ jobId: z.string(), reason: z.string() })).describe('Named jobs that were not dead letters'),
});

export const submittedJobsSchema = z.object({ jobs: z.array(z.object({ id: z.string(), state: z.string(), fileName: z.string() })) });

export const historySchema = z
  .object({
    id: z.string(),
    stream: z.string(),
    state: z.string(),
    seq: z.number().int(),
    steps: z.array(
      z.object({
        seq: z.number().int(),
        type: z.string(),
        at: z.string(),
        data: z.unknown(),
        stateBefore: z.string(),
        stateAfter: z.string(),
        changes: z.array(z.tuple([z.string(), z.unknown(), z.unknown()])),
        problem: z.object({ kind: z.enum(['unknown-type', 'invalid-data', 'refused', 'out-of-order']), reason: z.string() }).optional(),
      }),
    ),
    total: z.number().int(),
    next: z.number().int().nullable(),
    problems: z.array(z.object({ seq: z.number().int(), type: z.string(), reason: z.string() })),
  })
  .meta({ id: 'History' });

export const instanceViewSchema = matches<InstanceView>()(
  z
    .object({
      id: z.string(),
      state: z.string(),
      seq: z.number().int(),
      providerId: z.string().nullable(),
      backend: z.string().nullable(),
      jobsDone: z.number().int(),
      jobsFailed: z.number().int(),
      currentJobId: z.string().nullable(),
      lastHeartbeatAt: nullableIso,
      requestedAt: nullableIso,
      bootedAt: nullableIso,
      terminatedAt: nullableIso,
      terminationReason: z.string().nullable(),
      forced: z.boolean(),
      modelLoadMs: z.number().nullable(),
      error: z.string().nullable(),
      updatedAt: iso,
    })
    .meta({ id: 'Instance' }),
);

export const instanceListSchema = z.object({ items: z.array(instanceViewSchema), next: z.string().optional() });

const exampleView = z.object({ id: z.string(), box: box.nullable(), sourceName: z.string().nullable(), sha256: z.string().nullable() });

export const subjectViewSchema = matches<SubjectView>()(
  z.object({ id: z.string(), name: z.string(), exampleCount: z.number().int(), examples: z.array(exampleView) }).meta({ id: 'Subject' }),
);

export const subjectListSchema = z.object({ threshold: z.number().nullable(), subjects: z.array(subjectViewSchema) });
export const addedExamplesSchema = z.object({ examples: z.array(exampleView.extend({ faceCount: z.number().int(), duplicate: z.boolean() })) });

export const galleryDocumentSchema = z
  .object({
    version: z.literal(1),
    threshold: z.number().optional(),
    subjects: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        examples: z.array(z.object({ id: z.string(), descriptor: z.array(z.number()).length(128), box: box.optional(), sourceName: z.string().optional(), sha256: z.string().optional() })),
      }),
    ),
  })
  .meta({ id: 'GalleryDocument' });

export const mergeResultSchema = z.object({ subjectsAdded: z.number().int(), examplesAdded: z.number().int(), examplesSkipped: z.number().int() });
export const createSubjectBodySchema = z.object({ name: z.string().min(1).max(100).describe('1–100 characters, no ":" and no control or invisible characters') });

const depth = z.object({ visible: z.number().int(), inFlight: z.number().int() });
export const queueDepthsSchema = z.object({ requests: depth, responses: depth, deadLetters: depth });
export const countsSchema = z.object({ jobs: z.record(z.string(), z.number().int()), instances: z.record(z.string(), z.number().int()) });

const checks = z.object({ store: z.object({ ok: z.boolean(), ms: z.number() }), queue: z.object({ ok: z.boolean(), ms: z.number() }), blobs: z.object({ ok: z.boolean(), ms: z.number() }) });
export const healthSchema = z.object({ ok: z.boolean(), checks });
export const readinessSchema = z.object({ ready: z.boolean(), stopping: z.boolean(), checks: checks.optional() });
export const sessionStatusSchema = z.object({ required: z.boolean().describe('Whether the server asks for an API key'), authenticated: z.boolean() });

const period = z.object({ state: z.string(), from: iso, to: iso });
export const fleetHistorySchema = z.object({
  range: z.enum(['5m', '1h', '24h']),
  from: iso,
  to: iso,
  instances: z.array(z.object({ id: z.string(), periods: z.array(period) })).describe('Each instance’s states over their real periods, clipped to the range'),
  backlog: z.array(z.object({ at: iso, queued: z.number().int(), processing: z.number().int() })).describe('Jobs waiting and being processed at the start of the range and at each change'),
  truncated: z.object({ instances: z.boolean(), jobs: z.boolean() }).describe('Whether a bound (200 instances, 5,000 jobs) cut the answer'),
});
export const enrolledFromJobSchema = z.object({
  example: z.object({ id: z.string(), box, sourceName: z.string(), sha256: z.string(), duplicate: z.boolean() }),
});
