// What containerd 1.6's config needs so `ctr images import` + `ctr run` work with artifact images
// (docs/shim.md, "Images on containerd 1.6"). containerd's client unpacks an image before it runs
// it and insists that the config lists one diff_id per manifest layer, each layer applied as a
// tar; the module and eBPF object layers are not tars. A stream processor converts any layer of
// those media types into an empty tar (1024 zero bytes, the empty layer), so the image unpacks
// into an empty rootfs and the shim reads the real layers from the content store. wasmbpf images
// therefore list EMPTY_LAYER_DIFF_ID once per layer in their config.
import { EMPTY_LAYER_DIFF_ID, MEDIA_TYPE_WASM_MODULE, MEDIA_TYPE_WASMBPF_OBJECT } from '../oci-spec/index.ts';

export { EMPTY_LAYER_DIFF_ID };

export { RUNTIME_TYPE } from './names.ts';
export const STREAM_PROCESSOR_ID = 'io.containerd.wasmbpf.layer.v1';
export const ARTIFACT_LAYER_MEDIA_TYPES = [MEDIA_TYPE_WASM_MODULE, MEDIA_TYPE_WASMBPF_OBJECT] as const;

/** The [stream_processors] table to add to a version 2 containerd config. */
export function streamProcessorToml(): string {
  return [
    `[stream_processors."${STREAM_PROCESSOR_ID}"]`,
    `  accepts = [${ARTIFACT_LAYER_MEDIA_TYPES.map((t) => JSON.stringify(t)).join(', ')}]`,
    '  returns = "application/vnd.oci.image.layer.v1.tar"',
    '  path = "/bin/sh"',
    '  args = ["-c", "cat >/dev/null && head -c 1024 /dev/zero"]',
    '',
  ].join('\n');
}
