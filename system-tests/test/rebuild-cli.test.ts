import { foldEvents, initialUserState } from '@user-service/common/domain';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { describeWithMongo, fieldsFor } from '@user-service/test-support';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { apiClient } from './http-client';
import { startTestSystem, untilAggregatorsReady } from './test-system';

/** `npm run rebuild`'s own program, as built (which `npm test` does first). */
const REBUILD = join(resolve(__dirname, '../..'), 'mongo-init/dist/rebuild-projection.js');

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runRebuild(env: Record<string, string>): Promise<Outcome> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [REBUILD],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run rebuild', () => {
  it('refuses STORE=memory in one line that says where to ask instead', async () => {
    const outcome = await runRebuild({ STORE: 'memory' });
    expect(outcome.code).toBe(1);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('POST /admin/projections/users/rebuild');
  });
});

describeWithMongo('npm run rebuild on MongoDB', (mongoUrl) => {
  const databaseName = `rebuild_${uuidv4().replaceAll('-', '')}`;
  let admin: MongoClient;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
    await ensureSchema(admin.db(databaseName));
  });

  afterAll(async () => {
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  it('asks for a rebuild, follows it to done while the aggregators serve, and the projection saved equals the log', async () => {
    const store = await MongoStore.connect(mongoUrl, databaseName);
    const system = await startTestSystem({ store, rebuildCheckEveryMs: 100 });
    try {
      await untilAggregatorsReady(system, [0, 1, 2]);
      const api = apiClient(system.gateway.url);
      for (let n = 0; n < 30; n++) {
        expect((await api.create({ id: `u${n}`, ...fieldsFor(n) })).status).toBe(201);
      }
      expect((await api.remove('u3')).status).toBe(204);

      const outcome = await runRebuild({ MONGO_URL: mongoUrl, MONGO_DB: databaseName });

      expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: 0, stderr: '' });
      expect(outcome.stdout).toContain('rebuild done');
      for (let n = 0; n < 30; n++) {
        const folded = foldEvents(initialUserState, await store.events.readUserEvents(`u${n}`));
        const saved = await store.snapshots.loadUser(`u${n}`);
        expect({ version: saved?.version, user: saved?.user ?? null }).toEqual(folded);
      }
      expect((await api.get('u4')).status).toBe(200);
    } finally {
      await system.close();
    }
  });
});
