import { MisconfiguredError } from '@user-service/common/config';
import { createLogger, errorText } from '@user-service/common/observability';
import { failOnSignals } from './fail-on-signals';
import { readInitConfig } from './init-config';
import { initialize } from './initialize';

const log = createLogger({ service: 'mongo-init', level: process.env.LOG_LEVEL ?? 'info' });

async function main(): Promise<void> {
  failOnSignals(log);
  const config = readInitConfig(process.env);
  await initialize(config, log);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // A bad variable, or a database it cannot fix (an index to drop by hand): the reason alone.
    if (error instanceof MisconfiguredError) log.error(error.message);
    else log.error('mongo-init failed', { error: errorText(error) });
    process.exit(1);
  },
);
