import { unpackStoredImage } from '@strata/builder';

/**
 * Unpacks images just loaded or pulled into snapshots, as docker load and pull do, so the first build or run
 * on them does not wait for it. The images are stored either way: a failure only warns.
 */
export async function unpackLoaded(refs: string[], warn: (t: string) => void): Promise<void> {
  for (const ref of refs) {
    await unpackStoredImage(ref).catch((e: unknown) => warn(`strata: warning: ${ref} is stored but not unpacked: ${(e as Error).message.split('\n')[0]}\n`));
  }
}
