import { createContext, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { TextProps } from 'ink';

/** false under NO_COLOR (or without colour support): components then set no colour at all. */
export const ColorContext = createContext(true);

export type ToneColor = 'green' | 'red' | 'yellow' | 'cyan' | 'gray';

interface ToneProps {
  color?: ToneColor;
  dim?: boolean;
  bold?: boolean;
  wrap?: TextProps['wrap'];
  children?: ReactNode;
}

/** Text whose colour, dimming and bold all switch off when colour is off: NO_COLOR means no SGR code at all. */
export function Tone({ color, dim = false, bold = false, wrap, children }: ToneProps) {
  const on = useContext(ColorContext);
  return (
    <Text color={on ? color : undefined} dimColor={on && dim} bold={on && bold} wrap={wrap}>
      {children}
    </Text>
  );
}

/** A symbol column and a text that wraps beside it, so continuation lines stay indented. */
export function Line({ symbol, indent = 0, children }: { symbol: ReactNode; indent?: number; children?: ReactNode }) {
  return (
    <Box marginLeft={indent}>
      <Box width={2} flexShrink={0}>
        {symbol}
      </Box>
      <Box flexGrow={1} flexShrink={1}>
        <Text>{children}</Text>
      </Box>
    </Box>
  );
}

/** Re-renders every intervalMs and returns the current time. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
