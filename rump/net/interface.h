// The interface layer's objects: Interface (NetBSD's struct ifnet), the
// InterfaceDriver that moves its frames, and the InterfaceCloner that makes
// new units of a driver ("lo", "shmif").
//
// An Interface is created and destroyed by NetStack, which also changes its
// configuration (flags, MTU, addresses) through the interface ioctls. Drivers
// and the protocol layers use the methods below. Promises:
//  * name, unit, index, type and link-level address never change;
//  * flags, MTU, link state and statistics can be read from any thread
//    without locks (atomics); the address list is returned as a copy;
//  * Output and Input may be called from any thread, concurrently with
//    configuration changes, and never block on a configuration lock;
//  * what Output transmits passes the interface's LinkImpairment first
//    (rump/net/impairment.h: drop, duplicate, reorder, delay), which costs
//    one relaxed atomic load while it is off. Interfaces live in
//    shared_ptrs (NetStack makes them): the impairment's timers hold weak
//    references and do nothing once the interface is gone.
#ifndef RUMP_NET_INTERFACE_H_
#define RUMP_NET_INTERFACE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/abi/if.h"
#include "rump/net/impairment.h"

namespace rump {

class Interface;
class NetStack;
struct SyscallContext;

// One address of an interface, of any family (NetBSD's struct ifaddr): the
// record an address family's control routine keeps on the interface so
// that the generic layer can list it (SIOCGIFCONF, NET_RT_IFLIST) without
// knowing the family. The sockaddrs are NetBSD bytes (byte 0 the length,
// byte 1 the family), as routing messages carry them.
struct InterfaceAddress {
  int family = 0;          // AF_*
  std::string addr;        // the address
  std::string netmask;     // as routing messages carry it; empty: none
  // The broadcast address (IFF_BROADCAST) or the other end
  // (IFF_POINTOPOINT, IFF_LOOPBACK); empty: none.
  std::string broadaddr;
  // NetBSD's ifa_flags, as NET_RT_IFLIST reports them (ifam_flags).
  int flags = 0;
  // The family's own state of the address (IPv4: NetBSD's ia4_flags,
  // IN_IFF_TENTATIVE while duplicate address detection runs, ...). A change
  // of it alone is announced as RTM_NEWADDR.
  int family_flags = 0;
};

// The counters of struct if_data.
struct InterfaceStats {
  uint64_t ipackets = 0, ierrors = 0, opackets = 0, oerrors = 0;
  uint64_t collisions = 0, ibytes = 0, obytes = 0, imcasts = 0, omcasts = 0;
  uint64_t iqdrops = 0, noproto = 0;
};

// OutputBurst: a scope in which one thread transmits several frames that
// belong together (a TCP window's worth of segments, the ACKs for a batch
// of received frames). While one is alive on a thread, a driver may defer
// the costly part of transmitting that can wait, such as waking the
// receivers of a shmif bus, and do it once when the outermost burst on the
// thread ends. Frames are never reordered or held back by it: only such
// "after" actions are deferred. Nesting is fine; bursts on other threads
// are independent.
class OutputBurst {
 public:
  OutputBurst();
  ~OutputBurst();  // the outermost one runs the deferred actions, in order
  OutputBurst(const OutputBurst&) = delete;
  OutputBurst& operator=(const OutputBurst&) = delete;

