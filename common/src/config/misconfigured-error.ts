/**
 * The process can never work as configured: a bad variable, or a store that cannot serve as
 * configured. Retrying cannot help, so the process should stop and say why. Whichever part finds
 * it throws a subclass (ConfigError, StoreMisconfiguredError); `exitOnMisconfiguration` needs to
 * know only this one, so that config does not depend on the store.
 */
export class MisconfiguredError extends Error {
  override name = 'MisconfiguredError';
}
