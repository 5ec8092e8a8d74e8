/**
 * The one way a duration is written for the operator, whether a limit ("within 6s") or how long
 * something took ("Start etcd (1.2s)"), so one message never mixes "60s" and "60 s".
 */

/** <1ms, 250ms, 1.5s, 6s, 1m 00s, 2m 05s. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  // A loopback round trip takes a fraction of a millisecond: "0ms" would read as not measured.
  if (rounded === 0 && ms > 0) return '<1ms';
  if (rounded < 1000) return `${rounded}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** The one way a point in time is written for the operator: `2026-12-02 04:53 UTC`. */
export function formatUtcMinute(at: Date | number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
