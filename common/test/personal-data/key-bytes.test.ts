import { isWiped, newKeyBytes, ownKeyBytes, wipe } from '../../src/personal-data/key-bytes';

describe('key bytes', () => {
  it('are drawn fresh into memory of their own, never a slice of a shared slab', () => {
    const [one, two] = [newKeyBytes(32), newKeyBytes(32)];
    expect(one.equals(two)).toBe(false);
    expect([one.byteOffset, one.buffer.byteLength]).toEqual([0, 32]);
  });

  it('are copied whole into memory of their own, and the parts copied from wiped', () => {
    const parts = [Buffer.from([1, 2, 3]), Buffer.from([4])];
    const own = ownKeyBytes(...parts);
    expect([...own]).toEqual([1, 2, 3, 4]);
    expect([own.byteOffset, own.buffer.byteLength]).toEqual([0, 4]);
    expect(parts.map((part) => [...part])).toEqual([[0, 0, 0], [0]]);
  });

  it('are zeros once wiped, and a random key is not', () => {
    const key = newKeyBytes(32);
    expect(isWiped(key)).toBe(false);
    wipe(key);
    expect([isWiped(key), key.equals(Buffer.alloc(32))]).toEqual([true, true]);
  });
});
