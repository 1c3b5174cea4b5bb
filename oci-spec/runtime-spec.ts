// The OCI runtime spec (config.json of a bundle), the subset wasmbpf reads: the container's
// command line, identity, annotations and cgroup.

/** The parts of the OCI runtime spec the shim and the container layer read. */
export interface RuntimeSpec {
  process?: {
    args?: string[]; env?: string[]; cwd?: string; terminal?: boolean;
    user?: { uid?: number; gid?: number; additionalGids?: number[] };
    capabilities?: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] };
  };
  root?: { path?: string };
  annotations?: Record<string, string>;
  linux?: { resources?: unknown; cgroupsPath?: string };
}
