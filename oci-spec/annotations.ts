// Annotation keys wasmbpf writes and reads. The two object keys live under org.wasmbpf (a
// reverse domain of the project, as the OCI annotation rules ask); the others are the standard
// OCI and containerd keys so generic tools (ctr, skopeo, crane) show sensible names.

/** On an eBPF object layer: the CPU architecture, kernel-style (x86_64, arm64, s390x, riscv64, ppc64le). */
export const ANNOTATION_OBJECT_ARCH = 'org.wasmbpf.object.arch';
/** On an eBPF object layer: the object's file name, e.g. "execsnoop.bpf.o" (no directory part). */
export const ANNOTATION_OBJECT_NAME = 'org.wasmbpf.object.name';

/** OCI: a layer's file name; on the manifest, the tool's name. */
export const ANNOTATION_TITLE = 'org.opencontainers.image.title';
/** OCI: the creation time; written only when SOURCE_DATE_EPOCH is set, so builds stay reproducible. */
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
/** OCI image layout: the reference name of a manifest in index.json. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
/** containerd: the full image name `ctr images import` gives a manifest of index.json. */
export const ANNOTATION_CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';
