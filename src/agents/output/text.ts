import { emptyReport, type OutputReader } from './report';

/** A CLI with no machine-readable output: its stdout is the transcript, and it reports nothing more. */
export function textReader(): OutputReader {
  const report = emptyReport();
  return {
    current: () => report,
    stdout: (chunk) => chunk,
    finish: () => ({ text: '', report }),
  };
}
