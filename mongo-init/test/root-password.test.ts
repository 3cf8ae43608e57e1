import { MongoServerError, type Document } from 'mongodb';
import { changeRootPassword } from '../src/root-password';

const root = { username: 'root', password: 'old' };
const refused = () =>
  new MongoServerError({
    code: 18,
    codeName: 'AuthenticationFailed',
    errmsg: 'Authentication failed.',
  });

/** A MongoDB with root's password, which takes commands logged in with it. */
function mongoWith(password: string) {
  const state = { password, sent: [] as Document[] };
  const command = async (given: string, doc: Document) => {
    if (given !== state.password) throw refused();
    state.sent.push(doc);
    if ('updateUser' in doc) state.password = String(doc.pwd);
    return { ok: 1 };
  };
  return { state, command };
}

describe("changing root's password", () => {
  it('changes it with the old password, waiting for a majority', async () => {
    const mongo = mongoWith('old');
    expect(await changeRootPassword(mongo.command, root, 'new')).toBe('changed');
    expect(mongo.state.password).toBe('new');
    expect(mongo.state.sent).toEqual([
      { updateUser: 'root', pwd: 'new', writeConcern: { w: 'majority', wtimeout: 10_000 } },
    ]);
  });

  it('finds it changed already after a run that died before the file was replaced, and changes nothing', async () => {
    const mongo = mongoWith('new');
    expect(await changeRootPassword(mongo.command, root, 'new')).toBe('already');
    expect(mongo.state.sent).toEqual([{ ping: 1 }]);
  });

  it('fails when MongoDB takes neither password, changing nothing', async () => {
    const mongo = mongoWith('someone-elses');
    await expect(changeRootPassword(mongo.command, root, 'new')).rejects.toThrow(
      'Authentication failed.',
    );
    expect(mongo.state.password).toBe('someone-elses');
  });
});
