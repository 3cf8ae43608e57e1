/**
 * Configuration comes from environment variables and is checked once, at start, so that a bad
 * value stops the process with one message naming the variable instead of failing later.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads one variable; `raw` is undefined or empty when the variable is not set. */
export type VariableParser<T> = (raw: string | undefined, variable: string) => T;

type ParsedConfig<Spec> = { readonly [K in keyof Spec]: Spec[K] extends VariableParser<infer T> ? T : never };

export function readConfig<Spec extends Record<string, VariableParser<unknown>>>(
  env: Environment,
  spec: Spec,
): ParsedConfig<Spec> {
  const config: Record<string, unknown> = {};
  for (const [variable, parse] of Object.entries(spec)) {
    const raw = env[variable];
    config[variable] = parse(raw === '' ? undefined : raw, variable);
  }
  return config as ParsedConfig<Spec>;
}

export function integer(options: { default?: number; min?: number; max?: number }): VariableParser<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  return (raw, variable) => {
    if (raw === undefined) return required(options.default, variable);
    const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(`${variable} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
}

export function text(options: { default?: string } = {}): VariableParser<string> {
  return (raw, variable) => raw ?? required(options.default, variable);
}

export function optionalText(): VariableParser<string | undefined> {
  return (raw) => raw;
}

export function oneOf<T extends string>(values: readonly T[], fallback?: T): VariableParser<T> {
  return (raw, variable) => {
    if (raw === undefined) return required(fallback, variable);
    const value = values.find((candidate) => candidate === raw.trim());
    if (value === undefined) {
      throw new ConfigError(`${variable} must be one of ${values.join(', ')}, got "${raw}"`);
    }
    return value;
  };
}

function required<T>(fallback: T | undefined, variable: string): T {
  if (fallback === undefined) throw new ConfigError(`${variable} is required but not set`);
  return fallback;
}
