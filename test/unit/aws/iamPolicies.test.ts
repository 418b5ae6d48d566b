/**
 * The shipped IAM policies (deploy/aws): the supervisor's (web tier and supervisor) and the
 * workers'. Tags can be created only by the launch itself (else any instance could be tagged into
 * the fleet and then terminated), and workers get none of the supervisor's launch rights.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../support/facefleetProcess.ts';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

const policy = (file: string) => (JSON.parse(readFileSync(join(repoRoot, 'deploy', 'aws', file), 'utf8')) as { Statement: Statement[] }).Statement;
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const allowed = (statements: Statement[]) => new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actions));

describe('the shipped IAM policies', () => {
  const supervisor = policy('iam-policy.json');
  const worker = policy('iam-worker-policy.json');

  it('given the supervisor policy, then every statement allowing ec2:CreateTags requires ec2:CreateAction = RunInstances', () => {
    const tagging = supervisor.filter((s) => s.Effect === 'Allow' && actions(s).includes('ec2:CreateTags'));
    assert.ok(tagging.length > 0);
    for (const s of tagging) assert.equal(s.Condition?.StringEquals?.['ec2:CreateAction'], 'RunInstances', s.Sid);
  });

  it('given the worker policy, then it has no launch, tagging, PassRole or provisioning right, and terminates only fleet workers', () => {
    const rights = allowed(worker);
    for (const action of ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole', 'sqs:CreateQueue', 'dynamodb:CreateTable', 'sqs:PurgeQueue']) assert.ok(!rights.has(action), action);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 's3:GetObject', 's3:PutObject', 'dynamodb:PutItem', 'ec2:TerminateInstances']) assert.ok(rights.has(action), action);
    const terminate = worker.find((s) => actions(s).includes('ec2:TerminateInstances'));
    assert.equal(terminate?.Condition?.StringEquals?.['aws:ResourceTag/facefleet:fleet'], 'facefleet');
    assert.match(String(terminate?.Condition?.ArnLike?.['ec2:InstanceProfile']), /instance-profile\/facefleet-worker$/);
  });

  it('given the supervisor policy, then it can launch, pass the worker role and hold the lease (DeleteItem to release it)', () => {
    const rights = allowed(supervisor);
    for (const action of ['ec2:RunInstances', 'iam:PassRole', 'ec2:TerminateInstances', 'dynamodb:DeleteItem']) assert.ok(rights.has(action), action);
  });
});
