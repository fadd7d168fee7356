// Object ids: what this kernel reports where NetBSD's sysctl records carry
// kernel addresses (kinfo_file's file and data, kinfo_pcb's PCB and socket;
// rump/abi/kinfo.h). Tools join records on them (sockstat matches a
// descriptor's ki_fdata with a PCB's ki_sockaddr), so each object gets one
// when it is made and keeps it.
//
// Promises: never 0, never reused and unique among all objects of all
// kernels in the host process; not an address (nothing about the host's
// memory layout leaks to clients). Thread-safe.
#ifndef RUMP_KERN_OBJECT_ID_H_
#define RUMP_KERN_OBJECT_ID_H_

#include <cstdint>

namespace rump {

uint64_t NewObjectId();

}  // namespace rump

#endif  // RUMP_KERN_OBJECT_ID_H_
