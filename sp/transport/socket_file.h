// Unix socket files for listeners (private to sp/transport): refuse a live
// server's file, replace a dead server's, never touch anything else, and
// remove only the file this listener made.
#ifndef RUMP_SP_TRANSPORT_SOCKET_FILE_H_
#define RUMP_SP_TRANSPORT_SOCKET_FILE_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace sp::transport::internal {

using LogFn = std::function<void(const std::string&)>;

// Makes `path` free for bind(): nothing there → OK; a socket nobody accepts
// on (connect gives ECONNREFUSED) → removed, logged, OK; a socket a server
// accepts on → EADDRINUSE; anything else (a file, a directory) → EADDRINUSE.
// `url` is for messages.
absl::Status FreeSocketPath(const std::string& url, const std::string& path, const LogFn& log);

// Identity of a file, to remove a socket file only if it is still ours.
struct FileId {
  bool valid = false;
  dev_t dev = 0;
  ino_t ino = 0;
};
FileId IdOfFile(const std::string& path);
// Removes `path` if it is still the file `id` names.
void RemoveIfSame(const std::string& path, const FileId& id);

// The default log sink: stderr, "rump_sp: <line>\n".
void LogToStderr(const std::string& line);
// `line` to `log`, or to stderr (LogToStderr) if `log` is empty.
void Log(const LogFn& log, const std::string& line);

}  // namespace sp::transport::internal

#endif  // RUMP_SP_TRANSPORT_SOCKET_FILE_H_
