import {
  ErasuresInFlight,
  type OpenedPage,
  type PersonalData,
} from '@user-service/common/personal-data';
import type { User } from '@user-service/common/domain';

/** Users held opened at most; the least recently answered go first. */
const DEFAULT_SIZE = 100_000;

/**
 * The users this aggregator last answered, opened, next to the sealed state they were opened
 * from: a read of a user unchanged since opens nothing. A change gives the projection a new
 * state object, so the entry no longer matches it; an erasure drops the entry at once.
 */
export class OpenedUsers {
  private readonly entries = new Map<string, { readonly sealed: User; readonly opened: User }>();
  /** An erasure applied while users were being opened: their opened data is neither kept nor answered. */
  private readonly erasures = new ErasuresInFlight();

  constructor(
    private readonly personalData: PersonalData,
    private readonly size = DEFAULT_SIZE,
  ) {}

  /**
   * The users opened, in order; null for each whose personal data is erased. Throws if one
   * cannot be opened here: for answers about those very users.
   */
  async open(users: readonly User[]): Promise<Array<User | null>> {
    const page = await this.openPage(users);
    const [failure] = page.unopenable.values();
    if (failure) throw failure;
    return [...page.users];
  }

  /** The users opened, in order, as PersonalData.openPage answers: one that cannot be opened is named, not fatal. */
  async openPage(users: readonly User[]): Promise<OpenedPage> {
    const found = new Map<User, User | null>();
    const missing: User[] = [];
    for (const user of users) {
      const entry = this.entries.get(user.id);
      if (entry?.sealed === user) {
        this.entries.delete(user.id);
        this.entries.set(user.id, entry);
        found.set(user, entry.opened);
      } else missing.push(user);
    }
    let unopenable: OpenedPage['unopenable'] = new Map();
    if (missing.length > 0) {
      const { value: opened, erased } = await this.erasures.during(() =>
        this.personalData.openPage(missing),
      );
      unopenable = opened.unopenable;
      for (const [index, sealed] of missing.entries()) {
        const user = erased.has(sealed.id) ? null : (opened.users[index] ?? null);
        found.set(sealed, user);
        if (user) this.remember(sealed, user);
      }
    }
    return { users: users.map((user) => found.get(user) ?? null), unopenable };
  }

  forget(userId: string): void {
    this.erasures.forget(userId);
    this.entries.delete(userId);
  }

  private remember(sealed: User, opened: User): void {
    this.entries.delete(sealed.id);
    this.entries.set(sealed.id, { sealed, opened });
    if (this.entries.size > this.size) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
