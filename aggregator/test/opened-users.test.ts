import type { OpenedPage, PersonalData } from '@user-service/common/personal-data';
import type { User } from '@user-service/common/domain';
import { OpenedUsers } from '../src/opened-users';

/**
 * Opens by marking the name, erased for ids starting with "gone", unopenable for those starting
 * with "locked"; counts what it opened.
 */
function fakePersonalData() {
  const opened: string[] = [];
  const personalData = {
    openPage: async (users: readonly User[]): Promise<OpenedPage> => {
      const unopenable = new Map<string, Error>();
      const answered = users.map((user) => {
        opened.push(user.id);
        if (user.id.startsWith('locked')) unopenable.set(user.id, new Error(`${user.id} locked`));
        return user.id.startsWith('gone') || unopenable.has(user.id)
          ? null
          : { ...user, name: `opened ${user.name}` };
      });
      return { users: answered, unopenable };
    },
  } as unknown as PersonalData;
  return { personalData, opened };
}

const sealed = (id: string, name = 'sealed'): User => ({ id, name, email: 'sealed', group: 1 });

describe('OpenedUsers', () => {
  it('opens a user once while it is unchanged, and again once its state changed', async () => {
    const { personalData, opened } = fakePersonalData();
    const users = new OpenedUsers(personalData);
    const ada = sealed('ada');

    expect(await users.open([ada])).toEqual([{ ...ada, name: 'opened sealed' }]);
    expect(await users.open([ada])).toEqual([{ ...ada, name: 'opened sealed' }]);
    const renamed = sealed('ada', 'sealed again');
    expect(await users.open([renamed])).toEqual([{ ...renamed, name: 'opened sealed again' }]);

    expect(opened).toEqual(['ada', 'ada']);
  });

  it('opens again after forget, keeps no erased user, and keeps the order asked', async () => {
    const { personalData, opened } = fakePersonalData();
    const users = new OpenedUsers(personalData);
    const [ada, gone, bob] = [sealed('ada'), sealed('gone-1'), sealed('bob')];

    expect((await users.open([ada, gone, bob])).map((user) => user?.id ?? null)).toEqual([
      'ada',
      null,
      'bob',
    ]);
    users.forget('ada');
    await users.open([ada, gone, bob]);

    expect(opened).toEqual(['ada', 'gone-1', 'bob', 'ada', 'gone-1']);
  });

  it('neither answers nor keeps a user erased while it was being opened', async () => {
    const { personalData, opened } = fakePersonalData();
    let release = () => {};
    const slow = {
      openPage: async (users: readonly User[]) => {
        await new Promise<void>((resolve) => (release = resolve));
        return personalData.openPage(users);
      },
    } as unknown as PersonalData;
    const users = new OpenedUsers(slow);
    const [ada, bob] = [sealed('ada'), sealed('bob')];

    const opening = users.open([ada, bob]);
    // The erasure is applied while the keys are fetched: ada's data was opened from before it.
    users.forget('ada');
    release();

    expect((await opening).map((user) => user?.id ?? null)).toEqual([null, 'bob']);
    const again = users.open([ada, bob]);
    release();
    await again;
    // Bob was kept; ada was not, and is opened again (here the fake still opens it).
    expect(opened).toEqual(['ada', 'bob', 'ada']);
  });

  it('holds at most its size, dropping the user answered least recently', async () => {
    const { personalData, opened } = fakePersonalData();
    const users = new OpenedUsers(personalData, 2);
    const [ada, bob, cy] = [sealed('ada'), sealed('bob'), sealed('cy')];

    for (const user of [ada, bob, ada, cy, ada, bob]) await users.open([user]);

    expect(opened).toEqual(['ada', 'bob', 'cy', 'bob']);
  });

  it('answers a page whose one user cannot be opened, naming that user and keeping nothing of it; open throws for it', async () => {
    const { personalData, opened } = fakePersonalData();
    const users = new OpenedUsers(personalData);
    const [ada, locked] = [sealed('ada'), sealed('locked-1')];

    const page = await users.openPage([ada, locked]);
    expect(page.users.map((user) => user?.id ?? null)).toEqual(['ada', null]);
    expect([...page.unopenable.keys()]).toEqual(['locked-1']);
    await expect(users.open([ada, locked])).rejects.toThrow('locked-1 locked');
    // ada was kept opened; the locked user is asked for again each time.
    expect(opened).toEqual(['ada', 'locked-1', 'locked-1']);
  });
});
