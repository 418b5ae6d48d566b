/**
 * The AWS backend's settings, read from `config.aws.names` (set in the config file under
 * `aws.names`, or as FACEFLEET_AWS_NAME_<KEY> variables, e.g. FACEFLEET_AWS_NAME_IMAGE_ID). Every
 * resource name has a default derived from `prefix`; only the EC2 image (or launch template) has
 * none. Validated once here, one line per mistake.
 */
import { z } from 'zod';
import type { Ec2LaunchSettings } from '../../adapters/aws/ec2Compute.ts';
import type { ProvisionPlan } from '../../adapters/aws/provision.ts';
import { ConfigError, type Config } from '../config.ts';

const name = (pattern: RegExp, rule: string) => z.string().regex(pattern, { error: rule }).optional();
const queueName = name(/^[A-Za-z0-9_-]{1,80}$/, 'must be 1–80 letters, digits, - or _ (an SQS queue name)');

export const awsNamesSchema = z
  .object({
    /** Prefix of every default name (and of the resources the IAM policy allows). */
    prefix: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'must be 1–40 lower-case letters, digits or -' }).default('facefleet'),
    requestQueue: queueName,
    responseQueue: queueName,
    deadLetterQueue: queueName,
    /** S3 bucket names are global: set one of your own (default `<prefix>-blobs-<region>`). */
    bucket: name(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be 3–63 lower-case letters, digits, . or - (an S3 bucket name)'),
    /** Prefix of every object key in the bucket, e.g. `prod/` (default none). */
    blobPrefix: z.string().max(200).optional(),
    table: name(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3–255 letters, digits, _ . or - (a DynamoDB table name)'),
    /** Tagged `facefleet:fleet` on every worker instance (default: prefix). */
    fleet: z.string().min(1).max(128).optional(),
    imageId: name(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id (ami-…)'),
    /** A launch template name, or its id (lt-…). */
    launchTemplate: z.string().min(1).max(128).optional(),
    launchTemplateVersion: z.string().min(1).optional(),
    instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { error: 'must be an instance type such as t3.medium' }).optional(),
    subnetId: name(/^subnet-[0-9a-f]+$/, 'must be a subnet id (subnet-…)'),
    /** Comma-separated security group ids. */
    securityGroupIds: name(/^sg-[0-9a-f]+(,sg-[0-9a-f]+)*$/, 'must be security group ids (sg-…), comma-separated'),
    /** The worker's instance profile: name or ARN. */
    instanceProfile: z.string().min(1).optional(),
    keyName: z.string().min(1).optional(),
    appDir: z.string().startsWith('/', { error: 'must be an absolute path' }).optional(),
    workerCommand: z.string().min(1).optional(),
    runAs: z.string().optional(),
  })
  .strict();

export interface AwsSettings {
  region: string;
  endpoints: Config['aws']['endpoints'];
  queues: { requests: string; responses: string; deadLetters: string };
  bucket: string;
  blobPrefix: string;
  table: string;
  fleet: string;
  ec2: Ec2LaunchSettings;
}

/** The AWS settings with every default filled in; throws ConfigError (one line) for a bad name. */
export function awsSettings(config: Config): AwsSettings {
  const parsed = awsNamesSchema.safeParse(config.aws.names);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') throw new ConfigError(`config: aws.names.${issue.keys.join(', aws.names.')} is not a known name (known: ${Object.keys(awsNamesSchema.shape).join(', ')})`);
    throw new ConfigError(`config: aws.names.${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`);
  }
  const n = parsed.data;
  const { region } = config.aws;
  const launchTemplate = n.launchTemplate
    ? n.launchTemplate.startsWith('lt-')
      ? { id: n.launchTemplate, version: n.launchTemplateVersion }
      : { name: n.launchTemplate, version: n.launchTemplateVersion }
    : undefined;
  return {
    region,
    endpoints: config.aws.endpoints,
    queues: {
      requests: n.requestQueue ?? `${n.prefix}-requests`,
      responses: n.responseQueue ?? `${n.prefix}-responses`,
      deadLetters: n.deadLetterQueue ?? `${n.prefix}-requests-dead`,
    },
    bucket: n.bucket ?? `${n.prefix}-blobs-${region}`,
    blobPrefix: n.blobPrefix ?? '',
    table: n.table ?? `${n.prefix}-events`,
    fleet: n.fleet ?? n.prefix,
    ec2: {
      imageId: n.imageId,
      launchTemplate,
      // A launch template names its own instance type; without one, a type that runs the model well.
      instanceType: n.instanceType ?? (launchTemplate ? undefined : 't3.medium'),
      subnetId: n.subnetId,
      securityGroupIds: n.securityGroupIds?.split(','),
      instanceProfile: n.instanceProfile ?? (launchTemplate ? undefined : `${n.prefix}-worker`),
      keyName: n.keyName,
      appDir: n.appDir,
      workerCommand: n.workerCommand,
      runAs: n.runAs,
    },
  };
}

/** What `facefleet provision --backend aws` creates, in order. */
export function provisionPlan(config: Config): ProvisionPlan {
  const s = awsSettings(config);
  return {
    region: s.region,
    queues: [
      { name: s.queues.deadLetters, visibilityTimeoutSeconds: 30, retentionSeconds: 14 * 24 * 3600 },
      {
        name: s.queues.requests,
        visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
        deadLetter: { name: s.queues.deadLetters, maxReceives: config.maxReceives },
      },
      { name: s.queues.responses, visibilityTimeoutSeconds: 30 },
    ],
    buckets: [s.bucket],
    tables: [s.table],
  };
}
