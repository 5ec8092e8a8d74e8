/**
 * How long the UDP probe waits for an ICMP "port unreachable". When it comes at all it comes within
 * one round trip, so ten measured round trips leave room for a busy peer; bounded below so a
 * loopback-fast RTT still allows for scheduling, above by the old fixed second. Silence is the benign
 * outcome ("not rejected", confirmed once the overlay is up), so a late ICMP costs nothing unsafe.
 */
export const UDP_WAIT_MIN_MS = 100;
export const UDP_WAIT_MAX_MS = 1_000;

export function udpRejectionWaitMs(rttMs: number | undefined): number {
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return UDP_WAIT_MAX_MS;
  return Math.min(UDP_WAIT_MAX_MS, Math.max(UDP_WAIT_MIN_MS, Math.ceil(rttMs * 10)));
}
