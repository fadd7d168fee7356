#include "sp/client/host.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

namespace sp::client::host {
namespace {

// `fallback` may be noexcept (glibc's declarations); the slot is not.
template <typename F, typename G>
void Resolve(F*& slot, const char* name, G* fallback) {
  void* sym = dlsym(RTLD_NEXT, name);
  slot = sym != nullptr ? reinterpret_cast<F*>(sym) : static_cast<F*>(fallback);
}

Calls Lookup() {
  Calls c;
  Resolve(c.socket, "socket", &::socket);
  Resolve(c.connect, "connect", &::connect);
  Resolve(c.close, "close", &::close);
  Resolve(c.read, "read", &::read);
  Resolve(c.write, "write", &::write);
  Resolve(c.send, "send", &::send);
  Resolve(c.recv, "recv", &::recv);
  Resolve(c.poll, "poll", &::poll);
  Resolve(c.ppoll, "ppoll", &::ppoll);
  Resolve(c.fcntl, "fcntl", &::fcntl);
  Resolve(c.setsockopt, "setsockopt", &::setsockopt);
  Resolve(c.getsockopt, "getsockopt", &::getsockopt);
  Resolve(c.shutdown, "shutdown", &::shutdown);
  Resolve(c.dup2, "dup2", &::dup2);
  Resolve(c.execve, "execve", &::execve);
  return c;
}

}  // namespace

const Calls& Get() {
  static const Calls calls = Lookup();
  return calls;
}

}  // namespace sp::client::host
