import { ConfigError } from './config';

/** A user name and password to log in to MongoDB with. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * A user and a password given by two variables: both, or neither (then undefined). One without
 * the other is refused at start, rather than becoming a login failure later.
 */
export function credentialPair(
  variables: { readonly user: string; readonly password: string },
  values: { readonly user: string | undefined; readonly password: string | undefined },
): Credentials | undefined {
  if (values.user === undefined && values.password === undefined) return undefined;
  if (values.user === undefined || values.password === undefined) {
    const [set, unset] =
      values.user === undefined
        ? [variables.password, variables.user]
        : [variables.user, variables.password];
    throw new ConfigError(
      `${set} is set but ${unset} is not: set both ${variables.user} and ${variables.password}, or neither`,
    );
  }
  return { username: values.user, password: values.password };
}
