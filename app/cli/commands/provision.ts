/**
 * `facefleet provision --backend aws [--dry-run]`: creates, idempotently, what the AWS backend
 * needs — the request queue with its dead-letter queue (RedrivePolicy after maxReceives), the
 * response queue, the bucket and the event table with its indexes — and prints, per resource,
 * whether it existed, was created or was corrected. `--dry-run` only looks (and, without
 * credentials, still prints the plan).
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet provision --backend aws [--dry-run] [--config file.json]

Creates what the AWS backend needs, and only what is missing:
  - the dead-letter queue, the request queue (RedrivePolicy: maxReceives receives, then the
    dead-letter queue) and the response queue (SQS);
  - the bucket for images and results (S3);
  - the event table with its indexes (DynamoDB, on-demand capacity).
Names, region and endpoints come from the config (aws.region, aws.endpoints, aws.names; see
docs/aws.md). Run it again at any time: it reports what exists and corrects queue settings.

Options:
  --backend aws      the backend to provision (embedded needs nothing)
  --dry-run          print the plan and what exists; create nothing
  --config <file>    the config file (default FACEFLEET_CONFIG)
`;

const symbols: Record<string, string> = {
  exists: 'exists',
  created: 'created',
  updated: 'updated',
  'would-create': 'would create',
  'would-update': 'would update',
  unknown: 'unknown',
};

const command: Command = {
  name: 'provision',
  summary: 'Create the AWS queues, bucket and table (idempotent; --dry-run prints the plan)',
  usage,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, strict: true, options: { backend: { type: 'string' }, 'dry-run': { type: 'boolean' }, config: { type: 'string' } } }));
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const { loadConfig } = await import('../../config.ts');
    const backend = values.backend;
    if (backend !== undefined && backend !== 'aws' && backend !== 'embedded') throw new UsageError(`--backend must be aws or embedded, not "${backend}"`);
    const { config } = loadConfig({ ...(values.config ? { file: values.config } : {}), flags: backend ? { backend } : {} });
    if (config.backend !== 'aws') {
      process.stdout.write('The embedded backend needs no provisioning: its SQLite file and folders are created by `facefleet start`.\n');
      return 0;
    }
    const dryRun = values['dry-run'] === true;
    const [{ awsSettings, provisionPlan }, { createAwsClients }, { provisionAws }] = await Promise.all([
      import('../../config/aws.ts'),
      import('../../runtimeAws.ts'),
      import('../../../adapters/aws/provision.ts'),
    ]);
    const settings = awsSettings(config);
    const plan = provisionPlan(config);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${dryRun ? 'Plan (dry run: nothing is created)' : 'Provisioning'} in ${plan.region}${Object.keys(settings.endpoints).length ? ` via ${JSON.stringify(settings.endpoints)}` : ''}:`);
    const clients = createAwsClients(settings);
    try {
      const steps = await provisionAws(plan, { sqs: clients.sqs, s3: clients.s3, dynamodb: clients.dynamodb }, {
        dryRun,
        onStep: (step) => out(`  ${step.kind.padEnd(6)} ${step.name.padEnd(40)} ${symbols[step.status] ?? step.status}${step.detail ? ` — ${step.detail}` : ''}`),
      });
      const made = steps.filter((s) => s.status === 'created' || s.status === 'updated').length;
      const todo = steps.filter((s) => s.status.startsWith('would') || s.status === 'unknown').length;
      out(dryRun ? `${todo} to create or correct (run without --dry-run to do it).` : `Done: ${made} created or corrected, ${steps.length - made} already in place.`);
      if (!dryRun) {
        const ec2 = settings.ec2;
        if (!ec2.imageId && !ec2.launchTemplate) out('Note: set aws.names.imageId (an AMI with facefleet installed) or aws.names.launchTemplate before `facefleet start` launches workers (docs/aws.md).');
      }
      return 0;
    } finally {
      clients.destroy();
    }
  },
};

export default command;