  // Inside a burst on this thread: arranges for `action` to run when the
  // outermost burst ends (once per `key`: later calls with a key already
  // registered are dropped) and returns true. Outside a burst it does
  // nothing and returns false: the caller acts at once.
  static bool Defer(const void* key, std::function<void()> action);
};

// What a driver does for its interface: start, stop and transmit. Received
// frames are handed to Interface::Input. Start, Stop, Ioctl and Detach are
// serialized per interface by NetStack; Output may run concurrently with
// any of them.
class InterfaceDriver {
 public:
  virtual ~InterfaceDriver() = default;
  // NetBSD's if_init: make the hardware run (an Ethernet interface calls it
  // when it comes up). On error the interface does not become RUNNING.
  virtual absl::Status Start(Interface& ifp) = 0;
  // NetBSD's if_stop. When it returns the driver delivers no more input and
  // owns no running thread.
  virtual void Stop(Interface& ifp) = 0;
  // Transmits one frame (an Ethernet frame, or an IP packet for loopback).
  virtual absl::Status Output(Interface& ifp, absl::Span<const uint8_t> frame) = 0;
  // Driver-specific ioctls (link strings, media). `data` is the copied-in
  // argument. ENOTTY for commands the driver does not know.
  virtual absl::Status Ioctl(Interface& ifp, SyscallContext& ctx, uint64_t cmd,
                             absl::Span<uint8_t> data);
  // The interface is being destroyed (after Stop): release everything.
  virtual void Detach(Interface&) {}
};

// What a cloner hands NetStack for a new unit.
struct InterfaceSpec {
  std::unique_ptr<InterfaceDriver> driver;
  uint8_t type = abi::kIFT_ETHER;       // IFT_*
  uint32_t flags = 0;                   // initial IFF_* flags
  int mtu = abi::kEtherMtu;
  // The largest MTU SIOCSIFMTU takes on an Ethernet interface: ETHERMTU,
  // or ETHERMTU_JUMBO for a driver with NetBSD's ETHERCAP_JUMBO_MTU.
  int max_mtu = abi::kEtherMtu;
  std::vector<uint8_t> lladdr;          // link-level address (empty: none)
  uint8_t hdrlen = 0;                   // link header length (14 for Ethernet)
  uint64_t baudrate = 0;
  int dlt = abi::kDLT_NULL;             // bpf data link type (SIOCGIFDLT)
};

// Makes interfaces named <name><unit> (NetBSD's struct if_clone).
class InterfaceCloner {
 public:
  virtual ~InterfaceCloner() = default;
  virtual absl::string_view name() const = 0;
  // Creates unit `unit`. `linkstr` is rump_pub_shmif_create's bus path, or
  // nullptr (SIOCIFCREATE). Errors carry the NetBSD errno to return.
  virtual absl::StatusOr<InterfaceSpec> Create(int unit, const char* linkstr) = 0;
  // Whether `ifp` may be destroyed (EPERM for lo0).
  virtual absl::Status CheckDestroy(const Interface&) const { return absl::OkStatus(); }
};

class Interface : public std::enable_shared_from_this<Interface> {
 public:
  Interface(NetStack& stack, std::string name, std::string cloner, int unit,
            int index, InterfaceSpec spec);
  ~Interface();
  Interface(const Interface&) = delete;
  Interface& operator=(const Interface&) = delete;

  // --- identity
  const std::string& name() const { return name_; }
  const std::string& cloner() const { return cloner_; }
  int unit() const { return unit_; }
  int index() const { return index_; }
  uint8_t type() const { return type_; }
  bool is_ethernet() const { return type_ == abi::kIFT_ETHER; }
  bool is_loopback() const { return type_ == abi::kIFT_LOOP; }
  const std::vector<uint8_t>& lladdr() const { return lladdr_; }
  uint8_t hdrlen() const { return hdrlen_; }
  uint64_t baudrate() const { return baudrate_; }
  int dlt() const { return dlt_; }
  int max_mtu() const { return max_mtu_; }

  // --- state
  uint32_t flags() const { return flags_.load(std::memory_order_acquire); }
  bool up_and_running() const;
  int mtu() const { return mtu_.load(std::memory_order_relaxed); }
  int metric() const { return metric_.load(std::memory_order_relaxed); }
  int link_state() const { return link_state_.load(std::memory_order_acquire); }
  InterfaceStats stats() const;
  absl::Time last_change() const;
  // The addresses of `family` (0: every family), in the order they were
  // added.
  std::vector<InterfaceAddress> addresses(int family = 0) const;
  // struct if_data (136 bytes) as NetBSD lays it out.
  std::string IfDataBytes() const;

