/**
 * The Queue port on Amazon SQS: long polling, a visibility timeout per receive, batch send,
 * receive counts from `ApproximateReceiveCount`, depth from the approximate counters. Dead-lettering
 * is SQS's own RedrivePolicy, set on the queue at provisioning (see provision.ts): a message received
 * more than maxReceiveCount times is moved by SQS, never returned again.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Queue, QueueMessage, ReceiveOptions } from '../ports.ts';
import { callAws, hasCode, type RetryOptions } from './awsErrors.ts';

export interface SqsQueueOptions {
  /** The SDK client; default: one built from `region` / `endpoint` and the default credentials. */
  client?: SQSClient;
  /** The queue's URL; looked up from `name` (GetQueueUrl) when absent. */
  queueUrl?: string;
  /** The queue's name; taken from the URL's last path segment when absent. */
  name?: string;
  region?: string;
  /** Always set it for emulators: their queue URLs may name hosts that do not resolve. */
  endpoint?: string;
  retry?: RetryOptions;
}

/** Receipt handles that SQS refuses because they are stale: ignored by delete and changeVisibility. */
const staleReceiptCodes = ['ReceiptHandleIsInvalid', 'InvalidParameterValue', 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'];

/** Builds a Queue on one SQS queue. */
export function createSqsQueue(options: SqsQueueOptions): Queue {
  if (!options.queueUrl && !options.name) throw new Error('createSqsQueue needs a queueUrl or a name');
  const client = options.client ?? new SQSClient({ region: options.region, endpoint: options.endpoint });
  const name = options.name ?? decodeURIComponent(new URL(options.queueUrl as string).pathname.split('/').pop() ?? '');
  let urlPromise: Promise<string> | undefined = options.queueUrl ? Promise.resolve(options.queueUrl) : undefined;

  const call = <T>(operation: string, fn: () => Promise<T>, passThrough?: (error: unknown) => boolean) =>
    callAws({ service: 'SQS', operation, resource: `queue ${name}` }, fn, { ...options.retry, passThrough });

  function queueUrl(): Promise<string> {
    urlPromise ??= call('GetQueueUrl', async () => {
      const out = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      if (!out.QueueUrl) throw new Error('GetQueueUrl returned no URL');
      return out.QueueUrl;
    }).catch((error: unknown) => {
      urlPromise = undefined; // a later call may find the queue once it is provisioned
      throw error;
    });
    return urlPromise;
  }

  function toMessage(message: Message): QueueMessage {
    const attributes = message.Attributes ?? {};
    const sent = Number(attributes.SentTimestamp);
    return {
      id: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
      sentAt: new Date(Number.isFinite(sent) ? sent : Date.now()).toISOString(),
    };
  }

  return {
    name,

    async send(body, sendOptions) {
      const QueueUrl = await queueUrl();
      const out = await call('SendMessage', () =>
        client.send(new SendMessageCommand({ QueueUrl, MessageBody: body, DelaySeconds: sendOptions?.delaySeconds })),
      );
      return out.MessageId ?? '';
    },

    async receive(receiveOptions: ReceiveOptions = {}) {
      const { signal } = receiveOptions;
      if (signal?.aborted) return [];
      const QueueUrl = await queueUrl();
      try {
        const out = await call(
          'ReceiveMessage',
          () =>
            client.send(
              new ReceiveMessageCommand({
                QueueUrl,
                MaxNumberOfMessages: Math.min(10, Math.max(1, receiveOptions.maxMessages ?? 1)),
                WaitTimeSeconds: Math.min(20, Math.max(0, Math.ceil(receiveOptions.waitSeconds ?? 0))),
                VisibilityTimeout: receiveOptions.visibilityTimeoutSeconds,
                MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
              }),
              { abortSignal: signal },
            ),
          () => signal?.aborted === true,
        );
        return (out.Messages ?? []).map(toMessage);
      } catch (error) {
        if (signal?.aborted) return [];
        throw error;
      }
    },

    async delete(receiptHandle) {
      const QueueUrl = await queueUrl();
      try {
        await call('DeleteMessage', () => client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: receiptHandle })));
      } catch (error) {
        if (!hasCode(error, ...staleReceiptCodes)) throw error;
      }
    },

    async changeVisibility(receiptHandle, seconds) {
      const QueueUrl = await queueUrl();
      try {
        await call('ChangeMessageVisibility', () =>
          client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.round(seconds)) })),
        );
      } catch (error) {
        if (!hasCode(error, ...staleReceiptCodes)) throw error;
      }
    },

    async depth() {
      const QueueUrl = await queueUrl();
      const out = await call('GetQueueAttributes', () =>
        client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })),
      );
      return {
        visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },

    async purge() {
      const QueueUrl = await queueUrl();
      try {
        await call('PurgeQueue', () => client.send(new PurgeQueueCommand({ QueueUrl })), (error) => hasCode(error, 'PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress'));
      } catch (error) {
        if (!hasCode(error, 'PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress')) throw error;
        // SQS allows one purge a minute: drain what is visible instead.
        for (;;) {
          const out = await call('ReceiveMessage', () => client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })));
          const messages = out.Messages ?? [];
          if (messages.length === 0) break;
          for (const message of messages) {
            await call('DeleteMessage', () => client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle })));
          }
        }
      }
    },
  };
}
