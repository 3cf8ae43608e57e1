import { readFileSync } from 'node:fs';
import { errorText } from '../observability/error-fields';
import { MisconfiguredError } from './misconfigured-error';

/**
 * Configuration comes from environment variables and is checked once, at start, so that a bad
 * value stops the process with one message naming the variable instead of failing later.
 *
 * Any variable X may instead come from a file named by X_FILE (the Docker secrets convention),
 * so that a secret need not sit in the environment, where `docker inspect` shows it.
 */
export class ConfigError extends MisconfiguredError {
  override name = 'ConfigError';
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads one variable; `raw` is undefined when the variable is not set. An error message shows
 * `raw` only through `quote`: a value read from a file may be a secret, and is then not repeated.
 */
export type VariableParser<T> = (
  raw: string | undefined,
  variable: string,
  quote: (raw: string) => string,
) => T;

type ParsedConfig<Spec> = {
  readonly [K in keyof Spec]: Spec[K] extends VariableParser<infer T> ? T : never;
};

const quoteValue = (raw: string) => `"${raw}"`;

export function readConfig<Spec extends Record<string, VariableParser<unknown>>>(
  env: Environment,
  spec: Spec,
): ParsedConfig<Spec> {
  const config: Record<string, unknown> = {};
  for (const [variable, parse] of Object.entries(spec)) {
    const fileVariable = `${variable}_FILE`;
    const file = env[fileVariable] || undefined;
    if (file === undefined) {
      config[variable] = parse(env[variable] || undefined, variable, quoteValue);
      continue;
    }
    if (env[variable])
      throw new ConfigError(`${variable} and ${fileVariable} are both set: set only one of them`);
    const raw = readVariableFile(fileVariable, file);
    try {
      config[variable] = parse(raw, variable, () => `the contents of ${fileVariable} (not shown)`);
    } catch (error) {
      if (raw === undefined && error instanceof ConfigError) {
        throw new ConfigError(`${error.message} (${fileVariable} names an empty file: ${file})`);
      }
      throw error;
    }
  }
  return config as ParsedConfig<Spec>;
}

/** The value a file holds, without the newline(s) editors and `echo` add; undefined when empty. */
function readVariableFile(fileVariable: string, path: string): string | undefined {
  let contents: string;
  try {
    contents = readFileSync(path, 'utf8');
  } catch (error) {
    // Node's message names the reason and the path (ENOENT, EACCES, EISDIR), never the contents.
    throw new ConfigError(`${fileVariable} cannot be read: ${errorText(error)}`, { cause: error });
  }
  return contents.replace(/(?:\r?\n)+$/, '') || undefined;
}

export function integer(options: {
  default?: number;
  min?: number;
  max?: number;
}): VariableParser<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  return (raw, variable, quote) => {
    if (raw === undefined) return required(options.default, variable);
    const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `${variable} must be an integer from ${min} to ${max}, got ${quote(raw)}`,
      );
    }
    return value;
  };
}

/** An integer from `min` to `max`, or undefined when the variable is not set. */
export function optionalInteger(options: {
  min?: number;
  max?: number;
}): VariableParser<number | undefined> {
  const parse = integer(options);
  return (raw, variable, quote) => (raw === undefined ? undefined : parse(raw, variable, quote));
}

export function text(options: { default?: string } = {}): VariableParser<string> {
  return (raw, variable) => raw ?? required(options.default, variable);
}

export function optionalText(): VariableParser<string | undefined> {
  return (raw) => raw;
}

export function oneOf<T extends string>(values: readonly T[], fallback?: T): VariableParser<T> {
  return (raw, variable, quote) => {
    if (raw === undefined) return required(fallback, variable);
    const value = values.find((candidate) => candidate === raw.trim());
    if (value === undefined) {
      throw new ConfigError(`${variable} must be one of ${values.join(', ')}, got ${quote(raw)}`);
    }
    return value;
  };
}

function required<T>(fallback: T | undefined, variable: string): T {
  if (fallback === undefined) throw new ConfigError(`${variable} is required but not set`);
  return fallback;
}
