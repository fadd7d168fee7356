#include "sp/server/bench_kernel.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rump/components.h"

namespace sp::server {

absl::StatusOr<std::unique_ptr<BenchKernel>> BenchKernel::Start(absl::string_view prefix) {
  std::string dir = absl::StrCat("/tmp/", prefix, ".XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", dir, ": ", std::strerror(errno)));
  }
  rump::KernelOptions ko;
  ko.components = rump::AllComponents();
  absl::StatusOr<std::unique_ptr<rump::Kernel>> kernel = rump::Kernel::Boot(std::move(ko));
  if (!kernel.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return absl::Status(kernel.status().code(),
                        absl::StrCat("booting the kernel: ", kernel.status().message()));
  }
  return std::unique_ptr<BenchKernel>(new BenchKernel(std::move(dir), *std::move(kernel)));
}

BenchKernel::~BenchKernel() {
  kernel_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace sp::server
