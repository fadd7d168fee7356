#include "rump/netinet/in_pcblist.h"

#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "rump/abi/errno.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet_socket.h"

namespace rump::inet {
namespace {

void PutAddress(uint8_t* out, uint32_t addr, uint16_t port) {
  const std::string sin = SockaddrIn(addr, port);
  std::memcpy(out, sin.data(), sin.size());
}

uint32_t StateNumber(PcbState s) {
  switch (s) {
    case PcbState::kBound:
      return abi::kINP_BOUND;
    case PcbState::kConnected:
      return abi::kINP_CONNECTED;
    case PcbState::kAttached:
      break;
  }
  return abi::kINP_ATTACHED;
}

abi::KinfoPcb Record(const PcbRow& row, int type, int protocol) {
  abi::KinfoPcb k;
  std::memset(&k, 0, sizeof(k));
  const InetSocket& so = *row.socket;
  const Socket::Snapshot st = so.snapshot();
  k.pcbaddr = row.id;
  k.sockaddr = so.socket_id();
  k.family = uint32_t(abi::kAF_INET);
  k.type = uint32_t(type);
  k.protocol = uint32_t(protocol);
  k.pflags |= so.input_options();
  if (so.header_included()) k.pflags |= abi::kINP_HDRINCL;
  if (row.anon_port) k.pflags |= abi::kINP_ANONPORT;
  const bool datagram_peer = !so.is_stream() && row.addrs.faddr != 0;
  if (st.connecting) k.sostate |= abi::kSS_ISCONNECTING;
  if (st.connected || datagram_peer) k.sostate |= abi::kSS_ISCONNECTED;
  if (st.disconnecting) k.sostate |= abi::kSS_ISDISCONNECTING;
  if (st.cant_send) k.sostate |= abi::kSS_CANTSENDMORE;
  if (st.cant_recv) k.sostate |= abi::kSS_CANTRCVMORE;
  k.prstate = StateNumber(row.state);
  k.rcvq = st.receive_bytes;
  k.sndq = st.send_bytes;
  PutAddress(k.src, row.addrs.laddr, row.addrs.lport);
  if (row.state == PcbState::kConnected) PutAddress(k.dst, row.addrs.faddr, row.addrs.fport);
  return k;
}

}  // namespace

std::vector<abi::KinfoPcb> PcbRecords(const InPcbTable& table, int type, int protocol,
                                      const PcbFieldsFn& fields) {
  std::vector<abi::KinfoPcb> out;
  for (const PcbRow& row : table.Rows()) {
    out.push_back(Record(row, type, protocol));
    if (fields) fields(row, out.back());
  }
  return out;
}

absl::StatusOr<SysctlReply> PcbListReply(const SysctlRequest& req, const InPcbTable& table,
                                         int type, int protocol, const PcbFieldsFn& fields) {
  if (req.rest.size() != 4) return abi::Errno(abi::kEINVAL);
  constexpr size_t kSize = abi::kKinfoPcbSize;
  if (req.size_query) {
    // The records are not looked at: only counted.
    return SysctlReply(std::string(), (table.Rows().size() + abi::kPcbSlop) * kSize);
  }
  if (req.rest[2] != int(kSize)) return abi::Errno(abi::kEINVAL);
  int count = req.rest[3];
  size_t room = req.oldlen;
  std::string data;
  size_t needed = 0;
  for (const abi::KinfoPcb& k : PcbRecords(table, type, protocol, fields)) {
    if (room >= kSize && count > 0) {
      data.append(reinterpret_cast<const char*>(&k), kSize);
      room -= kSize;
    }
    needed += kSize;
    if (count > 0 && count != INT_MAX) --count;
  }
  return SysctlReply(std::move(data), needed);
}

absl::Status AddPcblistNode(SysctlTree& tree, absl::Span<const int> parent, int num,
                            const InPcbTable& table, int type, int protocol, PcbFieldsFn fields,
                            const std::string& description) {
  if (parent.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pcblist: parent has %d components, not 3", parent.size()));
  }
  absl::StatusOr<int> n = tree.AddRequestHandler(
      parent, num, "pcblist",
      [&table, type, protocol, fields = std::move(fields)](SyscallContext&,
                                                           const SysctlRequest& req) {
        return PcbListReply(req, table, type, protocol, fields);
      },
      description, SysctlType::kStruct);
  return n.status();
}

}  // namespace rump::inet
