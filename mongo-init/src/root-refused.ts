import { MisconfiguredError } from '@user-service/common/config';
import { isAuthenticationFailure } from '@user-service/common/store/mongo';

/**
 * What mongo-init says when MongoDB refuses root's password: the one case an operator meets on
 * upgrading a stack whose MongoDB volumes were made before it had users (or after root's
 * password file was regenerated without telling MongoDB). One line, naming the way out, instead
 * of a driver error; anything else is passed on as it is.
 */
export function explainRootRefused(error: unknown): unknown {
  if (!isAuthenticationFailure(error)) return error;
  return new MisconfiguredError(
    "MongoDB refused root's password (MONGO_ROOT_PASSWORD_FILE): its volumes were made by a release without users, " +
      'or the password file changed without MongoDB\'s user; nothing was changed. See docs/operations.md, "Upgrading"',
  );
}
