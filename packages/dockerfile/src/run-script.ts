/**
 * How BuildKit turns RUN + heredocs into the command it runs (dockerfile2llb dispatchRun): a RUN that is only
 * `<<EOF` runs the body in the shell (or, with a `#!` line, as a script file mounted at /dev/pipes/NAME);
 * any other heredoc use hands the line plus bodies to the shell, which reads the heredocs itself.
 */
import { chompHeredocContent, parseHeredocWord } from './heredoc.js';
import type { CommandLine, InlineFile, RunInstruction } from './types.js';

/** A file BuildKit mounts read-only for the RUN (the shebang heredoc script). */
export interface RunPipeFile {
  /** Absolute path in the container. */
  path: string;
  data: string;
  mode: number;
}

/** The command a RUN executes (before the stage SHELL is prepended to the shell form) and extra files. */
export interface RunScript {
  command: CommandLine;
  files: RunPipeFile[];
}

/** Content of an inline file as COPY/ADD writes it (tabs stripped for `<<-`). */
export function inlineFileData(f: InlineFile): string {
  return f.chomp ? chompHeredocContent(f.data) : f.data;
}

/** Resolves a RUN's heredocs into the command line BuildKit would run. */
export function runScript(run: RunInstruction): RunScript {
  const cmd = run.command;
  if (run.heredocs.length === 0 || cmd.form === 'exec') return { command: cmd, files: [] };
  const first = run.heredocs[0]!;
  if (parseHeredocWord(cmd.script.trim())) {
    const data = inlineFileData(first);
    if (first.data.startsWith('#!')) {
      const path = `/dev/pipes/${first.name}`;
      return { command: { form: 'shell', script: path }, files: [{ path, data, mode: 0o755 }] };
    }
    return { command: { form: 'shell', script: data }, files: [] };
  }
  let full = cmd.script;
  for (const f of run.heredocs) full += '\n' + f.data + f.name;
  return { command: { form: 'shell', script: full }, files: [] };
}
