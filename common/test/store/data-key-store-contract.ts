import type { WrappedDataKey } from '@user-service/common/store';
import type { StoreUnderTest } from './store-under-test';

/** What every data key store adapter promises (`DataKeyStore`, store/data-key-store.ts). */
export function defineDataKeyStoreContract({ store }: StoreUnderTest): void {
  describe('data keys', () => {
    const wrappedKey = (keyId: string, masterKeyId = 'master-1'): WrappedDataKey => ({
      keyId,
      masterKeyId,
      wrapped: `${keyId} wrapped by ${masterKeyId}`,
    });

    it('of 10 concurrent getOrCreate with different candidates, gives each the one key stored', async () => {
      const candidates = Array.from({ length: 10 }, (_, n) => wrappedKey(`k${n}`));
      const answers = await Promise.all(
        candidates.map((candidate) => store.dataKeys.getOrCreate('ada', candidate)),
      );
      const storedKey = (await store.dataKeys.get(['ada'])).get('ada');
      expect(candidates).toContainEqual(storedKey);
      for (const answer of answers) expect(answer).toEqual(storedKey);
      // And later calls too, whatever their candidate.
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('late'))).toEqual(storedKey);
    });

    it('gives the keys of the owners that have one, leaving the others out', async () => {
      await store.dataKeys.getOrCreate('ada', wrappedKey('ka'));
      await store.dataKeys.getOrCreate('$email-index', wrappedKey('ki'));
      const found = await store.dataKeys.get(['nobody', 'ada', '$email-index', 'ada']);
      expect(found).toEqual(
        new Map([
          ['ada', wrappedKey('ka')],
          ['$email-index', wrappedKey('ki')],
        ]),
      );
      expect(await store.dataKeys.get(['nobody'])).toEqual(new Map());
      expect(await store.dataKeys.get([])).toEqual(new Map());
    });

    it('destroys a key for good: the next getOrCreate stores its new candidate', async () => {
      await store.dataKeys.getOrCreate('ada', wrappedKey('old'));
      await store.dataKeys.getOrCreate('bob', wrappedKey('kb'));
      await store.dataKeys.destroy('ada');
      expect(await store.dataKeys.get(['ada', 'bob'])).toEqual(
        new Map([['bob', wrappedKey('kb')]]),
      );
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('new'))).toEqual(wrappedKey('new'));
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(wrappedKey('new'));
    });

    it('resolves when destroying the key of an owner that has none', async () => {
      await expect(store.dataKeys.destroy('nobody')).resolves.toBeUndefined();
      await store.dataKeys.destroy('ada');
      await store.dataKeys.getOrCreate('ada', wrappedKey('ka'));
      await store.dataKeys.destroy('ada');
      await expect(store.dataKeys.destroy('ada')).resolves.toBeUndefined();
    });

    it('lists the keys wrapped by other master keys, in owner order, a page at a time', async () => {
      // By owner as JavaScript compares code units: '$' before capitals before small letters,
      // '-' before '_', digits one by one.
      const others: [string, string][] = [
        ['user-a', 'master-0'],
        ['User-b', 'master-old'],
        ['user_c', 'master-0'],
        ['user-10', 'master-0'],
        ['$email-index', 'master-old'],
        ['user-9', 'master-0'],
      ];
      const current = ['user-5', 'Zed', 'user-b'];
      for (const [owner, masterKeyId] of others)
        await store.dataKeys.getOrCreate(owner, wrappedKey(`k-${owner}`, masterKeyId));
      for (const owner of current)
        await store.dataKeys.getOrCreate(owner, wrappedKey(`k-${owner}`));

      const page = async (after: string | undefined, limit: number) =>
        (await store.dataKeys.wrappedOtherwise('master-1', after, limit)).map(({ owner }) => owner);
      expect(await page(undefined, 3)).toEqual(['$email-index', 'User-b', 'user-10']);
      expect(await page('user-10', 3)).toEqual(['user-9', 'user-a', 'user_c']);
      expect(await page('user_c', 3)).toEqual([]);
      // After an owner without a key, or with a current one: from the next one up.
      expect(await page('user-5', 2)).toEqual(['user-9', 'user-a']);
      expect(await page('Zed', 1)).toEqual(['user-10']);
      expect(await page(undefined, 50)).toHaveLength(others.length);
      expect(await store.dataKeys.wrappedOtherwise('master-1', 'User-b', 1)).toEqual([
        { owner: 'user-10', key: wrappedKey('k-user-10', 'master-0') },
      ]);
      // Every key but those of the master key named.
      const byOld = await store.dataKeys.wrappedOtherwise('master-old', undefined, 50);
      expect(byOld.map(({ owner }) => owner)).toEqual([
        'Zed',
        'user-10',
        'user-5',
        'user-9',
        'user-a',
        'user-b',
        'user_c',
      ]);
    });

    it('rewraps a key that is still the one read, and reads back the new wrapping', async () => {
      const from = wrappedKey('k1', 'master-0');
      const to = wrappedKey('k1', 'master-1');
      await store.dataKeys.getOrCreate('ada', from);
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(true);
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(to);
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('k2'))).toEqual(to);
      expect(await store.dataKeys.wrappedOtherwise('master-1', undefined, 10)).toEqual([]);
    });

    it('refuses to rewrap a key that was destroyed, or is no longer the one read', async () => {
      const from = wrappedKey('k1', 'master-0');
      const to = wrappedKey('k1', 'master-1');

      // Destroyed: stays destroyed.
      await store.dataKeys.getOrCreate('ada', from);
      await store.dataKeys.destroy('ada');
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(false);
      expect(await store.dataKeys.get(['ada'])).toEqual(new Map());

      // Destroyed and created again, by chance wrapped the same way but a new key.
      const recreated = { ...from, keyId: 'k2' };
      await store.dataKeys.getOrCreate('ada', recreated);
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(false);
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(recreated);

      // Rewrapped first by another process.
      await store.dataKeys.getOrCreate('bob', from);
      const first = { ...from, masterKeyId: 'master-2', wrapped: 'k1 wrapped by master-2' };
      expect(await store.dataKeys.rewrap('bob', from, first)).toBe(true);
      expect(await store.dataKeys.rewrap('bob', from, to)).toBe(false);
      expect((await store.dataKeys.get(['bob'])).get('bob')).toEqual(first);
    });
  });
}
