// BenchKernel: what the in-process benchmarks of this package (sp_bench,
// fairness_bench) serve: a kernel with every component, booted in this
// process, and a scratch directory under /tmp for its sockets. The
// directory and everything in it go when the BenchKernel goes.
#ifndef RUMP_SP_SERVER_BENCH_KERNEL_H_
#define RUMP_SP_SERVER_BENCH_KERNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rump/kern/kernel.h"

namespace sp::server {

class BenchKernel {
 public:
  // Makes /tmp/<prefix>.XXXXXX and boots the kernel; an error names which
  // of the two failed.
  static absl::StatusOr<std::unique_ptr<BenchKernel>> Start(absl::string_view prefix);
  ~BenchKernel();
  BenchKernel(const BenchKernel&) = delete;
  BenchKernel& operator=(const BenchKernel&) = delete;

  rump::Kernel& kernel() { return *kernel_; }
  // The scratch directory (no trailing slash).
  const std::string& dir() const { return dir_; }

 private:
  BenchKernel(std::string dir, std::unique_ptr<rump::Kernel> kernel)
      : dir_(std::move(dir)), kernel_(std::move(kernel)) {}

  std::string dir_;
  std::unique_ptr<rump::Kernel> kernel_;
};

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_BENCH_KERNEL_H_
