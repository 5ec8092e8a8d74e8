/** The little the reporters need of an output stream; process.stdout and test fakes both fit. */
export interface TextOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}
