// The labels a task's metrics carry, from its OCI spec's annotations: CRI sets the pod's name and
// Kubernetes namespace and the container's name; a plain container (ctr, nerdctl) has none, and
// is named by its id. The containerd namespace is the server's.
export const ANNOTATION_POD_NAME = 'io.kubernetes.cri.sandbox-name';
export const ANNOTATION_POD_NAMESPACE = 'io.kubernetes.cri.sandbox-namespace';
export const ANNOTATION_CONTAINER_NAME = 'io.kubernetes.cri.container-name';

export const TASK_LABEL_NAMES = ['containerd_namespace', 'container_id', 'container', 'pod', 'namespace'] as const;
export type TaskLabels = Record<(typeof TASK_LABEL_NAMES)[number], string>;

export function taskLabels(id: string, annotations: Readonly<Record<string, string>>, containerdNamespace: string): TaskLabels {
  return {
    containerd_namespace: containerdNamespace,
    container_id: id,
    container: annotations[ANNOTATION_CONTAINER_NAME] || id,
    pod: annotations[ANNOTATION_POD_NAME] ?? '',
    namespace: annotations[ANNOTATION_POD_NAMESPACE] ?? '',
  };
}
