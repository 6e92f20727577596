/**
 * The last result of a slow load, reloaded in the background: the MLOps Projects view's items, which take a
 * `jupyter mlops status` run per project.
 *
 * Why: VS Code forgets every item of a tree as soon as the tree says it changed, then asks for the new ones.
 * A context-menu action chosen before they arrive gets no item, and its command no longer knows which project
 * or branch it was for. So the view loads first and announces the change only when the new items are ready;
 * VS Code then gets them from memory at once. One load runs at a time; reloads asked for meanwhile (a burst of
 * git changes) become one more load after it.
 */
export class Snapshot<T> {
  private value: { current: T } | undefined;
  private loading: Promise<T> | undefined;
  private again = false;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly onChange: (value: T) => void,
  ) {}

  /** The last value; the first call waits for the first load (and fails if it fails). */
  get(): Promise<T> {
    if (this.value) return Promise.resolve(this.value.current);
    return this.loading ?? this.start(false);
  }

  /** Load again in the background; `onChange` gets the new value. A failed load keeps the last value. */
  reload(): void {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.start(true).catch(() => undefined);
  }

  private start(announce: boolean): Promise<T> {
    const run = Promise.resolve()
      .then(() => this.load())
      .then((value) => {
        this.value = { current: value };
        if (announce) this.onChange(value);
        return value;
      })
      .finally(() => {
        this.loading = undefined;
        if (this.again) {
          this.again = false;
          this.reload();
        }
      });
    this.loading = run;
    return run;
  }
}
