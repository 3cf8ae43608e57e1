import {
  MasterKeyError,
  newDataKey,
  newMasterKeyText,
  parseMasterKeys,
  rewrapDataKey,
  unwrapDataKey,
} from '@user-service/common/personal-data';

const [oldText, newText] = [newMasterKeyText(), newMasterKeyText()];
const oldRing = parseMasterKeys(oldText, 'old');
const newRing = parseMasterKeys(newText, 'new');
const rotatingRing = parseMasterKeys(`${newText},${oldText}`, 'new and old');

describe('data key wrapping', () => {
  it('unwraps what it wrapped: the same 32 bytes, under the current master key, never shown in the wrapped text', () => {
    const { key, wrapped } = newDataKey(oldRing, 'ada');

    expect(unwrapDataKey(oldRing, 'ada', wrapped).equals(key)).toBe(true);
    expect(key).toHaveLength(32);
    expect(wrapped.masterKeyId).toBe(oldRing.current.id);
    for (const encoding of ['base64', 'base64url', 'hex'] as const)
      expect(wrapped.wrapped).not.toContain(key.toString(encoding));
  });

  it('gives every owner a different key and key id', () => {
    const [ada, bob] = [newDataKey(oldRing, 'ada'), newDataKey(oldRing, 'bob')];

    expect(ada.key.equals(bob.key)).toBe(false);
    expect(ada.wrapped.keyId).not.toBe(bob.wrapped.keyId);
  });

  it('a ring without the master key that wrapped the key throws MasterKeyError naming that master key', () => {
    const { wrapped } = newDataKey(oldRing, 'ada');

    expect(() => unwrapDataKey(newRing, 'ada', wrapped)).toThrow(MasterKeyError);
    expect(() => unwrapDataKey(newRing, 'ada', wrapped)).toThrow(oldRing.current.id);
  });

  it('a wrapped key moved to another owner, or given another key id, does not unwrap', () => {
    const { wrapped } = newDataKey(oldRing, 'ada');

    expect(() => unwrapDataKey(oldRing, 'bob', wrapped)).toThrow(MasterKeyError);
    expect(() => unwrapDataKey(oldRing, 'bob', wrapped)).toThrow(
      `the data key of bob does not open with master key ${oldRing.current.id}`,
    );
    expect(() => unwrapDataKey(oldRing, 'ada', { ...wrapped, keyId: 'another' })).toThrow(
      MasterKeyError,
    );
  });

  it('rewrap keeps the key and its id, and moves it under the new master key, which alone then unwraps it', () => {
    const { key, wrapped } = newDataKey(oldRing, 'ada');

    const rewrapped = rewrapDataKey(rotatingRing, 'ada', wrapped);

    expect(rewrapped.keyId).toBe(wrapped.keyId);
    expect(rewrapped.masterKeyId).toBe(newRing.current.id);
    expect(rewrapped.masterKeyId).not.toBe(wrapped.masterKeyId);
    expect(unwrapDataKey(newRing, 'ada', rewrapped).equals(key)).toBe(true);
    expect(() => unwrapDataKey(oldRing, 'ada', rewrapped)).toThrow(MasterKeyError);
  });

  it('refuses a wrapped key that is not exactly an IV, a whole tag and 32 bytes, or not canonically encoded', () => {
    const { wrapped } = newDataKey(oldRing, 'ada');
    const bytes = Buffer.from(wrapped.wrapped, 'base64url');
    const variants = [
      `${wrapped.wrapped}==`,
      `${wrapped.wrapped.slice(0, 8)}!!!${wrapped.wrapped.slice(8)}`,
      bytes.subarray(0, 44).toString('base64url'),
      Buffer.concat([bytes, Buffer.alloc(1)]).toString('base64url'),
    ];
    for (const variant of variants)
      expect(() => unwrapDataKey(oldRing, 'ada', { ...wrapped, wrapped: variant })).toThrow(
        MasterKeyError,
      );
    expect(unwrapDataKey(oldRing, 'ada', wrapped)).toHaveLength(32);
  });
});
