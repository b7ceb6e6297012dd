/**
 * Any failure talking to a registry. The message is one line naming the image reference (or registry) and
 * what failed; `status` is the HTTP status when there was one.
 */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(message: string, readonly status?: number, readonly retryable = false) {
    super(message);
  }
}

/** The registry refused our credentials or we had none (401/403). */
export class RegistryAuthError extends RegistryError {
  override name = 'RegistryAuthError';
}

/** The manifest, blob or repository does not exist on the registry (404). */
export class RegistryNotFoundError extends RegistryError {
  override name = 'RegistryNotFoundError';
}

/** An image reference that cannot be parsed. */
export class ReferenceError extends RegistryError {
  override name = 'ReferenceError';
}
