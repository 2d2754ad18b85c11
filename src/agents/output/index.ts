import type { AgentOutputFormat } from '../../shared/contracts/task';
import { aiderReader } from './aider';
import { claudeStreamReader } from './claude';
import { codexJsonReader } from './codex';
import type { OutputReader } from './report';
import { textReader } from './text';

export type { AgentReport, OutputReader } from './report';

export function outputReader(format: AgentOutputFormat | undefined): OutputReader {
  switch (format) {
    case 'claude-stream-json':
    case 'cursor-stream-json':
      return claudeStreamReader();
    case 'codex-json':
      return codexJsonReader();
    case 'aider':
      return aiderReader();
    default:
      return textReader();
  }
}
