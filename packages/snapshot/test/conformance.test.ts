import { conformanceSuite } from './conformance/suite.js';

// One suite, every driver (like containers/storage's graphtest). fuse-overlayfs runs as the reference for
// the on-disk format strata-unionfs must share.
conformanceSuite({ title: 'overlay (kernel)', driver: 'overlay' });
conformanceSuite({ title: 'unionfs (strata-unionfs)', driver: 'unionfs' });
conformanceSuite({
  title: 'unionfs (fuse-overlayfs reference)', driver: 'unionfs', unionfsBinary: '/usr/bin/fuse-overlayfs',
  // fuse-overlayfs copies up the surviving name of a lower hardlink pair when the other is unlinked.
  tolerates: { 'delete files and directories': ['hl/one'] },
});
conformanceSuite({ title: 'copy', driver: 'copy' });
