import type { UserEventBody } from './events';

/**
 * One live user per email. Emails compare as the whole address lowercased (a mailbox's local
 * part may in theory be case-sensitive, but no provider a user service meets treats it so, and
 * two accounts differing only in case are a support ticket, not two people); they are stored as
 * given. Sound only because the validator admits ASCII addresses alone (its `email` format):
 * Unicode lowercasing maps look-alikes (the Kelvin sign) onto letters, and would need NFKC and
 * IDNA first.
 */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}

/**
 * What some events of one user do to the emails held, decided from the events alone so that the
 * store enforces the rule on whatever it appends:
 * - `hold`: afterwards the user holds this (normalised) email and no other;
 * - `release`: afterwards the user holds no email (it is deleted or erased);
 * - undefined: the events leave the user's email as it was.
 */
export type EmailClaimChange =
  { readonly kind: 'hold'; readonly email: string } | { readonly kind: 'release' };

export function emailClaimChange(events: readonly UserEventBody[]): EmailClaimChange | undefined {
  let change: EmailClaimChange | undefined;
  for (const event of events) {
    if (event.type === 'UserDeleted' || event.type === 'UserErased') change = { kind: 'release' };
    else if (typeof event.data.email === 'string')
      change = { kind: 'hold', email: normalizeEmail(event.data.email) };
  }
  return change;
}
