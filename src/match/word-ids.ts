// Process-wide integer ids for normalised words, word prefixes and stems (per Snowball language), so that
// the rule index looks an article's words up in typed arrays instead of large string maps. An
// article gets its ids while it is prepared, mostly from the per-word cache, so they cost almost
// nothing. The ids are bounded: past MAX_WORDS they are dropped and the generation moves on, and
// whoever holds ids of an older generation asks for them again.

const MAX_WORDS = 500_000;

class WordIds {
  private readonly ids = new Map<string, number>();
  /** Changes whenever earlier ids stop being valid. */
  generation = 0;

  /** The id of a normalised word. */
  norm(word: string): number {
    return this.id(word);
  }

  /** The id of a stem in a Snowball language (its own id space: "english" stems ≠ words). */
  stem(language: string, stem: string): number {
    return this.id(`${language}\u0000${stem}`);
  }

  /** The id of a word prefix (its own id space). */
  prefix(prefix: string): number {
    return this.id(`\u0001${prefix}`);
  }

  /** Ids handed out so far (ids are 0 … size - 1). */
  get size(): number {
    return this.ids.size;
  }

  /**
   * Drops every id when there are too many. Called only before an article is prepared, never
   * while ids are being compared, so no comparison mixes generations.
   */
  trim(max = MAX_WORDS): void {
    if (this.ids.size <= max) return;
    this.ids.clear();
    this.generation++;
  }

  private id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    return id;
  }
}

export const wordIds = new WordIds();
