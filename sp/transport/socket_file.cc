#include "sp/transport/socket_file.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sp/transport/listener.h"

namespace sp::transport::internal {

absl::Status FreeSocketPath(const std::string& url, const std::string& path, const LogFn& log) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    const int e = errno;
    return HostError(e, absl::StrCat("rump_sp: failed to bind to URL ", url, ": ", path, ": ",
                                     std::strerror(e)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return HostError(EADDRINUSE, absl::StrCat("rump_sp: failed to bind to URL ", url, ": ", path,
                                              " exists and is not a socket"));
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return HostError(ENAMETOOLONG, absl::StrCat("rump_sp: failed to bind to URL ", url,
                                                ": socket path too long"));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int e = errno;
    return HostError(e, absl::StrCat("rump_sp: socket: ", std::strerror(e)));
  }
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof(sun));
  const int e = rc == 0 ? 0 : errno;
  close(fd);
  if (e == ECONNREFUSED) {
    // Nobody accepts on it: a dead server's file.
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      const int ue = errno;
      return HostError(ue, absl::StrCat("rump_sp: failed to bind to URL ", url,
                                        ": cannot remove the stale socket ", path, ": ",
                                        std::strerror(ue)));
    }
    if (log) log(absl::StrCat("replaced the stale socket file ", path, " (no server accepts on it)"));
    return absl::OkStatus();
  }
  if (e == 0 || e == EAGAIN || e == EINPROGRESS) {
    return HostError(EADDRINUSE, absl::StrCat("rump_sp: failed to bind to URL ", url,
                                              ": a server is already listening on ", path));
  }
  return HostError(e, absl::StrCat("rump_sp: failed to bind to URL ", url, ": ", path, ": ",
                                   std::strerror(e)));
}

FileId IdOfFile(const std::string& path) {
  FileId id;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    id.valid = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
  }
  return id;
}

void RemoveIfSame(const std::string& path, const FileId& id) {
  if (!id.valid) return;
  const FileId now = IdOfFile(path);
  if (now.valid && now.dev == id.dev && now.ino == id.ino) unlink(path.c_str());
}

void LogToStderr(const std::string& line) {
  std::string out = absl::StrCat("rump_sp: ", line, "\n");
  (void)!write(STDERR_FILENO, out.data(), out.size());
}

void Log(const LogFn& log, const std::string& line) {
  if (log) {
    log(line);
  } else {
    LogToStderr(line);
  }
}

}  // namespace sp::transport::internal
