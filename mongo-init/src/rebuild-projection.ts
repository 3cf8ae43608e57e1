// `npm run rebuild`: asks for the users projection to be folded again from `Events` into a new
// generation, and follows it to its end. The aggregators do the work, partition by partition,
// while they serve (docs/decisions/0018); this only asks and watches, so stopping it stops
// nothing. It lives beside mongo-init so that the gateway's image carries it.
import { createLogger } from '@user-service/common/observability';
import { currentStatus, type RebuildStatus } from '@user-service/common/store';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { connect, fail, reasons, readToolConfig, toolConfigOr } from './store-tool';

const USAGE =
  'usage: [MONGO_URL=mongodb://…] [MONGO_DB=users] npm run rebuild [-- --no-wait] ' +
  '(without MONGO_URL, the embedded MongoDB of a running `npm start` is used; the gateway answers ' +
  'the same as POST /admin/projections/users/rebuild)';

const MEMORY_REFUSAL =
  'STORE=memory lives in the processes of `npm start`: ask its gateway instead, POST /admin/projections/users/rebuild';

/** How often progress is read and logged. */
const EVERY_MS = 1000;
/** How long without a partition or an event more before it says the aggregators may be down. */
const STALLED_MS = 30_000;

async function main(): Promise<void> {
  const config = toolConfigOr(() => readToolConfig(process.env, MEMORY_REFUSAL), USAGE);
  const wait = !process.argv.includes('--no-wait');
  const log = createLogger({ service: 'rebuild', level: config.LOG_LEVEL });
  const store = await connect(config);
  let failure: string | undefined;
  try {
    const { rebuild, started } = await store.rebuilds.request(randomUUID(), new Date());
    log.info(started ? 'rebuild asked for' : 'a rebuild is running already: following it', {
      rebuild: rebuild.id,
      generation: rebuild.generation,
    });
    let status: RebuildStatus = await currentStatus(store.rebuilds, rebuild);
    let movedAt = Date.now();
    while (wait && status.state === 'running') {
      await sleep(EVERY_MS);
      const next = await currentStatus(store.rebuilds, rebuild);
      if (next.events !== status.events || next.partitions.done !== status.partitions.done)
        movedAt = Date.now();
      else if (Date.now() - movedAt > STALLED_MS) {
        log.warn('nothing moved for 30 s: are the aggregators running? (it goes on when they are)');
        movedAt = Date.now();
      }
      status = next;
      log.info('rebuilding', { ...status.partitions, events: status.events });
    }
    if (status.state === 'failed')
      failure = `partitions failed, and serve their current generation: ${status.failures
        .map(({ partition, failure: why }) => `${partition}: ${why}`)
        .join('; ')}`;
    else log.info(`rebuild ${status.state}`, { rebuild: status.id, events: status.events });
  } catch (error) {
    failure = `the rebuild could not be asked for or followed (it goes on if asked): ${reasons(error)}`;
  } finally {
    await store.close().catch(() => undefined);
  }
  if (failure !== undefined) fail(failure);
}

main().catch((error: unknown) => {
  fail(reasons(error));
});
