import { compareIds } from '../domain';

/**
 * A set of ids kept in the API's order (`compareIds`: UTF-16 code units, as `<` compares), cheap to grow in any order:
 * new ids wait in a batch and are merged in, sorted, when the order is next needed. So a replay
 * of a million creates costs a sort, not a million inserts into the middle of an array.
 */
export class SortedIds {
  private sorted: string[] = [];
  private added: string[] = [];

  get size(): number {
    return this.sorted.length + this.added.length;
  }

  /** The caller adds only ids that are not in the set. */
  add(id: string): void {
    this.added.push(id);
  }

  delete(id: string): void {
    this.merge();
    const at = firstAbove(this.sorted, id) - 1;
    if (this.sorted[at] === id) this.sorted.splice(at, 1);
  }

  /** Up to `limit` ids greater than `after` (all of them without it), in order. */
  page(after: string | undefined, limit: number): string[] {
    this.merge();
    const start = after === undefined ? 0 : firstAbove(this.sorted, after);
    return this.sorted.slice(start, start + limit);
  }

  private merge(): void {
    if (this.added.length === 0) return;
    const added = this.added.sort(compareIds);
    const merged: string[] = new Array<string>(this.sorted.length + added.length);
    let i = 0;
    let j = 0;
    for (let k = 0; k < merged.length; k++) {
      const next = this.sorted[i];
      const other = added[j];
      if (other === undefined || (next !== undefined && next < other)) {
        merged[k] = next as string;
        i++;
      } else {
        merged[k] = other;
        j++;
      }
    }
    this.sorted = merged;
    this.added = [];
  }
}

/** The index of the first id greater than `id`. */
function firstAbove(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] as string) <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
