import type { CommandStartedEvent, MongoClient } from 'mongodb';
import { Counter, type Registry } from 'prom-client';
import { countedCommand } from './command-count';

/** Every command a store's client sends: its round trips, by `collection` and `command`. */
export const COMMANDS_METRIC = 'mongodb_commands_total';
/** The commands among them the server answers only once a majority has the write. */
export const MAJORITY_WAITS_METRIC = 'mongodb_majority_waits_total';

type CommandCounter = Counter<'collection' | 'command'>;

/**
 * Counts each command `client` sends into `registry`, as the driver reports it before sending
 * (`commandStarted`; the client needs `monitorCommands: true`). Returns what stops counting.
 * Labels are collection and command names only, never anything a command carries.
 */
export function countCommands(client: MongoClient, registry: Registry): () => void {
  const commands = counterIn(
    registry,
    COMMANDS_METRIC,
    'Commands sent to MongoDB (each one round trip), by collection ("-" for none or several) and command',
  );
  const majorityWaits = counterIn(
    registry,
    MAJORITY_WAITS_METRIC,
    'Commands sent to MongoDB that the server answers once a majority acknowledged them (w: majority), by collection and command',
  );
  const count = (event: CommandStartedEvent) => {
    const counted = countedCommand(event);
    const labels = { collection: counted.collection, command: counted.command };
    commands.inc(labels);
    if (counted.majorityWait) majorityWaits.inc(labels);
  };
  client.on('commandStarted', count);
  return () => {
    client.off('commandStarted', count);
  };
}

/** The registry's counter of that name, made on first use: two stores may count into one. */
function counterIn(registry: Registry, name: string, help: string): CommandCounter {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as CommandCounter;
  return new Counter({ name, help, labelNames: ['collection', 'command'], registers: [registry] });
}
