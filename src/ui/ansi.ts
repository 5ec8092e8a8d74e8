/** SGR colours for the plain reporter; identity functions when colour is off. */
export interface Paint {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const sgr = (open: number, close: number) => (text: string): string => `\u001B[${open}m${text}\u001B[${close}m`;
const same = (text: string): string => text;

export function paint(enabled: boolean): Paint {
  if (!enabled) return { green: same, red: same, yellow: same, cyan: same, dim: same, bold: same };
  return {
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}
