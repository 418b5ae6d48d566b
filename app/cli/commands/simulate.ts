/**
 * `facefleet simulate`: what-if for the fleet. Runs the real supervisor decision, idle policy and
 * machines on a virtual clock over an arrival trace, once per idle policy, prints the comparison
 * table (or JSON) and writes an SVG of instances and backlog over time.
 */
import type { Command } from '../command.ts';

const usage = `Usage: facefleet simulate --trace <trace> [options]

Simulates the fleet on a virtual clock — the real supervisor decision (decide), idle policy and
instance/job machines, with a simulated queue, compute and workers — once per idle policy, and
prints a table comparing them: instance-seconds (cost), latency p50/p95/p99, launches, forced
terminations, peak instances. Writes an SVG of live instances and backlog over time.

Options:
  --trace <trace>          constant:R@D      R jobs/s for D (e.g. constant:1000@24h)
                           ramp:A-B@D        from A to B jobs/s over D
                           burst:NxK@S       K bursts of N jobs, one every S (burst:100x1@0s)
                           diurnal:PEAK@D    a day-shaped rate peaking at PEAK jobs/s (D default 24h)
                           <file.json>       a recording (npm run sim:record) or a facefleet load --json report
  --boot <dist>            boot time: 1.5s, 30s-90s (uniform), ec2 (= 30s-90s), measured (a recording's)
                           (default 1.5s, or measured for a recording)
  --service <dist>         time per photo on a worker, same forms (default 60ms, or measured)
  --cap <n>                most instances (default the config's, 19)
  --jobs-per-instance <n>  backlog per instance the supervisor scales to (default 1)
  --idle <list>            idle policies to compare, comma-separated: auto (measured boot),
                           a duration (30s) or a multiple of the mean boot (2xboot)
                           (default auto,0.25xboot,4xboot)
  --tick <d>               supervisor tick (default 1s)
  --nudge <d>|off          a new job nudges the supervisor at most once per <d> (default 100ms)
  --reaction <d>           a submission → the nudged tick's observation (default 50ms, or a recording's)
  --dispatch lifo|random   which idle worker gets a message: the last freed (embedded queue, the
                           default for short boots) or any (SQS-like, the default for EC2-like boots)
  --poll-wait <d>          worker long-poll wait (default 2s)
  --visibility <d>         queue visibility timeout (default 30s)
  --max-receives <n>       receives before dead-lettering (default 3)
  --launch-failures <p>    probability that a launch fails (default 0)
  --capacity <n>           most instances compute will run (default none)
  --hangs <rate>           workers that hang per instance-hour (default 0)
  --seed <n>               PRNG seed (default 1)
  --out <file.svg>         where the plot goes (default ./facefleet-simulate.svg)
  --json                   print the results as JSON instead of the table
`;

const command: Command = {
  name: 'simulate',
  summary: 'What-if: simulate the fleet (cost, latency) under a traffic trace and compare idle policies',
  usage,
  async run(argv) {
    const { parseSimulateArgs } = await import('../simulateOptions.ts');
    const plan = parseSimulateArgs(argv);
    const { comparePolicies, comparisonTable } = await import('../../../services/simulate/compare.ts');
    const { renderSimulationSvg } = await import('../../../services/simulate/svgPlot.ts');
    const { formatTrace } = await import('../../../services/simulate/traces.ts');
    const { formatDistribution } = await import('../../../services/simulate/random.ts');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { dirname, resolve } = await import('node:path');
    const runs = comparePolicies(plan.trace, plan.base, plan.policies, () => performance.now());
    const b = plan.base;
    const title = `${formatTrace(plan.trace)}; boot ${formatDistribution(b.boot)}, service ${formatDistribution(b.service)}, cap ${b.cap}`;
    const out = resolve(plan.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, renderSimulationSvg(title, runs.map((r) => ({ label: r.label, result: r.result }))));
    if (plan.json) {
      process.stdout.write(JSON.stringify({ trace: formatTrace(plan.trace), settings: { ...b, capacity: Number.isFinite(b.capacity) ? b.capacity : null }, plot: out, runs }, null, 2) + '\n');
    } else {
      process.stdout.write(`${title}\n\n${comparisonTable(runs)}\n\nplot written to ${out}\n`);
    }
    return 0;
  },
};

export default command;
