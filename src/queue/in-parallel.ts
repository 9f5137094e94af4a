// Many Redis round trips at once, but a bounded number: enough to keep the connection's pipeline
// full (each awaited alone costs a round trip), few enough not to flood Redis or memory.

/** Runs fn over the items with at most `limit` calls in flight; rejects with the first error. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}
