import { readFileSync } from 'node:fs';

/** The state letter of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line (R, S, D, T, Z, X …): after the comm's last ")". */
export function procState(stat: string): string {
  const end = stat.lastIndexOf(')');
  return stat.slice(end + 2, end + 3);
}

/** True while the process exists and is not a zombie (`process.kill(pid, 0)` succeeds on zombies). */
export function isAlive(pid: number): boolean {
  try {
    const state = procState(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
