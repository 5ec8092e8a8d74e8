import { Box, Static, useStdout } from 'ink';
import { useSyncExternalStore } from 'react';
import type { EventStore } from '../event-store.js';
import { PromptView } from './prompts/PromptView.js';
import { FinishedEntry, RunningStep } from './Steps.js';
import { EndLine, SummaryBox } from './Summary.js';
import { ColorContext } from './theme.js';

export interface AppProps {
  store: EventStore;
  /** false under NO_COLOR. */
  color?: boolean;
  /** Ctrl-C pressed while a prompt holds the keyboard. */
  onInterrupt?: () => void;
}

/**
 * The interactive front end: ended steps are printed once (<Static>), only what still moves —
 * running steps, the open question, the result — is redrawn. It renders the store; it runs nothing.
 */
export function App({ store, color = true, onInterrupt = () => {} }: AppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const prompt = state.prompts[0];
  // <Static> lays its items out without a width of their own; give them the terminal's so they wrap.
  const width = useStdout().stdout.columns || 80;
  return (
    <ColorContext.Provider value={color}>
      <Static items={state.finished}>{(entry) => (
          <Box key={entry.key} width={width}>
            <FinishedEntry entry={entry} />
          </Box>
        )}</Static>
      <Box flexDirection="column">
        {state.running.map((step) => (
          <RunningStep key={step.id} step={step} asking={prompt !== undefined} />
        ))}
        {prompt !== undefined && <PromptView key={prompt.id} prompt={prompt} store={store} onInterrupt={onInterrupt} />}
        {state.summary !== undefined && <SummaryBox summary={state.summary} />}
        {state.end !== undefined && (
          <EndLine end={state.end} finished={state.finished} {...(state.command === undefined ? {} : { command: state.command })} />
        )}
      </Box>
    </ColorContext.Provider>
  );
}
