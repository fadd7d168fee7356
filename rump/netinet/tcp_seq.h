// TcpSeq: a TCP sequence number, 32 bits that wrap (RFC 9293 3.4), compared
// the way RFC 1982 compares serial numbers.
//
// Promises:
//  * a < b exactly when the distance from a forward to b is between 1 and
//    2^31 - 1; <=, >, >= likewise. Each is NetBSD's SEQ_LT, SEQ_LEQ, SEQ_GT,
//    SEQ_GEQ: the sign of the 32-bit difference a - b. At exactly 2^31
//    apart RFC 1982 leaves the order undefined; there, as in NetBSD, each
//    number is < the other and neither is >. Callers keep every range they
//    compare within 2^31 - 1 (a TCP window is at most 2^30);
//  * seq + n and seq - n move n sequence numbers forward or back, modulo
//    2^32; b - a is the signed distance from a to b (a + (b - a) == b);
//  * everything is constexpr; no operation can overflow or be undefined.
// A value type, as cheap as the uint32_t it holds.
#ifndef RUMP_NETINET_TCP_SEQ_H_
#define RUMP_NETINET_TCP_SEQ_H_

#include <cstdint>
#include <ostream>

namespace rump::inet {

class TcpSeq {
 public:
  constexpr TcpSeq() = default;
  constexpr explicit TcpSeq(uint32_t value) : value_(value) {}

  // The number as on the wire (host order).
  constexpr uint32_t value() const { return value_; }

  friend constexpr bool operator==(TcpSeq a, TcpSeq b) = default;
  friend constexpr bool operator<(TcpSeq a, TcpSeq b) { return (a - b) < 0; }
  friend constexpr bool operator<=(TcpSeq a, TcpSeq b) { return (a - b) <= 0; }
  friend constexpr bool operator>(TcpSeq a, TcpSeq b) { return (a - b) > 0; }
  friend constexpr bool operator>=(TcpSeq a, TcpSeq b) { return (a - b) >= 0; }

  // n sequence numbers later (n may be any 32-bit count: modulo 2^32).
  friend constexpr TcpSeq operator+(TcpSeq a, uint32_t n) { return TcpSeq(a.value_ + n); }
  friend constexpr TcpSeq operator-(TcpSeq a, uint32_t n) { return TcpSeq(a.value_ - n); }
  constexpr TcpSeq& operator+=(uint32_t n) {
    value_ += n;
    return *this;
  }
  constexpr TcpSeq& operator-=(uint32_t n) {
    value_ -= n;
    return *this;
  }
  // The signed distance from b to a: how far a is ahead of b (negative
  // when behind). Conversion to int32_t is modular in C++20.
  friend constexpr int32_t operator-(TcpSeq a, TcpSeq b) {
    return static_cast<int32_t>(a.value_ - b.value_);
  }

  friend std::ostream& operator<<(std::ostream& os, TcpSeq s) { return os << s.value_; }

 private:
  uint32_t value_ = 0;
};

// The later / earlier of two sequence numbers (NetBSD's SEQ_MAX, SEQ_MIN).
constexpr TcpSeq SeqMax(TcpSeq a, TcpSeq b) { return a < b ? b : a; }
constexpr TcpSeq SeqMin(TcpSeq a, TcpSeq b) { return a < b ? a : b; }

// The number of sequence numbers in [start, end), for start <= end.
constexpr uint32_t SeqLength(TcpSeq start, TcpSeq end) { return end.value() - start.value(); }

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_SEQ_H_
