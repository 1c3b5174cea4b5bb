// The empty layer: a tar archive holding nothing (two 512-byte zero blocks), and its digest.
//
// wasmbpf images list EMPTY_LAYER_DIFF_ID as the diff_id of every layer in their image config.
// containerd 1.6 unpacks an image before `ctr run` or CRI can use it and insists on one diff_id
// per manifest layer, each applied as a tar; a stream processor (installed by `wasmbpf install`,
// see shim/containerd-config.ts) turns the module and eBPF object layers into this empty tar, so
// the image unpacks into an empty rootfs and the shim reads the real layers from the content
// store. The diff_ids are thus true of the layers as containerd unpacks them.

/** sha256 of a 1024-byte all-zero tar archive. */
export const EMPTY_LAYER_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
