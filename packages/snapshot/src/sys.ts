import { native, type NativeBinding } from '@strata/native-overlay';

/** The syscalls this package needs that Node lacks: native-overlay's binding. */
export type Sys = NativeBinding;

/** The binding, loaded once; throws native-overlay's NativeError with a build hint when it is not built. */
export function sys(): Sys {
  return native();
}
