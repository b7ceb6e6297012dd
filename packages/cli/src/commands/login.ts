import { readFileSync } from 'node:fs';
import { registry } from '@strata/builder';
import { parseArgs, str, flag } from '../args.js';
import { UsageError, type Command } from '../command.js';

const spec = {
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  'password-stdin': { type: 'boolean' },
  insecure: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'login',
  summary: 'check credentials with a registry and save them in ~/.docker/config.json',
  usage: `Usage: strata login [OPTIONS] REGISTRY

Checks the credentials against REGISTRY (GET /v2/ with basic or bearer auth) and, if they are accepted,
stores them in $DOCKER_CONFIG/config.json (default ~/.docker/config.json), where pull and push find them.

Options:
  -u, --username USER   user name
  -p, --password PASS   password (prefer --password-stdin)
  --password-stdin      read the password from standard input
  --insecure            allow plain http and unverified TLS for this registry`,
  async run(argv, ctx) {
    const p = parseArgs(argv, spec);
    if (p.positionals.length !== 1) throw new UsageError('login takes one REGISTRY');
    const host = p.positionals[0]!.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    const username = str(p, 'username');
    let password = str(p, 'password');
    if (flag(p, 'password-stdin')) password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    if (!username || password === undefined) throw new UsageError('login needs --username and --password or --password-stdin');
    const credentials = { username, password };
    await registry.checkLogin(host, { insecure: flag(p, 'insecure'), credentials });
    registry.saveDockerCredentials(host, credentials);
    ctx.out('Login Succeeded\n');
    return 0;
  },
};
