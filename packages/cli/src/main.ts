import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type Command, type CommandContext } from './command.js';
import { directWriter } from './direct-write.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The version from this package's package.json (the nearest one above this file: dist/src or a bundle). */
export function version(): string {
  for (let dir = here; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** One command by name, loading only its own module (startup time is most of a cached build's time). */
export async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name)) return undefined;
  const file = path.join(here, 'commands', `${name}.js`);
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { command?: Command };
  return mod.command?.name === name ? mod.command : undefined;
}

/** Every command: one file per command in commands/, each exporting `command`. */
export async function loadCommands(): Promise<Command[]> {
  const dir = path.join(here, 'commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(path.join(dir, f)).href) as Promise<{ command?: Command }>));
  return mods.map((m) => m.command).filter((c): c is Command => !!c).sort((a, b) => a.name.localeCompare(b.name));
}

function helpText(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    'strata: a daemonless image builder and layered-filesystem toolkit',
    '',
    'Usage: strata [--debug] [--verbose] COMMAND [ARGS...]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show this help (or `strata COMMAND --help`)',
    '  --version      print the version',
    '  --debug        print stack traces on errors',
    '  --verbose, -v  say more about what is happening',
    '',
    'State root: $STRATA_ROOT, else /var/lib/strata (root) or $XDG_DATA_HOME/strata.',
  ].join('\n') + '\n';
}

/**
 * Runs the CLI with `argv` (without node and script); resolves to the exit code. `known` is a command the
 * caller already loaded (the launcher's per-command bundle), used when argv names it.
 */
export async function main(argv: string[], known?: Command): Promise<number> {
  const ctx: CommandContext = {
    debug: false,
    verbose: false,
    out: directWriter(1),
    err: directWriter(2),
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--debug') ctx.debug = true;
    else if (a === '--verbose' || a === '-v') ctx.verbose = true;
    else break;
  }
  if (process.env.STRATA_DEBUG === '1') ctx.debug = true;
  // The shipped CLI is a minified bundle: stack traces name the TypeScript sources only with source maps.
  if (ctx.debug) process.setSourceMapsEnabled(true);
  const name = argv[i];
  const rest = argv.slice(i + 1);
  try {
    if (name === '--version' || name === 'version') {
      ctx.out(`strata ${version()}\n`);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const commands = await loadCommands();
      const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
      ctx.out(topic ? topic.usage.trimEnd() + '\n' : helpText(commands));
      return name === undefined ? 2 : 0;
    }
    const cmd = (known?.name === name ? known : undefined) ?? (await loadCommand(name)) ?? (await loadCommands()).find((c) => c.name === name);
    if (!cmd) throw new UsageError(`unknown command "${name}"`);
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.out(cmd.usage.trimEnd() + '\n');
      return 0;
    }
    return await cmd.run(rest, ctx);
  } catch (e) {
    return reportError(e, ctx);
  }
}

/** One line for the user; the stack only with --debug. */
export function reportError(e: unknown, ctx: CommandContext): number {
  const err = e instanceof Error ? e : new Error(String(e));
  if (ctx.debug && err.stack) ctx.err(err.stack + '\n');
  else ctx.err(`strata: ${err.message.split('\n')[0]}\n`);
  if (err instanceof UsageError) {
    ctx.err('Run `strata --help` for usage.\n');
    return 2;
  }
  return 1;
}
