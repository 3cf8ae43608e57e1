import { compareIds } from '@user-service/common/domain';

describe('the order of user ids', () => {
  it('goes by code units, not locale: capitals before small letters, "-" before "_", digits one by one', () => {
    const ids = ['user_c', 'user-a', 'user-9', 'User-b', 'user-10'];
    expect([...ids].sort(compareIds)).toEqual(['User-b', 'user-10', 'user-9', 'user-a', 'user_c']);
  });

  it('puts an id after its own prefix, and answers 0 only for the same id', () => {
    expect(compareIds('ada', 'adam')).toBeLessThan(0);
    expect(compareIds('adam', 'ada')).toBeGreaterThan(0);
    expect(compareIds('ada', 'ada')).toBe(0);
  });
});
