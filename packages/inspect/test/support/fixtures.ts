import { buildImage, type MemoryImage, type Step } from './memory-image.js';
import { bytes, dir, file, hardlink, opaque, symlink, T0, whiteout } from './entries.js';

/** Content of /etc/passwd in the base layer. */
export const PASSWD = 'root:x:0:0::/root:/bin/sh\n';
/** Content shared by /usr/share/doc/a.txt and b.txt (a duplicate by hash). */
export const DOC = 'same content\n'.repeat(50);
/** `cap_net_bind_service+ep` as the kernel stores it (vfs_cap_data revision 2: binary, with NUL bytes). */
export const CAP_NET_BIND_SERVICE = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/** One second in nanoseconds. */
export const SEC = 1_000_000_000n;

/** The base layer: every kind of entry the other layers then overwrite, delete or duplicate. */
export function baseLayer() {
  return [
    dir('etc'), file('etc/passwd', PASSWD), file('etc/config', 'a'.repeat(1000)),
    file('etc/mode-only', 'm'), file('etc/owner-only', 'o'), file('etc/mtime-only', 't'),
    dir('usr'), dir('usr/bin'), file('usr/bin/tool', bytes(5000, 'tool'), { mode: 0o755 }), hardlink('usr/bin/tool-link', 'usr/bin/tool'),
    dir('usr/lib'), file('usr/lib/libx.so', bytes(3000, 'libx')),
    dir('usr/share'), dir('usr/share/doc'), file('usr/share/doc/a.txt', DOC),
    dir('var'), dir('var/cache'), dir('var/cache/apt'), file('var/cache/apt/pkg1', bytes(2000, 'p1')), file('var/cache/apt/pkg2', bytes(2500, 'p2')),
    dir('tmp', { mode: 0o1777 }), file('tmp/big', bytes(10000, 'big')),
    dir('opt'), dir('opt/data'), file('opt/data/old1', bytes(100, 'o1')), file('opt/data/old2', bytes(200, 'o2')),
    dir('bin'), symlink('bin/sh', '/usr/bin/tool'),
  ];
}

/** Bytes of file content the base layer stores. */
export const BASE_BYTES = PASSWD.length + 1000 + 3 + 5000 + 3000 + DOC.length + 2000 + 2500 + 10000 + 100 + 200;

/** The steps of the "waste" image: overwrites, deletions, an opaque dir, duplicates, attribute-only changes. */
export function wasteSteps(): Step[] {
  return [
    { createdBy: 'ADD rootfs.tar / # buildkit', entries: baseLayer() },
    { createdBy: 'ENV A=1' },
    {
      createdBy: 'RUN apt-get update && rm -rf /var/cache/apt /tmp/big # buildkit',
      entries: [
        dir('etc', { mtimeNs: T0 + SEC }), file('etc/config', 'b'.repeat(1200)),
        file('etc/mode-only', 'm', { mode: 0o600 }), file('etc/owner-only', 'o', { uid: 1000, gid: 1000 }),
        file('etc/mtime-only', 't', { mtimeNs: T0 + 60n * SEC }),
        whiteout('tmp/big'), whiteout('var/cache/apt'),
        dir('opt/data'), opaque('opt/data'), file('opt/data/new', bytes(300, 'new')),
        dir('usr/share/doc'), file('usr/share/doc/b.txt', DOC),
      ],
    },
    { createdBy: 'COPY app /app # buildkit', entries: [dir('app'), file('app/main', bytes(4000, 'main')), file('app/tool-copy', bytes(5000, 'tool'))] },
    { createdBy: 'CMD ["/app/main"]' },
  ];
}

/** Bytes stored by layers 1 and 2 of the waste image. */
export const L1_BYTES = 1200 + 3 + 300 + DOC.length;
export const L2_BYTES = 9000;

/** The waste image (three layers, five history entries). */
export function wasteImage(opts: { uncompressed?: boolean } = {}): Promise<MemoryImage> {
  return buildImage(wasteSteps(), opts);
}

/** A rebuild of the waste image: one layer shared, two rebuilt with changes, one new step inserted. */
export function rebuildImage(): Promise<MemoryImage> {
  const w = wasteSteps();
  return buildImage([
    w[0]!, w[1]!,
    {
      createdBy: w[2]!.createdBy,
      entries: [
        dir('etc', { mtimeNs: T0 + SEC }), file('etc/config', 'c'.repeat(1200)),
        file('etc/mode-only', 'm', { mode: 0o640 }), file('etc/owner-only', 'o', { uid: 1001, gid: 1000 }),
        file('etc/mtime-only', 't', { mtimeNs: T0 + 120n * SEC }),
        file('usr/bin/tool', bytes(5000, 'tool'), { mode: 0o755, xattrs: { 'security.capability': CAP_NET_BIND_SERVICE } }),
        whiteout('tmp/big'), whiteout('var/cache/apt'),
        dir('opt/data'), opaque('opt/data'), file('opt/data/new', bytes(300, 'new')),
        dir('usr/share/doc'), file('usr/share/doc/b.txt', DOC),
      ],
    },
    {
      createdBy: 'RUN echo extra # buildkit',
      entries: [whiteout('usr/lib/libx.so'), file('etc/extra', 'x'), symlink('bin/sh', '/usr/bin/other'), symlink('usr/share/doc/a.txt', 'b.txt')],
    },
    { createdBy: w[3]!.createdBy, entries: [dir('app'), file('app/main', bytes(4000, 'main2')), file('app/new', 'new')] },
    w[4]!,
  ]);
}
