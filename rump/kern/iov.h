// Copying in NetBSD struct iovec arrays (readv, writev, sendmsg, recvmsg):
// the one place that parses them.
#ifndef RUMP_KERN_IOV_H_
#define RUMP_KERN_IOV_H_

#include <vector>

#include "absl/status/statusor.h"
#include "rump/kern/file.h"
#include "rump/kern/user_memory.h"

namespace rump {

// Copies in `count` iovecs (16 bytes each: base, length) from `addr`.
// EINVAL for a count outside 0..IOV_MAX (1024; readv/writev's rule -
// sendmsg/recvmsg check the count first and answer EMSGSIZE) or when a
// length or the total exceeds SSIZE_MAX; EFAULT from the copy.
absl::StatusOr<std::vector<UserIoVec>> CopyInIov(UserMemory& mem, UserAddr addr, int count);

}  // namespace rump

#endif  // RUMP_KERN_IOV_H_
