import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** Debian's chromium. */
export const CHROMIUM = '/usr/bin/chromium';

interface Message { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string }

/** What loading a page in headless Chromium produced. */
export interface PageRun {
  /** Uncaught exceptions and console errors. */
  errors: string[];
  /** Every URL the page asked for (the page itself included). */
  requests: string[];
  /** The value of each expression evaluated after load. */
  values: unknown[];
  /** PNG of the full page. */
  screenshot: Buffer;
}

/**
 * Loads a local HTML file in headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4),
 * with a fresh profile and no network services, and reports script errors, requests, evaluated values and a
 * full-page screenshot.
 */
export async function runPage(file: string, expressions: string[], timeoutMs = 30000): Promise<PageRun> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'strata-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
    '--remote-debugging-pipe', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true }); // its own process group: see cleanup
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let nextId = 1;
  let buf = Buffer.alloc(0);
  fromBrowser.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (let z = buf.indexOf(0); z >= 0; z = buf.indexOf(0)) {
      const m = JSON.parse(buf.subarray(0, z).toString('utf8')) as Message;
      buf = buf.subarray(z + 1);
      if (m.id !== undefined && pending.has(m.id)) {
        const p = pending.get(m.id)!;
        pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error.message)); else p.resolve(m.result ?? {});
      } else listeners.forEach((l) => l(m));
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const errors: string[] = [];
    const requests: string[] = [];
    let loaded!: () => void;
    const loadFired = new Promise<void>((r) => { loaded = r; });
    listeners.push((m) => {
      const p = m.params ?? {};
      if (m.method === 'Runtime.exceptionThrown') errors.push(JSON.stringify((p.exceptionDetails as { exception?: { description?: string }; text?: string })?.exception?.description ?? p));
      if (m.method === 'Runtime.consoleAPICalled' && p.type === 'error') errors.push('console.error: ' + JSON.stringify(p.args));
      if (m.method === 'Log.entryAdded' && (p.entry as { level?: string })?.level === 'error') errors.push('log: ' + (p.entry as { text?: string }).text);
      if (m.method === 'Network.requestWillBeSent') requests.push((p.request as { url: string }).url);
      if (m.method === 'Page.loadEventFired') loaded();
    });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    for (const d of ['Runtime.enable', 'Page.enable', 'Log.enable', 'Network.enable']) await send(d, {}, sessionId);
    await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    await send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
    await loadFired;
    const values: unknown[] = [];
    for (const expression of expressions) {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId) as { result: { value?: unknown }; exceptionDetails?: unknown };
      if (r.exceptionDetails) errors.push('evaluate: ' + JSON.stringify(r.exceptionDetails));
      values.push(r.result.value);
    }
    const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId) as { data: string };
    await send('Browser.close').catch(() => undefined);
    return { errors, requests, values, screenshot: Buffer.from(shot.data, 'base64') };
  } catch (e) {
    throw new Error(`chromium: ${(e as Error).message}; stderr: ${stderr.split('\n').slice(-5).join(' | ')}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    // Chromium's helper processes can outlive the browser and still write into the profile: end the whole
    // process group this test started (by its id), then remove the profile, retrying while writes drain.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}
