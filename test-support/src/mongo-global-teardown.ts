import './mongo-global-setup';

export default async function tearDownMongo(): Promise<void> {
  await globalThis.mongoReplSetForTests?.stop();
}
