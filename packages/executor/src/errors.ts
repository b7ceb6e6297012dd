/** A step could not be run: bad spec, missing rootfs or mount source, launcher failure. One line. */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
}

/** USER names a user or group the rootfs's /etc/passwd or /etc/group does not have. */
export class UnknownUserError extends ExecutorError {
  override name = 'UnknownUserError';
}

/** The step was aborted through its AbortSignal; every process of it is gone when this is thrown. */
export class StepAbortedError extends ExecutorError {
  override name = 'StepAbortedError';
}
