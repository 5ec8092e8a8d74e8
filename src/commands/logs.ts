// Being written (issue 3): replaced by the logs command.
import type { Options } from '../args.js';
import type { ReporterStreams } from '../ui/reporter.js';

export async function runLogs(_options: Options, streams: ReporterStreams, _signal: AbortSignal): Promise<number> {
  streams.stderr.write('error: logs is not available yet\n');
  return 1;
}
