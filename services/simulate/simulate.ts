/**
 * The fleet simulation: a discrete-event loop on a virtual clock, pure (no I/O, no real time, one
 * seeded PRNG). What runs for real: the supervisor's `decide` on an observation built every tick,
 * the idle policy (`idleSeconds` over the measured boots, `BootSamples`), every instance's stream
 * through the instance machine (idle self-termination is the machine's guard, found by polling as
 * the worker does), and — for runs up to `foldJobsUpTo` jobs — every job's stream through the job
 * machine. What is simulated: arrivals (a trace), the queue (FIFO, visibility timeout and
 * redelivery of a lost worker's message, receive counts and dead letters), compute (boot time
 * distribution, launch failures, a capacity limit) and the workers (a service-time distribution, a
 * hang rate). The oldest message goes first; which idle worker gets it is `dispatch`. Jobs are
 * not objects: a day at 1,000 jobs/s is 86.4 M of them (see README, "Simulating the fleet").
 */
import { decide, type Command, type Observation, type SupervisorSettings } from '../supervisor/decide.ts';
import { BootSamples, idleSeconds, type IdlePolicy } from '../supervisor/idlePolicy.ts';
import { LatencyHistogram } from './histogram.ts';
import { JobQueue } from './jobQueue.ts';
import { JobFolds } from './jobFolds.ts';
import { draw, seededRandom, type Distribution } from './random.ts';
import { InstanceHeap } from './instanceHeap.ts';
import { iso, simEpochMs, SimInstance } from './simInstance.ts';
import { arrivals, totalJobs, traceDurationMs, type Trace } from './traces.ts';

export interface SimSettings extends SupervisorSettings {
  idle: IdlePolicy;
  emptyPollsToIdle: number;
  pollWaitSeconds: number;
  visibilityTimeoutSeconds: number;
  maxReceives: number;
  tickMs: number;
  /**
   * Which long-polling worker gets a message: `lifo` the one that became free last (the embedded
   * SQLite queue: a worker coming back from a job finds the message first — measured, one worker
   * took 114 of a ramp's 130 jobs), `random` any of them (SQS-like).
   */
  dispatch: 'lifo' | 'random';
  /** How long after a submission the supervisor it nudged observes (change feed, reads), ms. */
  reactionMs: number;
  /** A queued job nudges the supervisor (as the web tier does), at most once per this many ms; 0: no nudges. */
  nudgeGapMs: number;
  boot: Distribution;
  service: Distribution;
  /** Probability that compute refuses one launch. */
  launchFailureRate: number;
  /** The most instances compute runs at once (a capacity limit beyond the cap); Infinity: none. */
  capacity: number;
  /** Workers that hang (stop heartbeating and working) per instance-hour. */
  hangsPerInstanceHour: number;
  seed: number;
  /** Fold every job's stream through the job machine when the trace has at most this many jobs. */
  foldJobsUpTo: number;
  /** Give up this long after the trace's end if the fleet has not drained, ms. */
  drainLimitMs: number;
  /** How many points the time series keep at most. */
  seriesPoints: number;
}

export interface SimResult {
  jobs: { arrived: number; completed: number; deadLettered: number; unfinished: number; folded: boolean };
  latencyMs: { p50: number; p95: number; p99: number; mean: number; max: number };
  instanceSeconds: number;
  launches: number;
  launchFailures: number;
  forcedTerminations: number;
  lost: number;
  peakInstances: number;
  /** The idle time the last launched instances were given, s. */
  idleSeconds: number;
  /** Virtual time simulated, ms. */
  simulatedMs: number;
  ticks: number;
  /** The first 200 instances' lives, ms (as a recording lists the real ones). */
  instances: Array<{ requestedMs: number; bootedMs: number | null; terminatedMs: number | null; jobs: number }>;
  /** Per point: seconds, live instances (requested … terminating), backlog (visible + in flight). */
  series: { t: number[]; instances: number[]; backlog: number[] };
}

