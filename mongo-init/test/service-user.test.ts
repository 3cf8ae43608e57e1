import { MONGO_ERROR } from '@user-service/common/store/mongo';
import { type Document, MongoServerError } from 'mongodb';
import { ensureServiceUser } from '../src/service-user';

/**
 * Stands in for `db('admin').command`: records every command, and refuses to create a user that
 * exists, as the server does (code 51003), so that running twice takes the update path.
 */
class FakeAdmin {
  readonly commands: Document[] = [];
  private readonly users = new Set<string>();

  readonly command = async (command: Document): Promise<Document> => {
    this.commands.push(command);
    if (typeof command.createUser === 'string') {
      if (this.users.has(command.createUser)) {
        throw new MongoServerError({
          ok: 0,
          errmsg: `User "${command.createUser}@admin" already exists`,
          code: MONGO_ERROR.UserAlreadyExists,
          codeName: 'Location51003',
        });
      }
      this.users.add(command.createUser);
    }
    return { ok: 1 };
  };
}

const role = [{ role: 'readWrite', db: 'users' }];
const majority = { w: 'majority', wtimeout: 10_000 };

describe('the service user', () => {
  it('is created with its password and exactly readWrite on the database', async () => {
    const admin = new FakeAdmin();
    await expect(
      ensureServiceUser(admin.command, { username: 'users-service', password: 'first' }, 'users'),
    ).resolves.toBe('created');
    expect(admin.commands).toEqual([
      { createUser: 'users-service', pwd: 'first', roles: role, writeConcern: majority },
    ]);
  });

  it('is updated when it exists, so that a rotated password and the role take effect', async () => {
    const admin = new FakeAdmin();
    await ensureServiceUser(
      admin.command,
      { username: 'users-service', password: 'first' },
      'users',
    );
    await expect(
      ensureServiceUser(admin.command, { username: 'users-service', password: 'rotated' }, 'users'),
    ).resolves.toBe('updated');
    expect(admin.commands.slice(1)).toEqual([
      { createUser: 'users-service', pwd: 'rotated', roles: role, writeConcern: majority },
      { updateUser: 'users-service', pwd: 'rotated', roles: role, writeConcern: majority },
    ]);
  });

  it('comes out the same when run again unchanged', async () => {
    const admin = new FakeAdmin();
    const user = { username: 'users-service', password: 'same' };
    await ensureServiceUser(admin.command, user, 'users');
    await ensureServiceUser(admin.command, user, 'users');
    await ensureServiceUser(admin.command, user, 'users');
    // Every run after the first asks for the same thing: the same user, password and role.
    expect(admin.commands).toHaveLength(5);
    expect(admin.commands.slice(3)).toEqual(admin.commands.slice(1, 3));
  });

  it('lets any other failure through, for the caller to retry or report', async () => {
    const unauthorized = new MongoServerError({
      ok: 0,
      errmsg: 'not authorized on admin to execute command',
      code: 13,
      codeName: 'Unauthorized',
    });
    const command = async (): Promise<Document> => {
      throw unauthorized;
    };
    await expect(
      ensureServiceUser(command, { username: 'users-service', password: 'x' }, 'users'),
    ).rejects.toBe(unauthorized);
  });
});
