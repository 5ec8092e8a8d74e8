/**
 * Waits until the frame `read` returns satisfies `predicate`, polling at each turn of the event loop
 * (ink renders in effects and timers), and returns it. Throws with the last frame seen when it does
 * not come within timeoutMs, so a screen that never shows what the test expects fails the test
 * instead of being asserted on half drawn.
 */
export async function waitForFrame(
  read: () => string | undefined,
  predicate: (frame: string) => boolean,
  timeoutMs = 5_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = read() ?? '';
    if (predicate(frame)) return frame;
    if (Date.now() >= deadline) throw new Error(`the expected frame did not appear within ${timeoutMs} ms; the last one was:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
