/**
 * The syntax tree `parse` returns: Dockerfile-level structure only (directives, continuations, JSON form,
 * heredocs, flags), before any variable expansion — the shape of BuildKit's parser.Node, with ranges.
 */

/** A position in the text: 1-based line and 1-based column (in UTF-16 code units). */
export interface Position {
  line: number;
  column: number;
}

/** A span of text; `end` is exclusive (the position just after the last character). */
export interface Range {
  start: Position;
  end: Position;
}

/** A parser directive from the top of the file: `# syntax=…`, `# escape=…`, `# check=…`. */
export interface Directive {
  /** Lower-cased directive name. */
  name: string;
  value: string;
  range: Range;
}

/** One `--name[=value]` flag written before an instruction's arguments. */
export interface Flag {
  /** Name as written, without the leading dashes. */
  name: string;
  /** The text after `=`, or null for a bare `--name`. Unexpanded. */
  value: string | null;
  range: Range;
}

/** A heredoc body attached to an instruction (`<<EOF` … `EOF`). */
export interface Heredoc {
  /** The delimiter word, without quotes (also the file name for COPY/ADD and RUN shebang scripts). */
  name: string;
  /** Body text as written, each line with its line ending; tabs are NOT yet stripped for `<<-`. */
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): the body is taken literally. */
  expand: boolean;
  /** True for `<<-EOF`: leading tabs stripped from every body line. */
  chomp: boolean;
  /** File descriptor written before `<<` (`3<<EOF`), 0 when none. */
  fileDescriptor: number;
  /** Range of the body plus the terminator line. */
  range: Range;
}

/** One argument word of an instruction (after Dockerfile-level parsing, before expansion). */
export interface Argument {
  value: string;
  range: Range;
}

/** One instruction: keyword, flags, arguments, heredocs, original text. */
export interface InstructionNode {
  /** Upper-cased keyword (`RUN`, `COPY`, …). */
  keyword: string;
  /** The keyword exactly as written (for ConsistentInstructionCasing). */
  keywordAsWritten: string;
  flags: Flag[];
  /**
   * Arguments as BuildKit's per-instruction line parser produces them: exec form → the JSON strings;
   * shell form of RUN/CMD/ENTRYPOINT/SHELL → one string (the command line); ENV/LABEL → key, value, key,
   * value…; ARG → `name[=value]` words; FROM/EXPOSE/COPY/ADD/VOLUME → whitespace-separated words (quotes
   * kept); WORKDIR/USER/… → one string; ONBUILD → the inner instruction text; HEALTHCHECK → `NONE` or
   * `CMD` followed by the command's arguments.
   */
  args: Argument[];
  /** The arguments text after the flags, continuations removed, as one string. */
  argsText: string;
  /** True when the arguments are a valid JSON array of strings (exec form). */
  json: boolean;
  /** For ENV/LABEL: true when written in the legacy `KEY value` form. */
  legacyKeyValue: boolean;
  heredocs: Heredoc[];
  /** For ONBUILD: the parsed inner instruction. */
  inner?: InstructionNode;
  /** BuildKit's "original": the logical line (continuations joined), trimmed. */
  original: string;
  /** The source text exactly as written, from the keyword to the end of its last line (heredoc bodies included). */
  source: string;
  /** From the keyword to the end of the last line, including heredoc bodies. */
  range: Range;
}

/** A comment line (outside the directive block). */
export interface Comment {
  text: string;
  range: Range;
}

/** What `parse` returns. */
export interface DockerfileTree {
  directives: Directive[];
  /** The escape character in effect: `\` unless `# escape=` says otherwise. */
  escape: '\\' | '`';
  instructions: InstructionNode[];
  comments: Comment[];
  /** File name used in error messages and lint output. */
  filename: string;
  /** Non-fatal parser warnings (e.g. empty continuation lines), BuildKit's own. */
  warnings: ParseWarning[];
}

/** A non-fatal problem the parser noticed. */
export interface ParseWarning {
  message: string;
  range: Range;
}

/** Options for `parse`. */
export interface ParseOptions {
  /** Name to print in errors; default `Dockerfile`. */
  filename?: string;
}
