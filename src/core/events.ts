import type { ErrorView } from './errors.js';

/** Outcome of one named preflight check, kubeadm style: `[ERROR Port-2379]: …`. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

/**
 * One change a dry run would have made (adapters/dry-run records them instead of making them): what
 * kind of thing, one line saying what (`start container ignite-etcd`), and details such as an image and
 * flags. Never a secret: file contents, passwords and tokens are left out where it is recorded.
 */
export interface DryRunChange {
  kind: 'container' | 'image' | 'volume' | 'file' | 'etcd' | 'network' | 'ipam' | 'state' | 'wait';
  what: string;
  details?: string[];
}

export interface SummaryLine {
  label: string;
  value: string;
}

/** Per-layer pull progress, as the Docker Engine reports it. */
export interface PullProgress {
  image: string;
  layers: Record<string, { status: string; current?: number; total?: number }>;
}

/**
 * The typed event stream a command emits. The ink UI, the plain-line reporter and the JSON-lines
 * reporter all render exactly these; nothing else flows from logic to UI.
 */
export type RunEventBody =
  /** dryRun: the adapters that change things are recording ones; nothing is changed. */
  | { type: 'command-start'; command: string; dryRun?: true }
  | { type: 'step-start'; id: string; title: string }
  | { type: 'step-progress'; id: string; message: string; pull?: PullProgress }
  | { type: 'step-success'; id: string; title: string; durationMs: number; detail?: string }
  | { type: 'step-skip'; id: string; title: string; reason: string }
  | { type: 'step-fail'; id: string; title: string; durationMs: number; error: ErrorView }
  | { type: 'check'; stepId: string; check: CheckResult }
  | { type: 'warning'; stepId?: string; message: string; hint?: string }
  /** A dry run's recorded change, under the step that would have made it (stepId). */
  | { type: 'would-change'; stepId?: string; change: DryRunChange }
  | { type: 'undo'; id: string; title: string; ok: boolean; message?: string }
  | { type: 'summary'; title: string; lines: SummaryLine[]; next: string[] }
  | {
      type: 'command-end';
      ok: boolean;
      /** A dry run: how many changes it recorded (none was made). */
      dryRun?: { changes: number };
      exitCode: number;
      durationMs: number;
      error?: ErrorView;
      /** What the command leaves on the host after a failure or interrupt. */
      leftInPlace: string[];
    };

export type RunEvent = RunEventBody & { timestamp: string };

export type Emit = (event: RunEventBody) => void;
