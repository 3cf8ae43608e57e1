import { EventEmitter } from 'node:events';
import { Long, type MongoClient } from 'mongodb';
import { Registry } from 'prom-client';
import { countedCommand } from '../../../src/store/mongo/command-count';
import { countCommands } from '../../../src/store/mongo/command-metrics';

/*
 * Commands as the driver reports them in `commandStarted` (command_monitoring_events.ts): the
 * command document as sent, with the session, cluster time and `$db` the driver adds.
 */
const session = { lsid: { id: 'session-id' }, $clusterTime: { clusterTime: 'time' } };
const majority = { w: 'majority', wtimeout: 2000 };

const started = (databaseName: string, command: Record<string, unknown>) => ({
  commandName: Object.keys(command)[0]!,
  databaseName,
  command: { ...command, ...session, $db: databaseName },
});

const plainInsert = started('users', {
  insert: 'Events',
  documents: [{ _id: 'e1', userId: 'alice', data: { name: 'sealed' } }],
  ordered: true,
  txnNumber: Long.fromNumber(3),
  writeConcern: majority,
});
const insertInTransaction = started('users', {
  insert: 'Events',
  documents: [{ _id: 'e2' }],
  txnNumber: Long.fromNumber(4),
  startTransaction: true,
  autocommit: false,
  readConcern: { level: 'majority' },
});
const commit = started('admin', {
  commitTransaction: 1,
  txnNumber: Long.fromNumber(4),
  autocommit: false,
  writeConcern: majority,
  maxTimeMS: 2000,
});
const abort = started('admin', {
  abortTransaction: 1,
  txnNumber: Long.fromNumber(5),
  autocommit: false,
  writeConcern: majority,
});
const clientBulkWrite = started('admin', {
  bulkWrite: 1,
  ops: [
    { insert: 0, document: { _id: 'k1' } },
    { insert: 1, document: { _id: 'e3' } },
  ],
  nsInfo: [{ ns: 'users.DataKeys' }, { ns: 'users.Events' }],
  errorsOnly: true,
  ordered: true,
  txnNumber: Long.fromNumber(6),
  autocommit: false,
});
const find = started('users', {
  find: 'Users',
  filter: { _id: 'alice@example.com' },
  limit: 1,
  singleBatch: true,
  readConcern: { level: 'majority' },
  maxTimeMS: 2000,
});
const getMore = started('users', {
  getMore: Long.fromNumber(987654321),
  collection: 'Events',
  maxTimeMS: 500,
});
const databaseAggregate = started('admin', { aggregate: 1, pipeline: [], cursor: {} });
const refusedUpsert = started('users', {
  update: 'IdempotentRequests',
  updates: [{ q: { _id: 'key' }, u: { $setOnInsert: {} }, upsert: true }],
  txnNumber: Long.fromNumber(7),
  writeConcern: majority,
});

describe('what a MongoDB command counts as', () => {
  it.each([
    ['a write outside a transaction', plainInsert, 'Events', 'insert', true],
    [
      'a statement inside a transaction (its write concern is the commit’s)',
      insertInTransaction,
      'Events',
      'insert',
      false,
    ],
    ['a commit', commit, '-', 'commitTransaction', true],
    ['an abort, which waits for a majority too', abort, '-', 'abortTransaction', true],
    ['a multi-namespace bulkWrite in a transaction', clientBulkWrite, '-', 'bulkWrite', false],
    ['a majority read', find, 'Users', 'find', false],
    ['a getMore of a cursor', getMore, 'Events', 'getMore', false],
    ['a database-wide aggregate', databaseAggregate, '-', 'aggregate', false],
    [
      'an upsert, which waits for a majority even when it changes nothing',
      refusedUpsert,
      'IdempotentRequests',
      'update',
      true,
    ],
  ])('counts %s', (_, event, collection, command, majorityWait) => {
    expect(countedCommand(event)).toEqual({ collection, command, majorityWait });
  });

  it('labels nothing a command carries: a filter on an email stays out', () => {
    expect(JSON.stringify(countedCommand(find))).not.toContain('example.com');
  });
});

describe('the command counters', () => {
  async function metricsText(registry: Registry): Promise<string[]> {
    return (await registry.metrics()).split('\n').filter((line) => /^mongodb_\w+\{/.test(line));
  }

  it('count each command a client reports into the registry, until stopped', async () => {
    const client = new EventEmitter();
    const registry = new Registry();
    const stop = countCommands(client as unknown as MongoClient, registry);
    for (const event of [plainInsert, insertInTransaction, commit, find]) {
      client.emit('commandStarted', event);
    }
    client.emit('commandStarted', find);
    stop();
    client.emit('commandStarted', find);
    expect(await metricsText(registry)).toEqual([
      'mongodb_commands_total{collection="Events",command="insert"} 2',
      'mongodb_commands_total{collection="-",command="commitTransaction"} 1',
      'mongodb_commands_total{collection="Users",command="find"} 2',
      'mongodb_majority_waits_total{collection="Events",command="insert"} 1',
      'mongodb_majority_waits_total{collection="-",command="commitTransaction"} 1',
    ]);
  });

  it('let two stores count into one registry', async () => {
    const registry = new Registry();
    const [first, second] = [new EventEmitter(), new EventEmitter()];
    countCommands(first as unknown as MongoClient, registry);
    countCommands(second as unknown as MongoClient, registry);
    first.emit('commandStarted', find);
    second.emit('commandStarted', find);
    expect(await metricsText(registry)).toEqual([
      'mongodb_commands_total{collection="Users",command="find"} 2',
    ]);
  });
});
