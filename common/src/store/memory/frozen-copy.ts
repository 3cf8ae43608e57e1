/**
 * A deep copy that nobody can change: the in-memory store keeps these and hands them out as they
 * are, so a caller can neither alter stored data nor pay for a copy on every read.
 */
export function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}