/** Runs one simulation of `trace` under `settings`; deterministic for a seed. */
export function simulate(trace: Trace, settings: SimSettings): SimResult {
  const random = seededRandom(settings.seed);
  const incoming = arrivals(trace);
  let nextArrival = incoming.next();
  let arrived = 0;
  const queue = new JobQueue();
  const busy = new InstanceHeap();
  const instances: SimInstance[] = [];
  let active: SimInstance[] = [];
  const byId = new Map<string, SimInstance>();
  const boots = new BootSamples(settings.idle.window);
  const latency = new LatencyHistogram();
  const folds = totalJobs(trace) <= settings.foldJobsUpTo ? new JobFolds() : undefined;
  const counts = { completed: 0, deadLettered: 0, launches: 0, launchFailures: 0, forced: 0, lost: 0, peak: 0, running: 0 };
  let idleNow = idleSeconds(settings.idle, []);
  let ids = 0;
  const visibilityMs = settings.visibilityTimeoutSeconds * 1000;

  const arrive = () => {
    queue.push(nextArrival, arrived);
    folds?.submitted(arrived, nextArrival);
    arrived += 1;
    nextArrival = incoming.next();
  };

  /** A lost or killed worker's message comes back when its visibility runs out (or is dead-lettered). */
  const release = (s: SimInstance, at: number) => {
    const job = s.job;
    if (!job || job.end <= at) return;
    s.job = undefined;
    if (job.attempt >= settings.maxReceives) {
      counts.deadLettered += 1;
      folds?.deadLettered(job.index, at + visibilityMs);
    } else {
      folds?.requeued(job.index, at + visibilityMs, s.id);
      queue.redeliver(at + visibilityMs, job.arrival, job.index, job.attempt);
    }
  };
  /** The boot, folded once; its duration joins the supervisor's boot samples (the real loop adds every observed boot, once each). */
  const bootNow = (s: SimInstance) => {
    if (s.booted) return;
    s.boot(settings.pollWaitSeconds);
    if (s.state.kind === 'instance') boots.add(s.id, s.state.context.requestedAt, s.state.context.bootedAt);
  };
  const leave = (s: SimInstance, at: number) => {
    s.serving = false;
    s.selfTerminate(at, 0);
  };
  const hang = (s: SimInstance) => {
    s.serving = false;
    s.hung = true;
    release(s, s.hangAt);
  };

  /** Workers with nothing to do (free since `freeAt`, long-polling); a message goes to one of them at random. */
  const idle: SimInstance[] = [];
  const dropIdle = (i: number) => {
    if (settings.dispatch === 'lifo') {
      idle.splice(i, 1);
      return;
    }
    idle[i] = idle[idle.length - 1] as SimInstance;
    idle.pop();
  };
  /** Busy (or booting) workers whose `freeAt` has come by `t` join the idle ones. */
  const freeBy = (t: number) => {
    for (let s = busy.peek(); s && s.freeAt <= t; s = busy.peek()) {
      busy.pop();
      bootNow(s);
      idle.push(s);
    }
  };

  /** Runs the workers until `T`: every job that starts before T is taken; idle and hung workers leave. */
  const processUntil = (T: number) => {
    for (;;) {
      if (queue.waiting === 0 && nextArrival < T) arrive();
      const avail = queue.nextAvailable();
      if (avail >= T) break;
      freeBy(avail);
      let s: SimInstance | undefined;
      let start = avail;
      while (idle.length && !s) {
        const i = settings.dispatch === 'lifo' ? idle.length - 1 : Math.floor(random() * idle.length);
        const candidate = idle[i] as SimInstance;
        const idleEnd = candidate.idleEnd;
        if (idleEnd < avail && idleEnd <= candidate.hangAt) {
          dropIdle(i);
          leave(candidate, idleEnd);
        } else if (candidate.hangAt <= avail) {
          dropIdle(i);
          hang(candidate);
        } else {
          dropIdle(i);
          s = candidate;
          // A message that waited goes out when the worker polls (it may have freed up after the message came).
          start = Math.max(avail, candidate.freeAt);
        }
      }
      if (!s) {
        // Nobody is free: the message waits for the first worker to finish (its next poll takes it).
        const next = busy.peek();
        if (!next || next.freeAt >= T) break;
        busy.pop();
        bootNow(next);
        if (next.hangAt <= next.freeAt) {
          hang(next);
          continue;
        }
        s = next;
        start = next.freeAt;
      }
      const index = queue.take();
      const arrival = queue.takenArrival;
      const attempt = queue.takenReceives + 1;
      const end = start + draw(settings.service, random, index);
      const job = s.job ?? (s.job = { index, arrival, start, end, attempt });
      job.index = index;
      job.arrival = arrival;
      job.start = start;
      job.end = end;
      job.attempt = attempt;
      folds?.started(index, start, s.id, attempt);
      if (s.hangAt < end) {
        hang(s);
        continue;
      }
      latency.add(end - arrival);
      folds?.completed(index, end, s.id, attempt, end - start);
      counts.completed += 1;
      s.jobsDone += 1;
      s.freeAt = end;
      busy.push(s);
    }
    // Arrivals that found no free worker before T wait in the queue.
    while (nextArrival <= T) arrive();
    // Workers that stayed idle long enough, or hung, by T.
    freeBy(T);
    for (let i = idle.length - 1; i >= 0; i -= 1) {
      const s = idle[i] as SimInstance;
      const idleEnd = s.idleEnd;
      if (idleEnd <= T && idleEnd <= s.hangAt) {
        dropIdle(i);
        leave(s, idleEnd);
      } else if (s.hangAt <= T) {
        dropIdle(i);
        hang(s);
      }
    }
  };

  const launch = (n: number, backlog: number, now: number) => {
    for (let k = 0; k < n; k += 1) {
      const s = new SimInstance(`i${(ids += 1)}`, now);
      instances.push(s);
      active.push(s);
      byId.set(s.id, s);
      counts.launches += 1;
      s.apply('InstanceRequested', now, { instanceId: s.id, reason: 'backlog', backlog, emptyPollsToIdle: settings.emptyPollsToIdle, idleSeconds: idleNow });
      const full = counts.running >= settings.capacity;
      if (full || random() < settings.launchFailureRate) {
        counts.launchFailures += 1;
        s.apply('InstanceLaunchFailed', now, { reason: full ? 'simulated capacity limit' : 'simulated launch failure' });
        s.terminatedAt = now;
        continue;
      }
      counts.running += 1;
      s.apply('InstanceLaunched', now, { providerId: `sim-${s.id}`, backend: 'simulated' });
      s.bootAt = now + draw(settings.boot, random, ids - 1);
      s.freeAt = s.bootAt;
      if (settings.hangsPerInstanceHour > 0) s.hangAt = s.bootAt - Math.log(1 - random()) * (3_600_000 / settings.hangsPerInstanceHour);
      s.serving = true;
      busy.push(s);
    }
  };

  const stopServing = (s: SimInstance, now: number) => {
    if (s.serving) {
      busy.remove(s);
      const i = idle.indexOf(s);
      if (i >= 0) dropIdle(i);
    }
    s.serving = false;
    release(s, now);
  };

  const execute = (command: Command, now: number) => {
    switch (command.type) {
      case 'LaunchInstances':
        return launch(command.n, command.backlog, now);
      case 'MarkLost': {
        const s = byId.get(command.instanceId);
        if (!s) return;
        s.apply('InstanceLost', now, { reason: command.reason, lastHeartbeatAt: command.lastHeartbeatAt });
        counts.lost += 1;
        return stopServing(s, now);
      }
      case 'RecordExit': {
        const s = byId.get(command.instanceId);
        if (!s) return;
        s.apply('InstanceTerminated', now, { by: 'supervisor' });
        s.terminatedAt = Math.min(s.terminatedAt, now);
        return;
      }
      case 'ForceTerminate': {
        const s = byId.get(command.instanceId);
        if (!s) return;
        s.apply('InstanceTerminationForced', now, { reason: command.reason });
        counts.forced += 1;
        stopServing(s, now);
        s.terminatedAt = Math.min(s.terminatedAt, now);
        return;
      }
      case 'FailDeadLettered':
      case 'DeleteDeadLetter':
        // The simulated queue counts a dead letter when the last receive is lost (see release).
        return;
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  };

  const traceEnd = traceDurationMs(trace);
  const series = { t: [] as number[], instances: [] as number[], backlog: [] as number[] };
  // The fleet is at rest until the first job; its nudge brings the first tick.
  let T = nextArrival < Infinity ? Math.ceil(nextArrival + settings.reactionMs) : 0;
  let ticks = 0;
  let processes: Observation['processes'] | undefined;
  for (;;) {
    processUntil(T);
    ticks += 1;
    const nowIso = iso(T);
    const before = active.length;
    active = active.filter((s) => !s.finished);
    if (active.length !== before || !processes) {
      processes = active.map((s) => ({ instanceId: s.id, providerId: `sim-${s.id}`, status: 'running' as const }));
    }
    const views = [];
    const hidden = queue.hiddenAt(T);
    let inFlight = hidden;
    counts.running = active.length;
    for (const s of active) {
      if (s.serving && !s.booted && s.bootAt <= T) bootNow(s);
      views.push(s.view(nowIso, T));
      if (s.job && !s.hung && s.job.start <= T && s.job.end > T) inFlight += 1;
    }
    const visible = queue.waiting + queue.pendingRedeliveries - hidden;
    idleNow = idleSeconds(settings.idle, boots.values());
    const observation: Observation = { now: simEpochMs + T, queue: { visible, inFlight }, instances: views, processes, deadLetters: [], settings };
    for (const command of decide(observation)) execute(command, T);
    if (processes.length !== active.length) processes = undefined;
    const liveCount = active.reduce((n, s) => n + (s.finished ? 0 : 1), 0);
    counts.peak = Math.max(counts.peak, liveCount);
    series.t.push(T / 1000);
    series.instances.push(liveCount);
    series.backlog.push(visible + inFlight);
    const drained = nextArrival === Infinity && queue.waiting === 0 && queue.pendingRedeliveries === 0 && liveCount === 0;
    if (drained || T > traceEnd + settings.drainLimitMs) break;
    // The next tick: the scheduled one, or earlier when a job arrives: the web tier nudges, and the
    // supervisor observes reactionMs later (change feed, reads), at most once per nudgeGapMs.
    const nudged = settings.nudgeGapMs > 0 && nextArrival < Infinity ? Math.max(T + settings.nudgeGapMs, Math.ceil(nextArrival + settings.reactionMs)) : Infinity;
    T = Math.min(T + settings.tickMs, nudged);
  }
  const instanceSeconds = instances.reduce((sum, s) => sum + (Math.min(s.terminatedAt, T) - s.requestedAt), 0) / 1000;
  const lat = folds?.latencies() ?? latency;
  return {
    jobs: { arrived, completed: counts.completed, deadLettered: counts.deadLettered, unfinished: arrived - counts.completed - counts.deadLettered, folded: Boolean(folds) },
    latencyMs: { p50: lat.quantile(0.5), p95: lat.quantile(0.95), p99: lat.quantile(0.99), mean: lat.meanMs, max: lat.maxMs },
    instanceSeconds,
    launches: counts.launches,
    launchFailures: counts.launchFailures,
    forcedTerminations: counts.forced,
    lost: counts.lost,
    peakInstances: counts.peak,
    idleSeconds: idleNow,
    simulatedMs: T,
    ticks,
    instances: instances.slice(0, 200).map((s) => ({ requestedMs: s.requestedAt, bootedMs: s.booted ? s.bootAt : null, terminatedMs: Number.isFinite(s.terminatedAt) ? s.terminatedAt : null, jobs: s.jobsDone })),
    series: downsample(series.t, series.instances, series.backlog, settings.seriesPoints),
  };
}

/** Keeps at most `points` points, each the maximum over its span (peaks stay visible). */
function downsample(t: number[], a: number[], b: number[], points: number): SimResult['series'] {
  if (t.length <= points) return { t, instances: a, backlog: b };
  const step = Math.ceil(t.length / points);
  const out: SimResult['series'] = { t: [], instances: [], backlog: [] };
  for (let i = 0; i < t.length; i += step) {
    let ma = 0;
    let mb = 0;
    for (let j = i; j < Math.min(t.length, i + step); j += 1) {
      ma = Math.max(ma, a[j] as number);
      mb = Math.max(mb, b[j] as number);
    }
    out.t.push(t[i] as number);
    out.instances.push(ma);
    out.backlog.push(mb);
  }
  return out;
}
