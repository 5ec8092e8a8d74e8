/**
 * How long the UDP probe waits for an ICMP "port unreachable" before it calls the port silent.
 *
 * Why a bound this short is enough: the rejection is made by the peer's kernel in the same softirq
 * that receives the datagram (no process on the peer is scheduled for it) and comes back on the same
 * path as the TCP handshake whose round trip was just measured (SYN-ACK is the kernel's too). So it
 * arrives within about one round trip; ten cover a busy link's jitter. The minimum covers what the
 * measured sample can miss on a fast link: the peer's softirq deferred to ksoftirqd under load (a few
 * scheduler ticks) and timer granularity. This host being busy does not need room in the bound: the
 * kernel queues the ICMP error on the connected socket whenever it arrives, and the probe decides
 * "silent" only after the event loop has read that socket (adapters/probes.ts), so a late timer only
 * lengthens the wait. Nor would a longer wait beat ICMP rate limiting (Linux allows a burst of six
 * rejections per peer, then one a second): a suppressed rejection stays suppressed for any bound
 * under a second. Above, the old fixed second. Silence is the benign outcome ("not rejected",
 * confirmed once the overlay is up), so a rejection later than the bound costs a diagnosis, not safety:
 * join then fails at the overlay check, and undoes what it did.
 */
export const UDP_WAIT_MIN_MS = 25;
export const UDP_WAIT_MAX_MS = 1_000;
/** Round trips the wait allows; see above. */
export const UDP_WAIT_RTTS = 10;

export function udpRejectionWaitMs(rttMs: number | undefined): number {
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return UDP_WAIT_MAX_MS;
  return Math.min(UDP_WAIT_MAX_MS, Math.max(UDP_WAIT_MIN_MS, Math.ceil(rttMs * UDP_WAIT_RTTS)));
}
