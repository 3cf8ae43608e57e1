import { ensureSchema, InMemoryStore, MongoStore } from '@user-service/common';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '../../common/test/support/mongo';
import { defineSystemContract } from './system-contract';

describe('system on the in-memory store', () => {
  defineSystemContract(async () => new InMemoryStore());
});

describeWithMongo('system on MongoDB', (mongoUrl) => {
  defineSystemContract(async () => {
    const databaseName = `system_${uuidv4().replaceAll('-', '')}`;
    const admin = await MongoClient.connect(mongoUrl);
    await ensureSchema(admin.db(databaseName)).finally(() => admin.close());
    return MongoStore.connect(mongoUrl, databaseName);
  });
});
