import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The fixture builders live with @strata/inspect's own tests (packages/inspect/test/support); these load
 * their compiled form at run time, typed from their declarations, because this suite compiles to a
 * different depth (test/dist/inspect) than its sources.
 */
const supportDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'inspect', 'dist', 'test', 'support');

type Fixtures = typeof import('../../packages/inspect/dist/test/support/fixtures.js');
type Sources = typeof import('../../packages/inspect/dist/test/support/sources.js');
type Entries = typeof import('../../packages/inspect/dist/test/support/entries.js');
type Memory = typeof import('../../packages/inspect/dist/test/support/memory-image.js');

const load = <T>(name: string) => import(pathToFileURL(path.join(supportDir, name)).href) as Promise<T>;

/** The known-content images and their expected figures. */
export const fixtures = () => load<Fixtures>('fixtures.js');
/** Writers of the four sources (local store, OCI layout, docker-archive, registry push). */
export const sourceWriters = () => load<Sources>('sources.js');
/** Layer entry builders. */
export const entries = () => load<Entries>('entries.js');
/** In-memory images and layers. */
export const memory = () => load<Memory>('memory-image.js');
