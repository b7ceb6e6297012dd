/** @strata/snapshot: snapshotters (overlay, unionfs, copy), differ and applier. See README.md. */
export * from './types.js';
export * from './errors.js';
export { openSnapshotter, type SnapshotterOptions } from './snapshotter.js';
export { chooseDriver, probeOverlay, probeUnionfs, type DriverChoice, type ProbeOptions } from './probe.js';
export { diffUpper } from './upper-differ.js';
export { diffTrees, type NaiveDiffOptions } from './naive-differ.js';
export { materialize } from './copy-tree.js';
export { NativeExtractFs } from './native-extract-fs.js';
export { UnionTree, type TreeNode } from './union-tree.js';
export { OVERLAY_OPTIONS } from './drivers/overlay.js';
/** Mount limits a chain must fit (see SnapshotterOptions.lowerLimits). */
export type { LowerLimits } from './lower-chain.js';
export { applyLayer, applyLayerTar, type WhiteoutMode } from './apply-layer.js';
export { nativeDirScanner, nativeSmallFileCopier, type NativeDirScanner, type SmallCopy, type SmallFileCopier } from './dir-scan.js';
