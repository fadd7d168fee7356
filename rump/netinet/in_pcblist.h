// The PCB lists: net.inet.<protocol>.pcblist, one struct kinfo_pcb
// (rump/abi/kinfo.h) per PCB of a protocol's InPcbTable, which NetBSD's
// netstat -a and sockstat read (NetBSD's sysctl_inpcblist). Any protocol
// with an InPcbTable gets its list with AddPcblistNode; a protocol adds its
// own fields to each record with a PcbFieldsFn (TCP: its state, flags and
// control block).
//
// A record holds, from the table and the socket:
//   pcbaddr    the PCB's id; ppcbaddr 0 (the protocol's to set)
//   sockaddr   the socket's socket_id(), which kern.file2 reports as the
//              ki_fdata of the socket's descriptors
//   family     PF_INET; type and protocol as given to AddPcblistNode
//   pflags     INP_RECVDSTADDR (IP_RECVDSTADDR is on), INP_HDRINCL (raw
//              socket with IP_HDRINCL), INP_ANONPORT (port picked by the
//              kernel)
//   sostate    SS_ISCONNECTING, SS_ISCONNECTED, SS_ISDISCONNECTING,
//              SS_CANTSENDMORE, SS_CANTRCVMORE from the socket layer; a
//              datagram socket with a foreign address counts as connected
//              (NetBSD's UDP and raw connect mark the socket so)
//   prstate    INP_ATTACHED / BOUND / CONNECTED (the PCB's PcbState)
//   rcvq/sndq  the socket buffers' byte counts (a datagram queue counts
//              sender addresses and control data too, as NetBSD's sb_cc)
//   src        sockaddr_in of the local address and port, always
//   dst        sockaddr_in of the foreign address and port once the PCB is
//              connected (so never for raw sockets, as in NetBSD), else
//              zeros
// and zeros elsewhere; then the PcbFieldsFn, if any, changes what it
// wants. Records come newest PCB first.
//
// The node takes {op, arg, elem_size, elem_count} after its name, as
// NetBSD's does (op and arg are not looked at; PCB_ALL is 0): anything but
// four components is EINVAL. A size query (oldp NULL) reports the size of
// every record plus 20 (PCB_SLOP). A read needs elem_size == 640 (EINVAL
// otherwise) and copies whole records while the buffer has room and
// elem_count (INT_MAX: no limit) lasts; *oldlenp reports every record, so
// a buffer too small for all gets the records that fit and ENOMEM. A new
// value is ignored, as in NetBSD.
#ifndef RUMP_NETINET_IN_PCBLIST_H_
#define RUMP_NETINET_IN_PCBLIST_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/abi/kinfo.h"
#include "rump/kern/sysctl.h"
#include "rump/netinet/in_pcb.h"

namespace rump::inet {

// Fills in the protocol's own fields of `record` for `row` (called once per
// record, after the generic fields, without any table lock held).
using PcbFieldsFn = std::function<void(const PcbRow& row, abi::KinfoPcb& record)>;

// The records of every PCB in `table` (whose sockets are of `type`), as
// described above.
std::vector<abi::KinfoPcb> PcbRecords(const InPcbTable& table, int type, int protocol,
                                      const PcbFieldsFn& fields = nullptr);

// The answer of a pcblist node to `req` (see above).
absl::StatusOr<SysctlReply> PcbListReply(const SysctlRequest& req, const InPcbTable& table,
                                         int type, int protocol, const PcbFieldsFn& fields);

// Adds the node "pcblist" with number `num` below `parent`, which must be
// three components long (net.inet.<protocol>, as NetBSD requires; else
// InvalidArgument), listing `table` (which must outlive the tree's use).
// The node is a CTLTYPE_STRUCT, as NetBSD's. SysctlTree::AddRequestHandler's
// errors otherwise (AlreadyExists for a taken number or name).
absl::Status AddPcblistNode(SysctlTree& tree, absl::Span<const int> parent, int num,
                            const InPcbTable& table, int type, int protocol,
                            PcbFieldsFn fields = nullptr, const std::string& description = "");

}  // namespace rump::inet

#endif  // RUMP_NETINET_IN_PCBLIST_H_
