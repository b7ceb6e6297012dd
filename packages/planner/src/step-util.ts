import type { CommandLine } from '@strata/dockerfile';
import type { StageState } from './compile-state.js';

/** Line of an instruction as reported (ONBUILD triggers report their FROM). */
export function lineOf(st: StageState, range: { start: { line: number } }): number {
  return st.lineOverride ?? range.start.line;
}

/** Turn a CMD/ENTRYPOINT/HEALTHCHECK command into argv with the stage's SHELL for the shell form. */
export function commandArgv(cmd: CommandLine, shell: readonly string[]): string[] {
  return cmd.form === 'exec' ? [...cmd.argv] : [...shell, cmd.script];
}
