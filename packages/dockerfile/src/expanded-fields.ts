/**
 * Which fields of each typed instruction BuildKit expands at dispatch (its `Expand(expander)` methods plus
 * dispatch-time expansion of EXPOSE and mount options). The planner expands exactly these, with the env it
 * tracks for the stage; every other field is used as written (CMD/ENTRYPOINT/RUN/HEALTHCHECK commands are
 * expanded by the shell at run time, not by the builder).
 */
import type { InstructionKind } from './types.js';

/** One expandable field: its property name and whether it expands to several words (`expandWords`). */
export interface ExpandedField {
  field: string;
  /** True: word splitting applies (use `expandWords`); false: one word in, one word out (`expand`). */
  split: boolean;
  /** Notes where the field is structured (pairs, mounts, inline files). */
  note?: string;
}

const one = (field: string, note?: string): ExpandedField => (note ? { field, split: false, note } : { field, split: false });

/** Per instruction kind, the fields the builder expands. */
export const EXPANDED_FIELDS: Readonly<Record<InstructionKind, readonly ExpandedField[]>> = {
  RUN: [one('mounts', 'every value of every mount option except type')],
  COPY: [one('sources'), one('dest'), one('chown'), one('chmod'), one('exclude'),
    one('heredocs', 'data of inline files whose expand flag is true')],
  ADD: [one('sources'), one('dest'), one('chown'), one('chmod'), one('checksum'), one('exclude'),
    one('heredocs', 'data of inline files whose expand flag is true')],
  ENV: [one('pairs', 'key and value of each pair')],
  LABEL: [one('pairs', 'key and value of each pair')],
  ARG: [one('args', 'name and default of each declaration')],
  WORKDIR: [one('path')],
  USER: [one('user')],
  VOLUME: [one('paths')],
  STOPSIGNAL: [one('signal')],
  EXPOSE: [{ field: 'ports', split: true }],
  CMD: [],
  ENTRYPOINT: [],
  SHELL: [],
  HEALTHCHECK: [],
  ONBUILD: [],
  MAINTAINER: [],
};

/** True when BuildKit expands `field` of an instruction of this kind. */
export function isExpanded(kind: InstructionKind, field: string): boolean {
  return EXPANDED_FIELDS[kind].some((f) => f.field === field);
}
