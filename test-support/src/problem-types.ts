/**
 * The gateway sends problem `type`s as absolute URIs under its public base URL
 * (`http://localhost:8080/problems/user-not-found`); the aggregators, to the gateway only, the
 * catalog's path alone. Tests name a type by that path and accept either.
 */
const ORIGIN_AND_BASE = /^https?:\/\/[^/?#]+(?:\/[^?#]*?)??(?=\/problems\/)/;

/** The catalog path of a problem `type` (`/problems/user-not-found`); anything else as it is. */
export function problemPathOf(type: unknown): unknown {
  return typeof type === 'string' ? type.replace(ORIGIN_AND_BASE, '') : type;
}

/** The `type` of a problem body, as its catalog path. */
export function problemTypeOf(body: unknown): unknown {
  return problemPathOf(
    typeof body === 'object' && body !== null && 'type' in body ? body.type : undefined,
  );
}

/** Matches a problem `type` whose catalog path is `path`, absolute or not. */
export function problemTypeMatching(path: string): unknown {
  return {
    asymmetricMatch: (actual: unknown) => problemPathOf(actual) === path,
    toString: () => `ProblemType<${path}>`,
    toAsymmetricMatcher: () => `ProblemType<${path}>`,
  };
}
