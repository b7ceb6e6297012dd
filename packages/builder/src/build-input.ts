import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sniffFile, unpackArchive } from './add-sources.js';
import { BuildError } from './errors.js';
import { scratchName } from './stale.js';

/** The name Dockerfile errors give a Dockerfile read from standard input. */
export const STDIN_DOCKERFILE = '<stdin>';

/** A Dockerfile is text of modest size; more than this on stdin is a mistake (a binary, a stray pipe). */
const MAX_DOCKERFILE = 16 << 20;

/** Reads a Dockerfile from standard input (`-f -`). */
export async function readStdinDockerfile(stdin: Readable): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    size += (c as Buffer).length;
    if (size > MAX_DOCKERFILE) throw new BuildError(`${STDIN_DOCKERFILE}: a Dockerfile on standard input must be under ${MAX_DOCKERFILE >> 20} MB`);
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A build context made from standard input (CONTEXT `-`), removed by `dispose`. */
export interface StdinContext {
  contextDir: string;
  /** Set when stdin held a Dockerfile rather than an archive: the context is then empty. */
  dockerfileText?: string;
  dispose(): Promise<void>;
}

/**
 * CONTEXT `-`, as docker build reads it: standard input is either a tar archive of the context (plain or
 * compressed with gzip, bzip2, xz or zstd: decided by the content, as for ADD), unpacked into a scratch
 * directory under `tmpDir`, or a Dockerfile, built with an empty context. The scratch carries this process's
 * pid, so a killed build's leftovers are removed by the next one (reapStale).
 */
export async function stdinContext(stdin: Readable, tmpDir: string): Promise<StdinContext> {
  await mkdir(tmpDir, { recursive: true });
  const dir = await mkdtemp(path.join(tmpDir, scratchName('stdin')));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const input = path.join(dir, 'input');
    await pipeline(stdin, createWriteStream(input));
    const contextDir = path.join(dir, 'context');
    await mkdir(contextDir);
    const sniffed = await sniffFile(input);
    if (sniffed.tar) {
      await unpackArchive(input, sniffed.compression, contextDir);
      await rm(input);
      return { contextDir, dispose };
    }
    if (sniffed.compression !== 'tar') throw new BuildError(`standard input is ${sniffed.compression}-compressed but holds no tar archive of a context`);
    if ((await stat(input)).size > MAX_DOCKERFILE) throw new BuildError(`standard input is neither a tar archive of the context nor a Dockerfile (over ${MAX_DOCKERFILE >> 20} MB)`);
    const dockerfileText = await readFile(input, 'utf8');
    await rm(input);
    return { contextDir, dockerfileText, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Where a build's Dockerfile and context come from, once standard input has been read. */
export interface BuildInput {
  contextDir: string;
  /** The Dockerfile's path, when it is a file (its `<name>.dockerignore` applies). */
  dockerfilePath?: string;
  text: string;
  /** How Dockerfile errors name it (FILE:LINE). */
  filename: string;
  /** Keep a stat index for the context: not for a scratch context unpacked from stdin. */
  keepContextState: boolean;
  /** How errors name the context, when not by its path. */
  contextLabel?: string;
}

function readDockerfile(file: string, filename: string, where = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BuildError(`${filename}: cannot read the Dockerfile${where} (${e.code ?? e.message})`);
  }
}

const ON_STDIN = 'on standard input';

/**
 * The Dockerfile of a context when -f is not given: `Dockerfile`, else `dockerfile` (the docker CLI's
 * fallback), else `Containerfile` (buildah's and podman's name); `Dockerfile` when there is none, for the error.
 */
export function defaultDockerfile(contextDir: string): string {
  for (const name of ['Dockerfile', 'dockerfile', 'Containerfile']) {
    const p = path.join(contextDir, name);
    if (existsSync(p)) return p;
  }
  return path.join(contextDir, 'Dockerfile');
}

/**
 * The Dockerfile and context of a build: CONTEXT and `-f` as paths (the Dockerfile defaults to
 * CONTEXT/Dockerfile), `-f -` for a Dockerfile on stdin, or `fromStdin` for CONTEXT `-` (where `-f` names a
 * file inside the archive).
 */
export async function buildInput(contextArg: string, dockerfileArg: string | undefined, stdin: () => Readable, fromStdin?: StdinContext): Promise<BuildInput> {
  if (fromStdin !== undefined) {
    const { contextDir, dockerfileText } = fromStdin;
    if (dockerfileText !== undefined) return { contextDir, text: dockerfileText, filename: STDIN_DOCKERFILE, keepContextState: false, contextLabel: ON_STDIN };
    const rel = dockerfileArg ?? path.basename(defaultDockerfile(contextDir));
    const dockerfilePath = path.join(contextDir, path.posix.normalize(`/${rel}`));
    const text = readDockerfile(dockerfilePath, rel, ` in the context archive ${ON_STDIN}`);
    return { contextDir, dockerfilePath, text, filename: rel, keepContextState: false, contextLabel: ON_STDIN };
  }
  const contextDir = path.resolve(contextArg);
  if (dockerfileArg === '-') return { contextDir, text: await readStdinDockerfile(stdin()), filename: STDIN_DOCKERFILE, keepContextState: true };
  const dockerfilePath = path.resolve(dockerfileArg ?? defaultDockerfile(contextDir));
  const filename = path.relative(process.cwd(), dockerfilePath) || dockerfilePath;
  return { contextDir, dockerfilePath, text: readDockerfile(dockerfilePath, filename), filename, keepContextState: true };
}
