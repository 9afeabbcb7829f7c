/**
 * The member set of one audience in a fake destination: a member is known by several keys (an email
 * hash, a phone hash, a full address); adding a member replaces any member sharing a key with it,
 * removing deletes every member sharing a key. Used by the Google and Meta contract servers.
 */
export class AudienceMembership {
  private readonly members = new Map<number, string[]>();
  private readonly byKey = new Map<string, number>();
  private seq = 0;
  adds = 0;
  removes = 0;

  get size(): number {
    return this.members.size;
  }

  private drop(keys: readonly string[]): number {
    let dropped = 0;
    for (const k of keys) {
      const id = this.byKey.get(k);
      if (id === undefined) continue;
      for (const other of this.members.get(id) ?? []) this.byKey.delete(other);
      this.members.delete(id);
      dropped++;
    }
    return dropped;
  }

  add(keys: readonly string[]): void {
    if (keys.length === 0) return;
    this.drop(keys);
    const id = ++this.seq;
    this.members.set(id, [...keys]);
    for (const k of keys) this.byKey.set(k, id);
    this.adds++;
  }

  remove(keys: readonly string[]): void {
    this.removes += this.drop(keys);
  }

  /** Forget up to `count` members outright (a list changed behind the client's back, for tests). */
  discard(count: number): number {
    let gone = 0;
    for (const [id, keys] of this.members) {
      if (gone >= count) break;
      for (const k of keys) this.byKey.delete(k);
      this.members.delete(id);
      gone++;
    }
    return gone;
  }

  /** Whether one member is known by exactly these keys already (adding it again changes nothing). */
  holds(keys: readonly string[]): boolean {
    const id = this.byKey.get(keys[0] ?? '');
    if (id === undefined) return false;
    const known = this.members.get(id) ?? [];
    return known.length === keys.length && keys.every((k) => this.byKey.get(k) === id);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }
}

export class Audiences {
  private readonly all = new Map<string, AudienceMembership>();
  get(id: string): AudienceMembership {
    let a = this.all.get(id);
    if (!a) this.all.set(id, (a = new AudienceMembership()));
    return a;
  }
  has(id: string): boolean {
    return this.all.has(id);
  }
  ids(): string[] {
    return [...this.all.keys()];
  }
}
