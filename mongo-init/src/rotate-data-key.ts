// `npm run rotate-data-key`: wraps every user's data key again with the first master key of
// DATA_KEY, so that the older master keys after it can be retired. Run it once every gateway and
// aggregator holds DATA_KEY="<new>,<old>"; the system keeps serving meanwhile. Nothing but the
// data keys is rewritten: events, snapshots and backups stay as they are. It lives beside
// mongo-init so that the gateway's image carries it: in Compose, `docker compose run --rm tools
// rotate data-key --rewrap` runs it inside the stack's network.
import { createLogger } from '@user-service/common/observability';
import { MasterKeyError, rotateMasterKey } from '@user-service/common/personal-data';
import { StoreMisconfiguredError, StoreUnavailableError } from '@user-service/common/store';
import { connect, fail, reasons, readToolConfig, toolConfigOr } from './store-tool';

const USAGE =
  'usage: DATA_KEY="<new key>,<old key>" [MONGO_URL=mongodb://…] [MONGO_DB=users] npm run rotate-data-key ' +
  '(DATA_KEY_FILE may name a file holding the keys instead; without MONGO_URL, the embedded MongoDB ' +
  'of a running `npm start` is used)';

// DATA_KEY or DATA_KEY_FILE: the new master key first, then the old ones it replaces.
const MEMORY_REFUSAL =
  'STORE=memory keeps its data keys in the process that made them, and they die with it: there is nothing to rotate. Rotate the keys of a MongoDB store (unset STORE).';

/** Progress is logged at most this often, as counts only. */
const PROGRESS_EVERY_MS = 1000;

async function main(): Promise<void> {
  const config = toolConfigOr(() => readToolConfig(process.env, MEMORY_REFUSAL), USAGE);
  const log = createLogger({ service: 'rotate-data-key', level: config.LOG_LEVEL });
  const store = await connect(config);
  const ring = config.masterKeys;
  let failure: string | undefined;
  try {
    log.info('rotating every data key to the first master key of DATA_KEY', {
      masterKeys: ring.byId.size,
    });
    let loggedAt = 0;
    const pass = () =>
      rotateMasterKey(store.dataKeys, ring, {
        onProgress: (count) => {
          if (Date.now() - loggedAt < PROGRESS_EVERY_MS) return;
          loggedAt = Date.now();
          log.info('rotating', { rewrapped: count });
        },
      });
    const { rewrapped, skipped } = await pass();
    // A key created during the pass behind its cursor, by a process still wrapping with an older
    // master key, is left: a second pass takes those, and what is left after it is said.
    const second = await pass();
    const left = await store.dataKeys.wrappedOtherwise(ring.current.id, undefined, 1);
    if (left.length > 0)
      failure = `data keys are still being wrapped with an older master key: restart every gateway with DATA_KEY="<new>,<old>" first, then run this again`;
    else
      log.info(
        `rotated: ${rewrapped + second.rewrapped} data keys rewrapped to master key ${ring.current.id}, ${skipped + second.skipped} skipped (erased or rewrapped meanwhile); none is left under another master key`,
        { rewrapped: rewrapped + second.rewrapped, skipped: skipped + second.skipped },
      );
  } catch (error) {
    if (error instanceof MasterKeyError)
      failure = `${error.message}: DATA_KEY must hold the new master key first, then every master key still in use`;
    else if (error instanceof StoreUnavailableError || error instanceof StoreMisconfiguredError)
      failure = `the rotation stopped (running it again resumes it): ${reasons(error)}`;
    else throw error;
  } finally {
    await store.close().catch(() => undefined);
  }
  if (failure !== undefined) fail(failure);
}

main().catch((error: unknown) => {
  fail(reasons(error));
});
