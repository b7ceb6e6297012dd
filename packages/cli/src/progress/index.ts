import { JsonProgress } from './json.js';
import { PlainProgress } from './plain.js';
import { TtyProgress } from './tty.js';
import type { ProgressRenderer } from './types.js';

export type { ProgressRenderer, StepEvent } from './types.js';

/** `--progress auto|tty|plain|json`: auto is tty on a terminal, else plain. Output goes to `write` (stderr). */
export function progressRenderer(mode: string, write: (s: string) => void, isTty: boolean): ProgressRenderer {
  const m = mode === 'auto' ? (isTty ? 'tty' : 'plain') : mode;
  if (m === 'tty') return new TtyProgress(write);
  if (m === 'plain') return new PlainProgress(write);
  if (m === 'json') return new JsonProgress(write);
  throw new Error(`--progress ${mode}: want auto, tty, plain or json`);
}
