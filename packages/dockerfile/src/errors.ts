/** The one error class this package throws: a Dockerfile problem with its position. */
export class DockerfileError extends Error {
  override name = 'DockerfileError';
  /** What went wrong, without the position prefix. */
  readonly reason: string;
  /** 1-based line, or 0 when the problem has no place in the text (e.g. a bad build option). */
  readonly line: number;
  /** 1-based column, or 0 when unknown. */
  readonly column: number;
  readonly filename: string;

  /** Message is `FILE:LINE:COL: what` (one line; newlines in `reason` are escaped). */
  constructor(reason: string, line = 0, column = 0, filename = 'Dockerfile') {
    const oneLine = reason.replace(/\r?\n/g, '\\n');
    super(line > 0 ? `${filename}:${line}:${column}: ${oneLine}` : `${filename}: ${oneLine}`);
    this.reason = oneLine;
    this.line = line;
    this.column = column;
    this.filename = filename;
  }
}
