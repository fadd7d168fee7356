#include "rump/netinet/tcp_peer_testing.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet_testing {

namespace {
constexpr uint8_t kIpProtoTcp = 6;  // the wire's protocol number
}  // namespace

std::string PeerSegment::ToString() const {
  static constexpr std::pair<uint8_t, const char*> kNames[] = {
      {inet::kTcpSyn, "SYN"}, {inet::kTcpFin, "FIN"}, {inet::kTcpRst, "RST"},
      {inet::kTcpPsh, "PSH"}, {inet::kTcpAck, "ACK"}, {inet::kTcpUrg, "URG"},
      {inet::kTcpEce, "ECE"}, {inet::kTcpCwr, "CWR"}};
  std::vector<std::string> flags;
  for (const auto& [bit, name] : kNames) {
    if (header.has(bit)) flags.push_back(name);
  }
  std::string s = absl::StrCat(header.sport, ">", header.dport, " [",
                               absl::StrJoin(flags, "|"), "] seq ", header.seq.value(),
                               " ack ", header.ack.value(), " win ", header.window, " len ",
                               payload.size());
  if (options.mss) absl::StrAppend(&s, " mss ", *options.mss);
  if (options.window_shift) absl::StrAppend(&s, " wscale ", *options.window_shift);
  if (options.sack_permitted) absl::StrAppend(&s, " sackOK");
  if (options.timestamps) {
    absl::StrAppend(&s, " TS ", options.timestamps->value, "/", options.timestamps->echo);
  }
  for (const inet::SackBlock& b : options.sack_blocks) {
    absl::StrAppend(&s, " sack ", b.start.value(), "-", b.end.value());
  }
  return s;
}

ScriptedPeer::ScriptedPeer(const std::string& bus_path, uint32_t ip, const MacAddress& mac,
                           uint32_t kernel_ip, const MacAddress& kernel_mac)
    : ip_(ip), mac_(mac), kernel_ip_(kernel_ip), kernel_mac_(kernel_mac) {
  absl::StatusOr<std::unique_ptr<shmif::Bus>> bus = shmif::Bus::Attach(bus_path);
  if (!bus.ok()) {
    status_ = bus.status();
    ADD_FAILURE() << "ScriptedPeer: " << status_;
    return;
  }
  bus_ = std::move(*bus);
  receiver_ = std::thread([this] { ReceiveLoop(); });
}

ScriptedPeer::~ScriptedPeer() {
  if (bus_ != nullptr) bus_->Interrupt();
  if (receiver_.joinable()) receiver_.join();
}

void ScriptedPeer::ReceiveLoop() {
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  for (;;) {
    absl::StatusOr<shmif::ReceivedFrame> f =
        bus_->Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
    if (!f.ok()) {
      if (absl::IsCancelled(f.status())) return;
      continue;  // a reset ring (DataLoss): go on reading
    }
    HandleFrame(absl::MakeConstSpan(buf.data(), f->len));
  }
}

void ScriptedPeer::HandleFrame(absl::Span<const uint8_t> frame) {
  if (frame.size() < kEtherHeaderLen) return;
  const bool to_us = std::equal(mac_.begin(), mac_.end(), frame.begin());
  if (!to_us && !EtherIsMulticast(frame)) return;
  const absl::Span<const uint8_t> body = frame.subspan(kEtherHeaderLen);
  const uint16_t type = EtherType(frame);
  if (type == inet::kEtherTypeArp) {
    inet::ArpPacket a;
    if (inet::ParseArp(body, &a) != inet::ArpParseError::kNone) return;
    if (a.op != inet::kArpOpRequest || a.tpa != ip_) return;
    inet::ArpPacket reply;
    reply.op = inet::kArpOpReply;
    reply.sha = mac_;
    reply.spa = ip_;
    reply.tha = a.sha;
    reply.tpa = a.spa;
    if (bus_->Send(inet::BuildArpFrame(a.sha, mac_, reply)).ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++arp_replies_;
    }
    return;
  }
  if (type != inet::kEtherTypeIp || !to_us) return;
  inet::IpHeader h;
  if (inet::ParseIpHeader(body, &h) != inet::IpParseError::kNone) return;
  if (h.proto != kIpProtoTcp || h.src != kernel_ip_ || h.dst != ip_ || h.is_fragment()) {
    return;
  }
  absl::StatusOr<inet::TcpSegment> seg =
      inet::ParseTcpSegment(body.subspan(h.hlen, h.total_len - h.hlen), h.src, h.dst);
  if (!seg.ok()) {
    ADD_FAILURE() << "ScriptedPeer: the kernel sent a bad segment: " << seg.status();
    return;
  }
  PeerSegment copy;
  copy.header = seg->header;
  copy.options = seg->options;
  copy.payload.assign(seg->payload.begin(), seg->payload.end());
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments_.push_back(std::move(copy));
  }
  cv_.notify_all();
}

absl::Status ScriptedPeer::Send(const inet::TcpHeader& h, const inet::TcpOptions& options,
                                absl::Span<const uint8_t> payload) {
  if (bus_ == nullptr) return status_;
  absl::StatusOr<std::vector<uint8_t>> seg =
      inet::BuildTcpSegment(h, options, payload, ip_, kernel_ip_);
  if (!seg.ok()) return seg.status();
  std::vector<uint8_t> frame(kEtherHeaderLen + 20 + seg->size());
  WriteEtherHeader(frame.data(), kernel_mac_, mac_, inet::kEtherTypeIp);
  inet::IpHeader ip;
  ip.total_len = uint16_t(20 + seg->size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ip.id = ip_id_++;
  }
  ip.ttl = 64;
  ip.proto = kIpProtoTcp;
  ip.src = ip_;
  ip.dst = kernel_ip_;
  inet::WriteIpHeader(ip, frame.data() + kEtherHeaderLen);
  std::copy(seg->begin(), seg->end(), frame.begin() + kEtherHeaderLen + 20);
  return bus_->Send(frame);
}

absl::StatusOr<PeerSegment> ScriptedPeer::Expect(absl::Duration timeout) {
  return Expect([](const PeerSegment&) { return true; }, timeout);
}

absl::StatusOr<PeerSegment> ScriptedPeer::Expect(
    const std::function<bool(const PeerSegment&)>& pred, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (!segments_.empty()) {
      PeerSegment s = std::move(segments_.front());
      segments_.pop_front();
      if (pred(s)) return s;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("ScriptedPeer: no matching segment within ", absl::FormatDuration(timeout)));
    }
    cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - now));
  }
}

size_t ScriptedPeer::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}

void ScriptedPeer::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  segments_.clear();
}

uint64_t ScriptedPeer::arp_replies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arp_replies_;
}

}  // namespace rump::inet_testing
