/** Any snapshot error; its message is one line naming the snapshot key or path. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** No snapshot has this key or name. */
export class SnapshotNotFoundError extends SnapshotError {
  override name = 'SnapshotNotFoundError';
}

/** A snapshot with this key or name already exists. */
export class SnapshotExistsError extends SnapshotError {
  override name = 'SnapshotExistsError';
}

/** The operation does not fit the snapshot's state (e.g. committing a view, removing a parent). */
export class SnapshotStateError extends SnapshotError {
  override name = 'SnapshotStateError';
}

/** The requested driver cannot work on this machine or under this root. */
export class DriverUnavailableError extends SnapshotError {
  override name = 'DriverUnavailableError';
}

/** A layer tar or change set that would write outside its directory or is otherwise unsafe. */
export class UnsafeEntryError extends SnapshotError {
  override name = 'UnsafeEntryError';
}

/** The errno name of a Node or native error, if any. */
export function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}
