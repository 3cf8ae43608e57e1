import { type Credentials } from '@user-service/common/config';
import { isAuthenticationFailure } from '@user-service/common/store/mongo';
import type { Document } from 'mongodb';
import { MAJORITY } from './service-user';

/** Runs one command against `admin`, logged in with `password` as root. */
export type RootCommand = (password: string, command: Document) => Promise<Document>;

/**
 * Changes root's password in MongoDB from `current` to `next`. Crash-safe by being repeatable: a
 * run that changed it and died before its caller replaced the password file finds MongoDB already
 * taking `next`, and says so. Only MongoDB's refusal of `current` is read that way.
 */
export async function changeRootPassword(
  command: RootCommand,
  root: Credentials,
  next: string,
): Promise<'changed' | 'already'> {
  try {
    await command(root.password, {
      updateUser: root.username,
      pwd: next,
      writeConcern: MAJORITY,
    });
    return 'changed';
  } catch (error) {
    if (!isAuthenticationFailure(error)) throw error;
  }
  await command(next, { ping: 1 });
  return 'already';
}
