// The error model every layer shares: the base class and the one union of codes. This folder
// imports nothing, so ttrpc/ and oci-spec/ may use it and still stand alone.
export { WasmbpfError } from './wasmbpf-error.ts';
export type * from './codes.ts';
