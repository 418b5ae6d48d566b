/**
 * An eventually consistent dynalite: dynalite updates its global secondary indexes at once, AWS does
 * not (usually well under a second, no bound promised). This wraps a DynamoDB client so that a read
 * model row's newest version shows up in index queries only after a random lag: a row written after
 * another may be visible before it, which is what a change feed must survive. Table reads (GetItem,
 * consistent Query on the table) are untouched, as on AWS.
 *
 * While hidden, the row is left out of index results (AWS would still show its previous version;
 * leaving it out is the harder case for a reader, and the previous version was already seen).
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface LagStats {
  /** Index items left out of a query result because their version was not visible yet. */
  hidden: number;
  /** Change-feed queries that returned a row written after one they hid (the order a counter-based cursor skips). */
  overtaken: number;
}

export function eventuallyConsistent(client: DynamoDBClient, options: { maxLagMs: number; random?: () => number }): { client: DynamoDBClient; stats: LagStats } {
  const random = options.random ?? Math.random;
  const stats: LagStats = { hidden: 0, overtaken: 0 };
  // Per read model item: the version (seq) that is still hidden and when it shows.
  const showsAt = new Map<string, { seq: string; at: number }>();
  const send = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const wrapped = Object.create(client) as DynamoDBClient;
  wrapped.send = (async (command: unknown, ...rest: unknown[]) => {
    // The lag is set before the write goes out: a query answered while the put is in flight must not
    // see the row and then lose it again (an index never takes back what it showed).
    const pk = command instanceof PutItemCommand ? command.input.Item?.pk?.S : undefined;
    const seq = command instanceof PutItemCommand ? command.input.Item?.seq?.N : undefined;
    const isRow = pk !== undefined && pk.startsWith('view#') && seq !== undefined;
    const previous = isRow ? showsAt.get(pk) : undefined;
    if (isRow) showsAt.set(pk, { seq, at: Date.now() + random() * options.maxLagMs });
    let result: unknown;
    try {
      result = await send(command, ...rest);
    } catch (error) {
      // A put that failed wrote nothing: what was hidden before stays as it was.
      if (isRow && showsAt.get(pk)?.seq === seq) {
        if (previous) showsAt.set(pk, previous);
        else showsAt.delete(pk);
      }
      throw error;
    }
    if (command instanceof QueryCommand && command.input.IndexName) {
      const out = result as { Items?: Array<Record<string, { S?: string; N?: string }>> };
      const now = Date.now();
      const hiddenChanges: number[] = [];
      const visible = (out.Items ?? []).filter((item) => {
        const lag = showsAt.get(item.pk?.S ?? '');
        const hide = lag !== undefined && lag.seq === item.seq?.N && lag.at > now;
        if (hide) {
          stats.hidden += 1;
          if (item.chsk?.N !== undefined) hiddenChanges.push(Number(item.chsk.N));
        }
        return !hide;
      });
      if (hiddenChanges.length > 0 && visible.some((item) => Number(item.chsk?.N ?? -Infinity) > Math.min(...hiddenChanges))) stats.overtaken += 1;
      return { ...out, Items: visible, ...(out.Items ? {} : { Items: undefined }) };
    }
    return result;
  }) as DynamoDBClient['send'];
  return { client: wrapped, stats };
}
