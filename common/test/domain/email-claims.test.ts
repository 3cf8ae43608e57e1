import { emailClaimChange, normalizeEmail, validateCreateUser } from '@user-service/common/domain';
import { created, deleted, fieldsFor, updated } from '@user-service/test-support';

describe('normalizeEmail', () => {
  it('lowercases the whole address, local part included', () => {
    expect(normalizeEmail('Ada.Lovelace@Example.ORG')).toBe('ada.lovelace@example.org');
  });

  // Lowercasing is a sound identity only for ASCII (crypto review m8): a Kelvin sign lowercases to
  // k, and look-alike letters of other scripts would be told apart by it. The validator keeps them
  // out; allowing internationalised emails needs NFC/NFKC and IDNA here first.
  it.each(['\u212Aate@example.com', 'jürgen@example.com', 'аda@example.com', 'ada@exämple.com'])(
    'is never given a non-ASCII address: the validator refuses %s',
    (email) => {
      expect(validateCreateUser({ name: 'A', email, group: 1 }).ok).toBe(false);
    },
  );
});

describe('emailClaimChange', () => {
  it('a create holds its email, normalised', () => {
    expect(emailClaimChange([created({ ...fieldsFor(1), email: 'Ada@X.org' })])).toEqual({
      kind: 'hold',
      email: 'ada@x.org',
    });
  });

  it('an update of the email holds the new one; an update of other fields changes nothing', () => {
    expect(emailClaimChange([updated({ email: 'B@x.org' })])).toEqual({
      kind: 'hold',
      email: 'b@x.org',
    });
    expect(emailClaimChange([updated({ name: 'Ada', group: 3 })])).toBeUndefined();
  });

  it('a delete releases the email', () => {
    expect(emailClaimChange([deleted()])).toEqual({ kind: 'release' });
  });

  it('the last event that touches the email decides', () => {
    expect(emailClaimChange([created(fieldsFor(1)), deleted()])).toEqual({ kind: 'release' });
    expect(emailClaimChange([deleted(), created({ ...fieldsFor(2), email: 'c@x.org' })])).toEqual({
      kind: 'hold',
      email: 'c@x.org',
    });
  });
});
