/**
 * Waits for every one of them (none left running behind an undo) and then throws the first error,
 * if any; Promise.all would return at the first failure while the others still change etcd.
 */
export async function settled<T extends readonly unknown[]>(work: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // Fulfilled, each in its place: the tuple T.
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
