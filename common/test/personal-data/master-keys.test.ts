import {
  ephemeralMasterKeys,
  KEY_BYTES,
  MasterKeyError,
  newMasterKeyText,
  parseMasterKeys,
} from '@user-service/common/personal-data';
import { randomBytes } from 'node:crypto';

const keyText = (bytes = KEY_BYTES) => randomBytes(bytes).toString('base64');

/** The error `parse` throws, which must be a MasterKeyError. */
function failureOf(parse: () => unknown): MasterKeyError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(MasterKeyError);
    return error as MasterKeyError;
  }
  throw new Error('expected the keys to be refused');
}

describe('parseMasterKeys', () => {
  it('reads one key: it is the current one, and the only one by id', () => {
    const text = keyText();

    const ring = parseMasterKeys(text, 'DATA_KEY');

    expect(ring.current.key.equals(Buffer.from(text, 'base64'))).toBe(true);
    expect([...ring.byId.keys()]).toEqual([ring.current.id]);
    expect(ring.byId.get(ring.current.id)).toBe(ring.current);
  });

  it('reads a list separated by commas, spaces and newlines: the first is current, every one is held by its id', () => {
    const [first, second, third] = [keyText(), keyText(), keyText()];

    const ring = parseMasterKeys(`${first}, ${second}\n${third}\n`, 'DATA_KEY');

    expect(ring.current.key.equals(Buffer.from(first, 'base64'))).toBe(true);
    expect(ring.byId.size).toBe(3);
    const held = [...ring.byId.values()].map((master) => master.key.toString('base64'));
    expect(held.sort()).toEqual([first, second, third].sort());
    for (const [id, master] of ring.byId) expect(master.id).toBe(id);
  });

  it('gives each key its own id, the same in every process, and no id reveals its key', () => {
    const texts = [keyText(), keyText(), keyText()];

    const ring = parseMasterKeys(texts.join(','), 'DATA_KEY');
    const again = parseMasterKeys(texts[0]!, 'DATA_KEY');

    expect(new Set(ring.byId.keys()).size).toBe(3);
    expect(again.current.id).toBe(ring.current.id);
    for (const master of ring.byId.values()) {
      const text = master.key.toString('base64');
      expect(text).not.toContain(master.id);
      expect(master.key.toString('hex')).not.toContain(master.id);
      expect(master.key.toString('base64url')).not.toContain(master.id);
    }
  });

  it('refuses a key of the wrong length, naming the source and the key number but not the key', () => {
    const short = keyText(KEY_BYTES - 1);
    const long = keyText(KEY_BYTES + 1);

    const shortFailure = failureOf(() =>
      parseMasterKeys(short, 'DATA_KEY_FILE (/run/secrets/data-key)'),
    );
    const longFailure = failureOf(() => parseMasterKeys(`${keyText()},${long}`, 'DATA_KEY'));

    expect(shortFailure.message).toContain('DATA_KEY_FILE (/run/secrets/data-key)');
    expect(shortFailure.message).toContain('key 1');
    expect(shortFailure.message).not.toContain(short);
    expect(longFailure.message).toMatch(/^DATA_KEY: key 2 /);
    expect(longFailure.message).not.toContain(long);
  });

  it('refuses text that is not base64, without repeating it', () => {
    const valid = keyText();
    const cases = [
      `${valid.slice(0, 10)}!${valid.slice(11)}`,
      // 32 bytes, but base64url and unpadded base64 are not what DATA_KEY takes.
      Buffer.alloc(KEY_BYTES, 0xfb).toString('base64url'),
      valid.replace(/=+$/, ''),
    ];

    for (const text of cases) {
      const failure = failureOf(() => parseMasterKeys(text, 'DATA_KEY'));
      expect(failure.message).toContain('DATA_KEY: key 1');
      expect(failure.message).not.toContain(text);
    }
  });

  it('refuses text holding no key', () => {
    expect(failureOf(() => parseMasterKeys(' ,\n ', 'DATA_KEY')).message).toBe(
      'DATA_KEY holds no key',
    );
  });
});

describe('new master keys', () => {
  it('newMasterKeyText makes a key parseMasterKeys takes, different each time', () => {
    const [first, second] = [newMasterKeyText(), newMasterKeyText()];

    expect(parseMasterKeys(first, 'new').current.key).toHaveLength(KEY_BYTES);
    expect(first).not.toBe(second);
  });

  it('ephemeralMasterKeys makes a ring of one new key', () => {
    const [first, second] = [ephemeralMasterKeys(), ephemeralMasterKeys()];

    expect(first.byId.size).toBe(1);
    expect(first.current.id).not.toBe(second.current.id);
  });
});
