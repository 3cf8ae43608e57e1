import type { CommandStartedEvent, Document } from 'mongodb';

/** The collection label of a command that names none, or more than one (a client bulkWrite). */
export const NO_COLLECTION = '-';

/** What one command sent to MongoDB counts as: a round trip, and maybe a majority wait. */
export interface CountedCommand {
  /** The collection it acts on, or NO_COLLECTION. A collection name holds no personal data. */
  readonly collection: string;
  /** The command's name (`insert`, `find`, `commitTransaction`, ...). */
  readonly command: string;
  /**
   * True when the server waits for a majority before answering: the command carries
   * `writeConcern: { w: 'majority' }`. Statements inside a transaction carry none (the driver
   * strips it, operations/command.ts); their commit (and abort) carries the transaction's.
   * The server waits even for a write that fails (jstests noop_writes_wait_for_write_concern).
   */
  readonly majorityWait: boolean;
}

/**
 * @param event a command as the driver reports it before sending it (`commandStarted`,
 *   node_modules/mongodb/src/cmap/command_monitoring_events.ts): `command` is the command
 *   document, whose first field is named `commandName`.
 */
export function countedCommand(
  event: Pick<CommandStartedEvent, 'commandName' | 'databaseName' | 'command'>,
): CountedCommand {
  return {
    collection: collectionOf(event.commandName, event.databaseName, event.command),
    command: event.commandName,
    majorityWait: writeConcernOf(event.command)?.w === 'majority',
  };
}

/**
 * The collection a command acts on: the value of its first field when that is a name (`insert:
 * "Events"`, `find`, `aggregate`, ...), `collection` for a getMore. Commands on the `admin`
 * database (a transaction's commit and abort, a multi-namespace bulkWrite, ping) and database-wide
 * ones (`aggregate: 1`) act on none.
 */
function collectionOf(name: string, database: string, command: Document): string {
  if (database === 'admin') return NO_COLLECTION;
  const value: unknown = name === 'getMore' ? command.collection : command[name];
  return typeof value === 'string' && value !== '' ? value : NO_COLLECTION;
}

function writeConcernOf(command: Document): { readonly w?: unknown } | undefined {
  const concern: unknown = command.writeConcern;
  return typeof concern === 'object' && concern !== null ? concern : undefined;
}
