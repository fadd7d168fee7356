// rump_pub_shmif_create(): NetBSD's one public network function.
#include <rump/rump.h>

#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/net/net_stack.h"

extern "C" int rump_pub_shmif_create(const char* path, int* ifnum) {
  rump::Kernel* k = rump::capi::TheKernel();
  if (k == nullptr) return rump::abi::kENXIO;
  rump::NetStack* net = k->Find<rump::NetStack>();
  if (net == nullptr) return rump::abi::kENXIO;  // booted without networking
  auto ifp = net->CreateNextInterface("shmif", path);
  if (!ifp.ok()) return rump::abi::ToErrno(ifp.status());
  if (ifnum != nullptr) *ifnum = (*ifp)->unit();
  return 0;
}
