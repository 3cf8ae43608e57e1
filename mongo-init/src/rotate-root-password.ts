// `docker compose run --rm tools --rotate mongo-root-password` runs this between making the new
// password (mongo-root-password.next) and putting it in place: MongoDB must take the new password
// before the file says it, or mongo-init would be locked out.
import { readFileSync } from 'node:fs';
import { MisconfiguredError } from '@user-service/common/config';
import { createLogger, errorText } from '@user-service/common/observability';
import { MongoClient } from 'mongodb';
import { readInitConfig } from './init-config';
import { changeRootPassword } from './root-password';

const log = createLogger({ service: 'rotate-root-password', level: 'info' });

async function main(nextFile: string | undefined): Promise<void> {
  if (nextFile === undefined)
    throw new MisconfiguredError('usage: rotate-root-password.js <file holding the new password>');
  const config = readInitConfig(process.env);
  const root = config.rootCredentials;
  if (!root)
    throw new MisconfiguredError('MONGO_ROOT_USER and MONGO_ROOT_PASSWORD(_FILE) are required');
  const next = readFileSync(nextFile, 'utf8');
  const url = `mongodb://${config.members.join(',')}/?replicaSet=${config.replicaSet}`;
  const outcome = await changeRootPassword(
    async (password, command) => {
      const client = new MongoClient(url, {
        auth: { username: root.username, password },
        authSource: 'admin',
        serverSelectionTimeoutMS: 5000,
        timeoutMS: 10_000,
      });
      try {
        return await client.db('admin').command(command);
      } finally {
        await client.close();
      }
    },
    root,
    next,
  );
  // The user's name only: passwords are secrets.
  log.info(
    outcome === 'changed' ? "root's password changed" : "root's password was already the new one",
    {
      user: root.username,
    },
  );
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    log.error(
      error instanceof MisconfiguredError
        ? error.message
        : `root's password was not changed: ${errorText(error)}`,
    );
    process.exit(1);
  },
);
