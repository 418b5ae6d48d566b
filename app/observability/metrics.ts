/**
 * Prometheus metrics (prom-client), built here in the composition root and fed from three places:
 * the change feed (every job and instance row change: the histograms), the supervisor's executed
 * commands (launches, forced terminations, lost instances) and the web tier's responses (requests
 * by route and status). Gauges (queue depths, jobs and instances by state) are read when scraped,
 * from the constant-cost counters of the ports (`counts`, `depth`): a scrape never scans history.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiServices, ChangeEvent } from '../../services/api.ts';
import type { Command } from '../../services/supervisor/decide.ts';
import { instanceStates, jobStates } from '../../machines/index.ts';

export interface FacefleetMetrics {
  registry: Registry;
  /** The Prometheus text and its content type, for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
  observeChange(change: ChangeEvent): void;
  observeCommand(command: Command): void;
  observeResponse(info: { method: string; route: string; status: number; ms: number }): void;
  /** The idle time the supervisor gives new instances now (seconds). */
  setIdleSeconds(seconds: number): void;
}

const ms = (iso: string | null): number | undefined => (iso ? Date.parse(iso) : undefined);
const seconds = (from: string | null, to: string | null): number | undefined => {
  const a = ms(from);
  const b = ms(to);
  return a === undefined || b === undefined || b < a ? undefined : (b - a) / 1000;
};

/** Latency buckets from 10 ms to 2 min (seconds). */
const buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];

/** Builds the registry and its series over the services (read at scrape time). */
export function createMetrics(services: Pick<ApiServices, 'queues' | 'counts'>): FacefleetMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'facefleet_process_' });

  new Gauge({
    name: 'facefleet_queue_messages',
    help: 'Messages in each queue: visible (ready) and in flight (received, not yet deleted).',
    labelNames: ['queue', 'kind'],
    registers: [registry],
    async collect() {
      const depths = await services.queues.depths();
      for (const [queue, depth] of Object.entries(depths)) {
        this.set({ queue, kind: 'visible' }, depth.visible);
        this.set({ queue, kind: 'in_flight' }, depth.inFlight);
      }
    },
  });
  const byState = (name: string, help: string, key: 'jobs' | 'instances', states: readonly string[]) =>
    new Gauge({
      name,
      help,
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = (await services.counts())[key];
        for (const state of states) if (state !== 'new') this.set({ state }, counts[state] ?? 0);
      },
    });
  byState('facefleet_jobs', 'Jobs by state (read-model counters).', 'jobs', jobStates);
  byState('facefleet_instances', 'Worker instances by state (read-model counters).', 'instances', instanceStates);

  const idle = new Gauge({ name: 'facefleet_idle_seconds', help: 'How long a new instance waits on an empty queue before it leaves.', registers: [registry] });
  const histogram = (name: string, help: string) => new Histogram({ name, help, buckets, registers: [registry] });
  const queueWait = histogram('facefleet_job_queue_wait_seconds', 'Submitted to started (last attempt), per finished job.');
  const processing = histogram('facefleet_job_processing_seconds', 'Started to finished (last attempt), per finished job.');
  const endToEnd = histogram('facefleet_job_end_to_end_seconds', 'Submitted to finished, per finished job.');
  const model = histogram('facefleet_model_seconds', 'Model time per photo (decode, detection, landmarks, descriptors, matching).');
  const boot = histogram('facefleet_instance_boot_seconds', 'Instance requested to first poll (booted).');
  const finished = new Counter({ name: 'facefleet_jobs_finished_total', help: 'Jobs that reached done or failed.', labelNames: ['state'], registers: [registry] });
  const launches = new Counter({ name: 'facefleet_supervisor_launches_total', help: 'Instances the supervisor asked compute to launch.', registers: [registry] });
  const forced = new Counter({ name: 'facefleet_supervisor_forced_terminations_total', help: 'Instances terminated by force, by reason.', labelNames: ['reason'], registers: [registry] });
  const lost = new Counter({ name: 'facefleet_supervisor_lost_instances_total', help: 'Instances declared lost, by reason.', labelNames: ['reason'], registers: [registry] });
  const http = new Counter({ name: 'facefleet_http_requests_total', help: 'HTTP requests by method, route and status.', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const httpTime = new Histogram({ name: 'facefleet_http_request_seconds', help: 'HTTP request duration by route.', labelNames: ['method', 'route'], buckets, registers: [registry] });

  // A job is counted once when it finishes; an instance's boot once. Both sets forget on the way out.
  const finishedJobs = new Set<string>();
  const bootedInstances = new Set<string>();

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    observeChange(change) {
      if (change.kind === 'job') {
        const job = change.row;
        if (job.state !== 'done' && job.state !== 'failed' && job.state !== 'cancelled') return;
        if (finishedJobs.has(job.id)) return;
        finishedJobs.add(job.id);
        if (finishedJobs.size > 10_000) finishedJobs.delete(finishedJobs.values().next().value as string);
        finished.inc({ state: job.state });
        const wait = seconds(job.submittedAt, job.startedAt);
        const work = seconds(job.startedAt, job.finishedAt);
        const total = seconds(job.submittedAt, job.finishedAt);
        if (wait !== undefined) queueWait.observe(wait);
        if (work !== undefined) processing.observe(work);
        if (total !== undefined) endToEnd.observe(total);
        if (job.timings.modelMs !== null) model.observe(job.timings.modelMs / 1000);
        return;
      }
      const instance = change.row;
      if (instance.state === 'terminated' || instance.state === 'lost') {
        bootedInstances.delete(instance.id);
        return;
      }
      if (instance.bootedAt && !bootedInstances.has(instance.id)) {
        bootedInstances.add(instance.id);
        const s = seconds(instance.requestedAt, instance.bootedAt);
        if (s !== undefined) boot.observe(s);
      }
    },
    observeCommand(command) {
      switch (command.type) {
        case 'LaunchInstances':
          launches.inc(command.n);
          return;
        case 'ForceTerminate':
          forced.inc({ reason: command.reason });
          return;
        case 'MarkLost':
          lost.inc({ reason: command.reason });
          return;
        default:
          return;
      }
    },
    observeResponse({ method, route, status, ms: took }) {
      http.inc({ method, route, status: String(status) });
      httpTime.observe({ method, route }, took / 1000);
    },
    setIdleSeconds(s) {
      idle.set(s);
    },
  };
}
