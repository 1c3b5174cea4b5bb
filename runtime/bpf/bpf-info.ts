// What the kernel says about a loaded program or map, for module stats: a program's id, run
// count and run time (non-zero only while BPF stats are on, bpf-stats.ts) and the instructions
// the verifier processed to load it; a map's id and the memory charged for it.
//
// struct bpf_prog_info and bpf_map_info are read as bytes at the offsets of linux/bpf.h (checked
// on 6.x with offsetof); an older kernel fills a shorter prefix and leaves the rest zero, which
// is what an unknown field reads as (verified_insns exists since 5.16).
import fs from 'node:fs';
import { BpfError } from './errors.ts';
import { lib, libcFns } from './libbpf.ts';

const PROG_INFO_SIZE = 232;
const PROG = { TYPE: 0, ID: 4, NAME: 64, RUN_TIME_NS: 192, RUN_CNT: 200, VERIFIED_INSNS: 216 } as const;
const MAP_INFO_SIZE = 88;
const MAP = { TYPE: 0, ID: 4 } as const;

export interface ProgramInfo {
  id: number;
  type: number;
  /** The kernel's name (at most 15 bytes). */
  name: string;
  runCount: number;
  runTimeNs: number;
  verifiedInsns: number;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

export function programInfoByFd(fd: number): ProgramInfo {
  const info = Buffer.alloc(PROG_INFO_SIZE);
  const len = [info.length];
  const r = lib.obj_get_info_by_fd(fd, info, len) as number;
  if (r < 0) throw new BpfError('WASMBPF_BPF_PROG_INFO', `cannot read the facts of program fd ${fd}`, -r);
  return {
    id: info.readUInt32LE(PROG.ID),
    type: info.readUInt32LE(PROG.TYPE),
    name: cString(info.subarray(PROG.NAME, PROG.NAME + 16)),
    // u64 nanoseconds: exact in a double up to 104 days of program time.
    runTimeNs: Number(info.readBigUInt64LE(PROG.RUN_TIME_NS)),
    runCount: Number(info.readBigUInt64LE(PROG.RUN_CNT)),
    verifiedInsns: info.readUInt32LE(PROG.VERIFIED_INSNS),
  };
}

/** A program by its kernel id, from any thread; undefined once it is gone (its object closed). */
export function programInfoById(id: number): ProgramInfo | undefined {
  const fd = lib.prog_get_fd_by_id(id) as number;
  if (fd < 0) return undefined;
  try {
    return programInfoByFd(fd);
  } catch {
    return undefined;
  } finally {
    libcFns.close(fd);
  }
}

export function mapIdByFd(fd: number): { id: number; type: number } {
  const info = Buffer.alloc(MAP_INFO_SIZE);
  const len = [info.length];
  const r = lib.obj_get_info_by_fd(fd, info, len) as number;
  if (r < 0) throw new BpfError('WASMBPF_BPF_MAP_INFO', `cannot read the facts of map fd ${fd}`, -r);
  return { id: info.readUInt32LE(MAP.ID), type: info.readUInt32LE(MAP.TYPE) };
}

/**
 * The bytes the kernel charges for a map (its fdinfo's memlock line: the map's own estimate of
 * its memory, the figure bpftool shows as memlock). 0 when fdinfo cannot be read.
 */
export function mapMemoryBytes(fd: number): number {
  try {
    const m = /^memlock:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