  // --- address records, for the address families' control routines
  // (called inside NetStack::Configure, so that changes to one interface
  // are serialized). Each returns false when there is nothing to change.
  void AddAddress(InterfaceAddress a);
  // Replaces the record of `family` whose addr is `addr`.
  bool ReplaceAddress(int family, absl::string_view addr, InterfaceAddress a);
  bool RemoveAddress(int family, absl::string_view addr);

  // --- data path
  // Transmits `frame`: ENETDOWN unless UP and RUNNING; then through the
  // impairment (if on) to the driver. A loopback interface's frames start
  // with the 4-byte family header of DLT_NULL (see rump/net/loopback.h),
  // which the byte counters leave out. The counters count what reaches the
  // driver: a frame the impairment drops is not an output packet, a
  // duplicated one counts twice, a held or delayed one counts when it goes
  // out; held or delayed frames discarded because the interface went down
  // or was destroyed are output errors.
  absl::Status Output(absl::Span<const uint8_t> frame);
  // A frame the driver received: counted and passed up through NetStack
  // (Ethernet: by ethertype; loopback: by family).
  void Input(absl::Span<const uint8_t> frame);
  void CountInputError() { ierrors_.fetch_add(1, std::memory_order_relaxed); }
  // A frame Output accepted but the driver could not send later (a driver
  // that transmits from a queue of its own).
  void CountOutputError() { oerrors_.fetch_add(1, std::memory_order_relaxed); }
  void CountInputDrop() { iqdrops_.fetch_add(1, std::memory_order_relaxed); }
  void CountNoProto() { noproto_.fetch_add(1, std::memory_order_relaxed); }

  // --- the lossy-link impairment of transmitted frames (its settings and
  // counters; also net.link.impair.<name> in sysctl, see NetStack)
  LinkImpairment& impairment() { return impair_; }
  const LinkImpairment& impairment() const { return impair_; }

  // --- for drivers
  // Sets ifi_link_state (abi::kLinkState*).
  void SetLinkState(int state) { link_state_.store(state, std::memory_order_release); }
  InterfaceDriver& driver() { return *driver_; }

 private:
  friend class NetStack;

  void StoreFlags(uint32_t flags) { flags_.store(flags & 0xffff, std::memory_order_release); }
  // The bytes of `frame` the counters charge (not lo's family header).
  size_t CountedBytes(absl::Span<const uint8_t> frame) const;
  void ZeroStats();
  // The driver's transmit with the counters (Output after the impairment).
  absl::Status TransmitNow(absl::Span<const uint8_t> frame);
  // Drops the impairment's held and delayed frames (going down, being
  // destroyed), counting them as output errors.
  void DiscardPending();

  NetStack& stack_;
  const std::string name_;
  const std::string cloner_;
  const int unit_;
  const int index_;
  const uint8_t type_;
  const std::vector<uint8_t> lladdr_;
  const uint8_t hdrlen_;
  const uint64_t baudrate_;
  const int dlt_;
  const int max_mtu_;
  const std::unique_ptr<InterfaceDriver> driver_;

  std::atomic<uint32_t> flags_;
  std::atomic<int> mtu_;
  std::atomic<int> metric_{0};
  std::atomic<int> link_state_{abi::kLinkStateUnknown};
  std::atomic<uint64_t> ipackets_{0}, ierrors_{0}, opackets_{0}, oerrors_{0},
      collisions_{0}, ibytes_{0}, obytes_{0}, imcasts_{0}, omcasts_{0},
      iqdrops_{0}, noproto_{0};

  // Serializes configuration changes and driver Start/Stop/Ioctl/Detach
  // (NetBSD's if_ioctl_lock). Never taken on the data path.
  std::mutex ioctl_mu_;
  bool dying_ = false;      // guarded by ioctl_mu_
  int promisc_count_ = 0;   // guarded by ioctl_mu_
  int sysctl_num_ = -1;     // net.link.impair.<name>'s number; NetStack's clone_mu_

  mutable std::mutex mu_;  // guards the two below
  std::vector<InterfaceAddress> addresses_;
  absl::Time last_change_ = absl::UnixEpoch();

  LinkImpairment impair_;
};

}  // namespace rump

#endif  // RUMP_NET_INTERFACE_H_
